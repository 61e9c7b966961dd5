"""The review web page: a Starlette app over broadcast.feedback.queue.

Pages: the queue (counts, filters, newest first, pages), one item (audio player with byte
ranges, machine transcript whose segments seek the player, the editable correction, tags,
status, note, the linked announcement's text), and CSV export. Jinja2 autoescapes every value;
the Content-Security-Policy allows only this server's own script and style files, so text
from a transcript can never run as script even if an escape were missed."""

from __future__ import annotations

import math
import mimetypes
import secrets
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.feedback import queue
from broadcast.feedback.export import csv_text
from broadcast.feedback.models import STATUSES, FeedbackItem, ItemNotFound, QueueError, VersionConflict
from broadcast.core.pg import connect_queue
from broadcast.core.display import format_duration
from broadcast.web.auth import PRE_LOGIN_COOKIE, SESSION_COOKIE, SESSION_HOURS, Auth, Session, csrf_ok
from broadcast.web.labels import LABELS, LANGUAGES

PAGE_SIZE = 25
LANG_COOKIE = "broadcast_lang"
STATIC_DIR = Path(__file__).parent / "static"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
# Formats a browser may not guess from the suffix (mimetypes differs between systems).
# What browsers (Chromium, Firefox, Safari on phones) play natively; anything else — AMR from
# hotlines and old phones, WMA, 3GP — is converted once to AAC for the player.
BROWSER_PLAYABLE = frozenset({".m4a", ".aac", ".mp3", ".wav", ".ogg", ".opus", ".oga", ".webm", ".flac"})


def playable_copy(source: Path, cache_dir: Path) -> Path:
    """An AAC (.m4a) copy of a recording the browser cannot play, made once with ffmpeg and
    kept in `cache_dir` under the source's name (the store names files by sha256)."""
    import subprocess

    from broadcast.core.fsutil import atomic_target

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


AUDIO_TYPES = {".m4a": "audio/mp4", ".aac": "audio/aac", ".mp3": "audio/mpeg", ".wav": "audio/wav",
               ".ogg": "audio/ogg", ".opus": "audio/ogg", ".oga": "audio/ogg", ".webm": "audio/webm",
               ".amr": "audio/amr", ".flac": "audio/flac"}
ACTIONS = {"save": None, "resolve": "resolved", "dismiss": "dismissed"}


def _fmt_duration(seconds: float | None) -> str:
    return "?" if seconds is None else format_duration(seconds)


def _fmt_seg_time(seconds: float) -> str:
    return f"{int(seconds // 60)}:{seconds % 60:04.1f}"


def _fmt_when(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


class SecurityHeaders:
    """Headers every response carries (pure ASGI, so file responses stream untouched)."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def send_with_headers(message):
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {k.lower() for k, _ in headers}
                for k, v in ((b"content-security-policy", CSP.encode()), (b"x-content-type-options", b"nosniff"),
                             (b"referrer-policy", b"no-referrer"), (b"x-frame-options", b"DENY")):
                    if k not in names:
                        headers.append((k, v))
                message = {**message, "headers": headers}
            await send(message)

        return await self.app(scope, receive, send_with_headers)


def create_app(ws: Workspace, auth: Auth, *, loopback: bool = True, language: str | None = None) -> Starlette:
    """The review app for one workspace. `loopback` limits the Host header to loopback names
    (a web page elsewhere cannot reach this server through DNS rebinding)."""
    default_lang = language if language in LANGUAGES else "vi"
    env = Environment(loader=PackageLoader("broadcast.web", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True)
    env.filters.update(duration=_fmt_duration, seg_time=_fmt_seg_time, when=_fmt_when)
    templates = Jinja2Templates(env=env)

    # ------------------------------------------------------------------------------ helpers
    def lang_of(request: Request) -> str:
        asked = request.query_params.get("lang")
        if asked in LANGUAGES:
            return asked
        cookie = request.cookies.get(LANG_COOKIE)
        return cookie if cookie in LANGUAGES else default_lang

    def session_of(request: Request) -> Session | None:
        return auth.session(request.cookies.get(SESSION_COOKIE))

    def render(request: Request, name: str, context: dict, status_code: int = 200) -> Response:
        lang = lang_of(request)
        t = LABELS[lang]
        other = "en" if lang == "vi" else "vi"
        ctx = dict(t=t, lang=lang, session=session_of(request), statuses=STATUSES,
                   status_label=lambda s: t.get(f"st_{s}", s),
                   other_lang_url=str(request.url.include_query_params(lang=other)),
                   commune=ws.config.commune_name, **context)
        response = templates.TemplateResponse(request, name, ctx, status_code=status_code,
                                              headers={"Cache-Control": "no-store"})
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", httponly=True)
        return response

    def connect():
        return connect_queue(ws)   # the workspace's SQLite, or PostgreSQL (broadcast/pg.py)

    def login_redirect(request: Request) -> Response:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)

    def refused(request: Request, status_code: int = 403) -> Response:
        return render(request, "message.html", {"message": LABELS[lang_of(request)]["forbidden"]}, status_code)

    def safe_next(value: str | None) -> str:
        # Only a path on this server: never "//host" or "http://…" (no open redirect).
        if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
            return value
        return "/"

    # ------------------------------------------------------------------------------ login
    def login_form(request: Request, *, error: str | None = None, status_code: int = 200,
                   token: str | None = None, name: str | None = None) -> Response:
        nonce = secrets.token_urlsafe(24)
        t = LABELS[lang_of(request)]
        token = token if token is not None else request.query_params.get("token")
        if not auth.uses_password and error is None:
            if not token:
                error = t["login_need_link"]
            elif not auth.token_valid(token):
                error, status_code = t["login_bad_token"], 403
        response = render(request, "login.html", {
            "csrf": nonce, "token": token or "", "password_mode": auth.uses_password, "error": error,
            "name": name or auth.default_reviewer, "next": safe_next(request.query_params.get("next")),
            "can_submit": auth.uses_password or (bool(token) and auth.token_valid(token)),
        }, status_code)
        response.set_cookie(PRE_LOGIN_COOKIE, nonce, max_age=3600, path="/login", httponly=True, samesite="strict")
        return response

    async def login(request: Request) -> Response:
        if request.method == "GET":
            if session_of(request):
                return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
            return login_form(request)
        form = await request.form()
        t = LABELS[lang_of(request)]
        if not csrf_ok(request.cookies.get(PRE_LOGIN_COOKIE), form.get("csrf")):
            return refused(request)
        name = str(form.get("name") or "")
        client = request.client.host if request.client else "?"
        if auth.uses_password:
            if auth.too_many_failures(client):
                return login_form(request, error=t["login_locked"], status_code=429, name=name)
            session = await run_in_threadpool(auth.login_with_password, str(form.get("password") or ""), name,
                                              client)
            if session is None:
                return login_form(request, error=t["login_bad_password"], status_code=403, name=name)
        else:
            session = auth.login_with_token(str(form.get("token") or ""), name)
            if session is None:
                return login_form(request, error=t["login_bad_token"], status_code=403, name=name, token="")
        response = RedirectResponse(safe_next(str(form.get("next") or "/")), status_code=303)
        response.set_cookie(SESSION_COOKIE, session.id, max_age=SESSION_HOURS * 3600, path="/", httponly=True,
                            samesite="strict")
        response.delete_cookie(PRE_LOGIN_COOKIE, path="/login")
        return response

    async def logout(request: Request) -> Response:
        session = session_of(request)
        form = await request.form()
        if session is None or not csrf_ok(session.csrf, form.get("csrf")):
            return refused(request)
        auth.logout(session.id)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(SESSION_COOKIE, path="/")
        return response

    # ------------------------------------------------------------------------------ queue
    def filters_of(request: Request) -> dict:
        q = request.query_params
        status = q.get("status") or None
        return {"status": status if status in STATUSES else None, "area": q.get("area") or None,
                "announcement": q.get("announcement") or None, "tag": q.get("tag") or None}

    def queue_page(request: Request) -> Response:
        if session_of(request) is None:
            return login_redirect(request)
        filters = filters_of(request)
        try:
            page_no = max(1, int(request.query_params.get("page", "1")))
        except ValueError:
            page_no = 1
        conn = connect()
        try:
            page = queue.list_items(conn, **filters, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE,
                                    newest_first=True)
            counts, facets = queue.counts(conn), queue.facets(conn)
        finally:
            conn.close()
        active = {k: v for k, v in filters.items() if v}
        pages = max(1, math.ceil(page.total / PAGE_SIZE))

        def url(**changes) -> str:
            params = {**active, **changes}
            return "/?" + urlencode({k: v for k, v in params.items() if v})

        areas = sorted(set(ws.config.areas) | set(facets["areas"]))
        return render(request, "queue.html", {
            "page": page, "page_no": page_no, "pages": pages, "filters": filters, "active": active,
            "counts": counts, "total_all": sum(counts.values()), "facets": facets, "areas": areas,
            "area_names": {a.id: a.name for a in ws.config.areas.values()},
            "prev_url": url(page=page_no - 1) if page_no > 1 else None,
            "next_url": url(page=page_no + 1) if page_no < pages else None,
            "status_url": lambda s: url(status=s, page=None), "export_params": active,
        })

    def export_csv(request: Request) -> Response:
        if session_of(request) is None:
            return login_redirect(request)
        redacted = request.query_params.get("redact") == "1"
        filters = filters_of(request)
        conn = connect()
        try:
            text = csv_text(queue.iter_all(conn, **filters), redacted=redacted)
        finally:
            conn.close()
        name = f"phan-hoi-{datetime.now(ws.config.tz):%Y-%m-%d}.csv"
        return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                        headers={"Content-Disposition": f'attachment; filename="{name}"',
                                 "Cache-Control": "no-store"})

    # ------------------------------------------------------------------------------ one item
    def audio_path(item: FeedbackItem) -> Path | None:
        root = ws.feedback_dir.resolve()
        path = (root / item.stored_path).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path

    def linked_announcement(item: FeedbackItem):
        if not item.announcement_id:
            return None
        from broadcast.intake.announcements import load_announcements

        if not ws.announcements_dir.is_dir():
            return None
        good, _ = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
        return next((a for a in good if a.id == item.announcement_id), None)

    def item_context(item: FeedbackItem, session: Session, form: dict | None = None) -> dict:
        values = form or {
            "corrected_transcript": item.best_transcript, "note": item.note or "",
            "tags": ", ".join(item.tags), "status": item.status,
            "reviewer": session.reviewer or item.reviewer or "",
        }
        return {"item": item, "form": values, "version": item.version, "has_audio": audio_path(item) is not None,
                "announcement": linked_announcement(item), "csrf": session.csrf,
                "area_names": {a.id: a.name for a in ws.config.areas.values()}}

    def item_page(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return login_redirect(request)
        conn = connect()
        try:
            item = queue.get_item(conn, request.path_params["item_id"])
        except ItemNotFound:
            return render(request, "message.html", {"message": LABELS[lang_of(request)]["not_found"]}, 404)
        finally:
            conn.close()
        return render(request, "item.html", {**item_context(item, session),
                                             "saved": request.query_params.get("saved") == "1"})

    async def save_item(request: Request) -> Response:
        session = session_of(request)
        if session is None:
            return refused(request)
        form = await request.form()
        if not csrf_ok(session.csrf, form.get("csrf")):
            return refused(request)
        item_id = request.path_params["item_id"]
        values = {k: str(form.get(k) or "").replace("\r\n", "\n")
                  for k in ("corrected_transcript", "note", "tags", "status", "reviewer")}
        action = str(form.get("action") or "save")
        try:
            version = int(str(form.get("version")))
        except ValueError:
            return refused(request, 400)
        if action not in ACTIONS or (values["status"] and values["status"] not in STATUSES):
            return refused(request, 400)
        reviewer = values["reviewer"].strip()[:80] or session.reviewer

        def save() -> FeedbackItem:
            conn = connect()
            try:
                current = queue.get_item(conn, item_id)
                if current.version != version:
                    raise VersionConflict(f"feedback item #{item_id} changed")
                changes: dict = {}
                status = ACTIONS[action] or values["status"] or current.status
                if status != current.status:
                    changes["status"] = status
                text = values["corrected_transcript"]
                if text != current.best_transcript:
                    changes["corrected_transcript"] = text if text.strip() else None
                note = values["note"].strip() or None
                if note != current.note:
                    changes["note"] = note
                wanted = [t.strip() for t in values["tags"].split(",") if t.strip()]
                add = [t for t in wanted if t not in current.tags]
                remove = [t for t in current.tags if t not in wanted]
                if not changes and not add and not remove:
                    return current
                return queue.update_item(conn, item_id, version, actor=reviewer, add_tags=add,
                                         remove_tags=remove, reviewer=reviewer, **changes)
            finally:
                conn.close()

        try:
            await run_in_threadpool(save)
        except ItemNotFound:
            return render(request, "message.html", {"message": LABELS[lang_of(request)]["not_found"]}, 404)
        except VersionConflict:
            conn = connect()
            try:
                current = queue.get_item(conn, item_id)
            finally:
                conn.close()
            # Their text stays in the form; the hidden version becomes the stored one, so saving
            # again is a deliberate overwrite of what they have now seen.
            return render(request, "item.html", {**item_context(current, session, values),
                                                 "conflict": {"yours": version, "now": current.version,
                                                              "who": current.reviewer or "?"}}, 409)
        except QueueError as exc:
            conn = connect()
            try:
                current = queue.get_item(conn, item_id)
            finally:
                conn.close()
            ctx = item_context(current, session, values)
            ctx["version"] = version
            return render(request, "item.html", {**ctx, "error": str(exc)}, 400)
        session.reviewer = reviewer
        return RedirectResponse(f"/items/{item_id}?saved=1", status_code=303)

    def item_audio(request: Request) -> Response:
        if session_of(request) is None:
            return PlainTextResponse("sign in first", status_code=401)
        conn = connect()
        try:
            item = queue.get_item(conn, request.path_params["item_id"])
        except ItemNotFound:
            return PlainTextResponse("not found", status_code=404)
        finally:
            conn.close()
        path = audio_path(item)
        if path is None:
            return PlainTextResponse("recording missing", status_code=404)
        if path.suffix.lower() not in BROWSER_PLAYABLE:
            try:
                path = playable_copy(path, ws.feedback_dir / "store" / ".play")
            except BroadcastError as exc:
                return PlainTextResponse(f"cannot play this recording in a browser: {exc.reason}",
                                         status_code=415)
        media_type = AUDIO_TYPES.get(path.suffix.lower()) or mimetypes.guess_type(path.name)[0] or \
            "application/octet-stream"
        # Starlette's FileResponse answers Range requests (206 + Content-Range, Accept-Ranges).
        return FileResponse(path, media_type=media_type, headers={"Cache-Control": "private, max-age=3600"})

    routes = [
        Route("/", queue_page),
        Route("/login", login, methods=["GET", "POST"]),
        Route("/logout", logout, methods=["POST"]),
        Route("/export.csv", export_csv),
        Route("/items/{item_id:int}", item_page, methods=["GET"]),
        Route("/items/{item_id:int}", save_item, methods=["POST"]),
        Route("/items/{item_id:int}/audio", item_audio),
        Route("/favicon.ico", lambda request: Response(status_code=204)),  # browsers ask; nothing to show
        Mount("/static", StaticFiles(directory=STATIC_DIR), name="static"),
    ]
    middleware = [Middleware(SecurityHeaders)]
    if loopback:
        middleware.append(Middleware(TrustedHostMiddleware,
                                     allowed_hosts=["127.0.0.1", "localhost", "[::1]", "::1"]))
    return Starlette(routes=routes, middleware=middleware)
