"""A feedback item's recording for the page's player: `/items/{id}/audio`, with byte ranges
(Starlette's FileResponse answers Range with 206 + Content-Range). What browsers (Chromium,
Firefox, Safari on phones) play natively is sent as stored; anything else — AMR from hotlines
and old phones, WMA, 3GP — is converted once to AAC (`feedback/store/.play/`). A recording
ffmpeg cannot convert is remembered by its sha256 (Site.unplayable), so a page that asks again
does not run ffmpeg again; the reason, with the file's path, goes to the server's log and the
browser gets a plain 415. Recordings are citizens' voices: never cached by the browser."""

from __future__ import annotations

import logging
import mimetypes
import subprocess
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, Response
from starlette.routing import Route

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_target
from broadcast.feedback import queue
from broadcast.feedback.models import FeedbackItem, ItemNotFound
from broadcast.web.site import connect, item_id_of, session_of, site_of

log = logging.getLogger(__name__)
NO_STORE = {"Cache-Control": "no-store"}
UNPLAYABLE = "cannot play this recording in a browser (the server's log says why)"

BROWSER_PLAYABLE = frozenset({".m4a", ".aac", ".mp3", ".wav", ".ogg", ".opus", ".oga", ".webm", ".flac"})
# Formats a browser may not guess from the suffix (mimetypes differs between systems).
AUDIO_TYPES = {".m4a": "audio/mp4", ".aac": "audio/aac", ".mp3": "audio/mpeg", ".wav": "audio/wav",
               ".ogg": "audio/ogg", ".opus": "audio/ogg", ".oga": "audio/ogg", ".webm": "audio/webm",
               ".amr": "audio/amr", ".flac": "audio/flac"}


def playable_copy(source: Path, cache_dir: Path) -> Path:
    """An AAC (.m4a) copy of a recording the browser cannot play, made once with ffmpeg and
    kept in `cache_dir` under the source's name (the store names files by sha256)."""
    dest = cache_dir / f"{source.stem}.m4a"
    if dest.is_file():
        return dest
    with atomic_target(dest) as tmp:
        try:
            proc = subprocess.run(
                ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(source), "-vn", "-ac", "1",
                 "-c:a", "aac", "-b:a", "64k", "-f", "mp4", str(tmp)],
                capture_output=True, text=True, timeout=600)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise BroadcastError(f"ffmpeg could not run: {exc}", source) from None
        if proc.returncode != 0:
            raise BroadcastError(f"ffmpeg could not convert it: {proc.stderr.strip()[-300:]}", source)
    return dest


def recording_path(ws: Workspace, item: FeedbackItem) -> Path | None:
    """The item's stored recording, or None when it is missing or lies outside the feedback folder."""
    root = ws.feedback_dir.resolve()
    path = (root / item.stored_path).resolve()
    if not path.is_relative_to(root) or not path.is_file():
        return None
    return path


def item_audio(request: Request) -> Response:
    if session_of(request) is None:
        return PlainTextResponse("sign in first", status_code=401, headers=NO_STORE)
    site = site_of(request)
    item_id = item_id_of(request)
    if item_id is None:
        return PlainTextResponse("not found", status_code=404, headers=NO_STORE)
    conn = connect(request)
    try:
        item = queue.get_item(conn, item_id)
    except ItemNotFound:
        return PlainTextResponse("not found", status_code=404, headers=NO_STORE)
    finally:
        conn.close()
    path = recording_path(site.ws, item)
    if path is None:
        return PlainTextResponse("recording missing", status_code=404, headers=NO_STORE)
    if path.suffix.lower() not in BROWSER_PLAYABLE:
        if site.unplayable.get(item.sha256) is not None:
            return PlainTextResponse(UNPLAYABLE, status_code=415, headers=NO_STORE)
        try:
            path = playable_copy(path, site.ws.feedback_dir / "store" / ".play")
        except BroadcastError as exc:
            log.warning("feedback item #%s: %s", item.id, exc)   # the path and ffmpeg's words
            site.unplayable.put(item.sha256, exc.reason)
            return PlainTextResponse(UNPLAYABLE, status_code=415, headers=NO_STORE)
    media_type = AUDIO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or \
        "application/octet-stream"
    return FileResponse(path, media_type=media_type, headers=NO_STORE)


ROUTES = [Route("/items/{item_id}/audio", item_audio)]
