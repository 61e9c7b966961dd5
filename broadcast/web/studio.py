"""The recording studio: `/studio` lists every approved announcement × language and the fixed
phrases with the state of its reading (none / to verify / verified / stale); `/studio/read/{id}/
{lang}` (and `/studio/phrase/{name}`) is the teleprompter — the approved text large, sentence by
sentence, a record button (getUserMedia + MediaRecorder, Opus in WebM), a level meter, playback,
retake, and the upload. The take goes through the same pipeline as `broadcast record`
(broadcast.recording.takes): cleaned, checked, verified; the page then shows the verdict with the
sentences to read again highlighted, and — where allowed — "accept anyway" (a reason, in the
audit log) or a second person's "approve after listening". The signed-in name is the reader of
a take and the one who accepts or approves it."""

from __future__ import annotations

import secrets
from pathlib import Path

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import FileResponse, RedirectResponse, Response
from starlette.routing import Route

from broadcast.check.hearing import whisper_language
from broadcast.core import db
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_bytes
from broadcast.recording.studio import StudioRow, find_row, overview
from broadcast.recording.takes import (
    accept_failed_take,
    announcement_target,
    approve_take,
    limits_of,
    phrase_target,
    record_take,
)
from broadcast.recording.verify import sentences_of
from broadcast.translations.readings import LISTEN, take_records, takes_dir
from broadcast.web import security
from broadcast.web.site import login_redirect, not_found, refused, render, session_of, signed_form, signed_in, site_of

# The browser records Opus at this rate: speech stays clear and about 35 minutes fit in one
# upload under the web app's size limit for a take (security.MAX_TAKE_BYTES).
UPLOAD_BITS_PER_S = 32_000
UPLOADS = "uploads"
FIELD_CHARS = {"reason": 1000}

LABELS = {
    "vi": {
        "studio": "Phòng thu", "studio_intro": "Các thông báo đã duyệt và câu cố định, theo từng ngôn ngữ. "
        "Chỉ bài đọc đã được chấp nhận của văn bản hiện hành mới được phát.",
        "reading": "Bài đọc", "language_col": "Ngôn ngữ", "reading_state": "Tình trạng", "todo": "Cần làm",
        "rs_none": "chưa có", "rs_to_verify": "cần kiểm tra", "rs_verified": "đã xác minh", "rs_stale": "cũ",
        "read_it": "Đọc", "phrase": "Câu cố định", "no_text": "Chưa có văn bản được duyệt ở ngôn ngữ này.",
        "record": "● Ghi âm", "stop": "■ Dừng", "play": "▶ Nghe lại", "retake": "Ghi lại", "send": "Gửi để kiểm tra",
        "level": "Mức âm", "mic_denied": "Không dùng được micrô: hãy cho phép trình duyệt dùng micrô.",
        "too_long": "Bản ghi quá dài để gửi từ trình duyệt; hãy ghi từng phần hoặc dùng lệnh broadcast record.",
        "sending": "Đang kiểm tra bài đọc…", "take": "Lần ghi", "verdict": "Kết quả kiểm tra",
        "v_passed": "Đạt: bài đọc được chấp nhận.", "v_failed": "Chưa đạt: hãy đọc lại các câu được đánh dấu.",
        "v_listen": "Âm thanh đạt; cần một người thứ hai nghe và duyệt.",
        "read_again": "Đọc lại", "accept_anyway": "Vẫn chấp nhận", "reason": "Lý do",
        "approve_listened": "Tôi đã nghe hết bài đọc này và duyệt phát", "listen_take": "Nghe lần ghi",
        "reader": "Người đọc", "accepted_by": "Người chấp nhận", "current_reading": "Bài đọc đang dùng",
        "heard_share": "Nghe được", "notes": "Ghi chú", "studio_link": "‹ Về phòng thu",
    },
    "en": {
        "studio": "Studio", "studio_intro": "Approved announcements and fixed phrases, language by language. "
        "Only an accepted reading of the current text is aired.",
        "reading": "Reading", "language_col": "Language", "reading_state": "State", "todo": "What to do",
        "rs_none": "none", "rs_to_verify": "to verify", "rs_verified": "verified", "rs_stale": "stale",
        "read_it": "Read", "phrase": "Fixed phrase", "no_text": "No approved text in this language yet.",
        "record": "● Record", "stop": "■ Stop", "play": "▶ Play back", "retake": "Retake", "send": "Send for checking",
        "level": "Level", "mic_denied": "The microphone cannot be used: allow the browser to use it.",
        "too_long": "The take is too long to send from the browser; record it in parts or use broadcast record.",
        "sending": "Checking the reading…", "take": "Take", "verdict": "Verification",
        "v_passed": "Passed: the reading is accepted.", "v_failed": "Not passed: read the marked sentences again.",
        "v_listen": "The sound passed; a second person must listen and approve it.",
        "read_again": "Read again", "accept_anyway": "Accept anyway", "reason": "Reason",
        "approve_listened": "I listened to the whole reading and approve it for air", "listen_take": "Listen to the take",
        "reader": "Reader", "accepted_by": "Accepted by", "current_reading": "Reading in use",
        "heard_share": "Heard", "notes": "Notes", "studio_link": "‹ Back to the studio",
    },
}


def _url(row: StudioRow) -> str:
    return f"/studio/phrase/{row.phrase}" if row.phrase else f"/studio/read/{row.announcement_id}/{row.language}"


def _row(request: Request, key: str) -> StudioRow | None:
    ws = site_of(request).ws
    conn = db.connect(ws.db_path)
    try:
        return find_row(ws, conn, key)
    finally:
        conn.close()


def _key_of(request: Request) -> str:
    p = request.path_params
    return f"phrase:{p['name']}" if "name" in p else f"{p['ann']}/{p['lang']}"


def _row_of(request: Request) -> StudioRow | None:
    """The reading the path names."""
    return _row(request, _key_of(request))


def studio_page(request: Request) -> Response:
    if session_of(request) is None:
        return login_redirect(request)
    ws = site_of(request).ws
    conn = db.connect(ws.db_path)
    try:
        rows = overview(ws, conn)
    finally:
        conn.close()
    return render(request, "studio.html", {"rows": rows, "url": _url})


def read_page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
    got = signed_in(request, _row_of)
    if isinstance(got, Response):
        return got
    session, row = got
    ws = site_of(request).ws
    # the takes of the text approved now (an older text's verdict would mark the wrong sentences)
    takes = [t for t in take_records(ws, row.state.subject) if t.get("text_sha256") == row.state.text_sha256]
    wanted = request.query_params.get("take", "")
    take = next((t for t in reversed(takes) if wanted and t["sha256"].startswith(wanted)), None)
    take = take or (takes[-1] if takes else None)
    verification = (take or {}).get("verification") or {}
    missed = {s["index"] for s in verification.get("sentences", []) if not s.get("ok")}
    sentences = [(n, raw, n in missed) for n, (raw, _spoken) in enumerate(sentences_of(row.text, row.language), 1)] \
        if row.text else []
    limit = min(int(limits_of(ws).max_upload_mb * 2**20), _body_cap())
    return render(request, "studio_read.html", {
        "row": row, "sentences": sentences, "take": take, "csrf": session.csrf, "error": error,
        "whisper": whisper_language(row.language) is not None, "listen": LISTEN, "url": _url(row),
        "max_bytes": limit, "bits_per_s": UPLOAD_BITS_PER_S,
    }, status_code=status_code)


def _body_cap() -> int:
    """The web app's size limit for a take (minus room for the form's other fields)."""
    return security.MAX_TAKE_BYTES - 16 * 1024


def _target(request: Request, row: StudioRow):
    ws = site_of(request).ws
    if row.phrase:
        return phrase_target(ws, row.phrase)
    conn = db.connect(ws.db_path)
    try:
        return announcement_target(ws, conn, row.announcement_id or "", row.language)
    finally:
        conn.close()


async def _form(request: Request, files: int = 0):
    """The studio's form (its own bounds: a file for a take); None when a field is too long."""
    form = await request.form(max_files=files, max_fields=8)
    for key, value in form.multi_items():
        if isinstance(value, str) and len(value) > FIELD_CHARS.get(key, 200):
            return None
    return form


def _take_form(request: Request):
    return _form(request, files=1)


def _back(row: StudioRow, take: str | None = None) -> Response:
    return RedirectResponse(_url(row) + (f"?take={take[:16]}" if take else ""), status_code=303)


def _run(request: Request, work) -> str | None:
    """Do `work(ws, conn)` (a take, an acceptance); the error message when it is refused."""
    ws = site_of(request).ws
    conn = db.connect(ws.db_path)
    try:
        work(ws, conn)
    except BroadcastError as exc:
        return str(exc.problem.message) + (f" — {exc.problem.hint}" if exc.problem.hint else "")
    finally:
        conn.close()
    return None


async def take_upload(request: Request) -> Response:
    """POST (multipart): the recorded take, `csrf`; verified like `broadcast record`."""
    got = signed_in(request, _row_of)
    if isinstance(got, Response):
        return got
    session, row = got
    if not row.text:
        return not_found(request)
    ws = site_of(request).ws
    limit = min(int(limits_of(ws).max_upload_mb * 2**20), _body_cap())
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit + 64 * 1024:
        return Response(f"A take is at most {limit >> 20} MiB.", status_code=413)
    form = await signed_form(request, session, _take_form)
    if form is None:
        return refused(request)
    upload = form.get("take")
    if not isinstance(upload, UploadFile):
        return await run_in_threadpool(read_page, request, error="no take was sent", status_code=400)
    data = await upload.read(limit + 1)
    if len(data) > limit:
        return Response(f"A take is at most {limit >> 20} MiB.", status_code=413)
    folder = ws.state_dir / "readings" / UPLOADS
    path = folder / f"{secrets.token_hex(8)}.webm"
    atomic_write_bytes(path, data)
    result: dict = {}

    def work(ws, conn) -> None:
        target = _target(request, row)
        result["take"] = record_take(ws, conn, target, path, by=session.reviewer, name="studio.webm")

    try:
        error = await run_in_threadpool(_run, request, work)
    finally:
        path.unlink(missing_ok=True)
    if error:
        return await run_in_threadpool(read_page, request, error=error, status_code=422)
    return _back(row, result["take"].record["sha256"])


async def accept(request: Request) -> Response:
    """POST: accept the take that failed verification, with `reason` (audit log)."""
    return await _decide(request, "accept")


async def approve(request: Request) -> Response:
    """POST: a second person listened to the take and approves it (languages Whisper cannot hear)."""
    return await _decide(request, "approve")


async def _decide(request: Request, how: str) -> Response:
    got = signed_in(request, _row_of)
    if isinstance(got, Response):
        return got
    session, row = got
    form = await signed_form(request, session, _form)
    if form is None:
        return refused(request)
    sha = str(form.get("take", ""))[:64]
    if not sha or not sha.isalnum():
        return not_found(request)

    def work(ws, conn) -> None:
        target = _target(request, row)
        if how == "accept":
            accept_failed_take(ws, conn, target, by=session.reviewer, reason=str(form.get("reason", "")), sha=sha)
        else:
            approve_take(ws, conn, target, by=session.reviewer, sha=sha)

    error = await run_in_threadpool(_run, request, work)
    if error:
        return await run_in_threadpool(read_page, request, error=error, status_code=422)
    return _back(row, sha)


def take_audio(request: Request) -> Response:
    """GET: one take, cleaned, as WAV (the listener hears what would be aired)."""
    if session_of(request) is None:
        return login_redirect(request)
    row = _row_of(request)
    sha = request.path_params["sha"]
    if row is None or len(sha) != 16 or not all(c in "0123456789abcdef" for c in sha):
        return not_found(request)
    path: Path = takes_dir(site_of(request).ws, row.state.subject) / f"{sha}.wav"
    if not path.is_file():
        return not_found(request)
    return FileResponse(path, media_type="audio/wav", headers={"Cache-Control": "no-store"})


ROUTES = [
    Route("/studio", studio_page),
    Route("/studio/phrase/{name:str}", read_page),
    Route("/studio/phrase/{name:str}/take", take_upload, methods=["POST"]),
    Route("/studio/phrase/{name:str}/accept", accept, methods=["POST"]),
    Route("/studio/phrase/{name:str}/approve", approve, methods=["POST"]),
    Route("/studio/phrase/{name:str}/takes/{sha:str}.wav", take_audio),
    Route("/studio/read/{ann:str}/{lang:str}", read_page),
    Route("/studio/read/{ann:str}/{lang:str}/take", take_upload, methods=["POST"]),
    Route("/studio/read/{ann:str}/{lang:str}/accept", accept, methods=["POST"]),
    Route("/studio/read/{ann:str}/{lang:str}/approve", approve, methods=["POST"]),
    Route("/studio/read/{ann:str}/{lang:str}/takes/{sha:str}.wav", take_audio),
]
