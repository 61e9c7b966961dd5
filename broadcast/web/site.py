"""What every page of the web app shares: the `Site` (one workspace, its sign-ins, templates and
words), kept on `app.state.site`, and the helpers a handler answers with — render a page,
refuse, send to the sign-in form, open the queue database, read the queue filters.

Handlers are plain module-level functions `handler(request) -> Response`; they reach the
workspace through `site_of(request)`, never through a closure."""

from __future__ import annotations

import functools

import threading
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import urlencode

from jinja2 import Environment, PackageLoader
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from broadcast.core.config import Workspace
from broadcast.core.pg import connect_queue
from broadcast.feedback.models import STATUSES
from broadcast.web.auth import SESSION_COOKIE, Auth, Session, csrf_ok
from broadcast.web.labels import LANGUAGES
from broadcast.web.security import MAX_BODY_BYTES
from broadcast.web.text import FILTERS, shown, when

LANG_COOKIE = "broadcast_lang"
# Item ids and page numbers beyond this are no item and no page (SQLite INTEGER, PostgreSQL BIGINT).
MAX_ID = 2**63 - 1
# Forms: at most this many fields, no files; each field at most FIELD_CHARS[name] characters
# (DEFAULT_FIELD_CHARS for the rest: tokens, names, numbers). The whole body is bounded by
# security.BodyLimit before any of this.
MAX_FIELDS = 32
FIELD_CHARS = {"corrected_transcript": 100_000, "note": 4_000, "tags": 1_000, "next": 2_000, "password": 1_000}
DEFAULT_FIELD_CHARS = 200
MEMO_SIZE = 256
T = TypeVar("T")


class Memo:
    """A bounded, thread-safe map that forgets its oldest entries (e.g. recordings ffmpeg
    could not convert, by sha256)."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> str | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: str, value: str) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


@dataclass
class Site:
    """One workspace served: the state behind every page."""

    ws: Workspace
    auth: Auth
    templates: Jinja2Templates
    labels: dict[str, dict[str, str]]   # LABELS plus the words of every route module
    default_lang: str = "vi"
    unplayable: Memo = field(default_factory=Memo)   # sha256 → why ffmpeg could not convert it


def templates(tz=None) -> Jinja2Templates:
    """The pages of broadcast/web/templates: every value autoescaped, and shown through
    text.shown (bidi and control characters as visible escapes); times in the commune's zone `tz`."""
    env = Environment(loader=PackageLoader("broadcast.web", "templates"), autoescape=True,
                      trim_blocks=True, lstrip_blocks=True, finalize=shown)
    env.filters.update(FILTERS)
    env.filters["when"] = functools.partial(when, tz=tz)
    return Jinja2Templates(env=env)


def site_of(request: Request) -> Site:
    return request.app.state.site


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang")
    if asked in LANGUAGES:
        return asked
    cookie = request.cookies.get(LANG_COOKIE)
    return cookie if cookie in LANGUAGES else site_of(request).default_lang


def words(request: Request) -> dict[str, str]:
    """The labels in the language this request is answered in."""
    return site_of(request).labels[lang_of(request)]


def session_of(request: Request) -> Session | None:
    return site_of(request).auth.session(request.cookies.get(SESSION_COOKIE))


async def read_form(request: Request, limits: Mapping[str, int] | None = None) -> FormData:
    """The request's form, bounded: MAX_FIELDS fields, no files, each field at most
    FIELD_CHARS (updated with `limits`) characters; 413 otherwise."""
    form = await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=MAX_BODY_BYTES)
    allowed = {**FIELD_CHARS, **(limits or {})}
    for key, value in form.multi_items():
        most = allowed.get(key, DEFAULT_FIELD_CHARS)
        if not isinstance(value, str) or len(value) > most:
            raise HTTPException(413, f"form field {key[:40]!r} is too long: at most {most} characters")
    return form


def item_id_of(request: Request) -> int | None:
    """The `{item_id}` of the path as a number, or None when it is no id an item can have."""
    return whole_number(request.path_params["item_id"])


def whole_number(text: str | None) -> int | None:
    """1 … MAX_ID written in ASCII digits, else None."""
    if not text or not text.isascii() or not text.isdigit() or len(text) > len(str(MAX_ID)):
        return None
    value = int(text)
    return value if 0 < value <= MAX_ID else None


def connect(request: Request):
    """The workspace's queue database (SQLite, or PostgreSQL: broadcast.core.pg); close it."""
    return connect_queue(site_of(request).ws)


def render(request: Request, name: str, context: dict, status_code: int = 200) -> Response:
    """A page from templates/ with what base.html needs (words, session, language switch)."""
    site = site_of(request)
    lang = lang_of(request)
    t = site.labels[lang]
    other = "en" if lang == "vi" else "vi"
    ctx = dict(t=t, lang=lang, session=session_of(request), statuses=STATUSES,
               status_label=lambda s: t.get(f"st_{s}", s),
               other_lang_url=str(request.url.include_query_params(lang=other)),
               commune=site.ws.config.commune_name, **context)
    response = site.templates.TemplateResponse(request, name, ctx, status_code=status_code,
                                               headers={"Cache-Control": "no-store"})
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, samesite="strict", httponly=True)
    return response


def message(request: Request, key: str, status_code: int) -> Response:
    """A page saying one thing (labels[key]) and linking back to the queue."""
    return render(request, "message.html", {"message": words(request)[key]}, status_code)


def refused(request: Request, status_code: int = 403) -> Response:
    return message(request, "forbidden", status_code)


def not_found(request: Request) -> Response:
    return message(request, "not_found", 404)


def login_redirect(request: Request) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}), status_code=303)


def signed_in(request: Request, find: Callable[[Request], T | None],
              unsigned: Callable[[Request], Response] = login_redirect) -> tuple[Session, T] | Response:
    """The signed-in session and what the path names (`find(request)`: an item id, a reading),
    or the answer when either is missing: `unsigned(request)` without a session (a page sends to
    the sign-in form; a form's handler refuses, before reading the body), else not_found when
    `find` gives None."""
    session = session_of(request)
    if session is None:
        return unsigned(request)
    found = find(request)
    if found is None:
        return not_found(request)
    return session, found


async def signed_form(request: Request, session: Session,
                      read: Callable[[Request], Awaitable[FormData | None]] = read_form) -> FormData | None:
    """The posted form when it carries `session`'s CSRF token, else None (answer `refused`).
    `read` reads it: read_form, or a page's own reader (None for a form it will not take)."""
    form = await read(request)
    if form is None or not csrf_ok(session.csrf, form.get("csrf")):
        return None
    return form


def safe_next(value: str | None) -> str:
    """Only a path on this server: never "//host" or "http://…" (no open redirect)."""
    if value and value.startswith("/") and not value.startswith("//") and "\\" not in value:
        return value
    return "/"


def queue_filters(request: Request) -> dict:
    """The queue filters in the query string (status, area, announcement, tag); None when unset."""
    q = request.query_params
    status = q.get("status") or None
    return {"status": status if status in STATUSES else None, "area": q.get("area") or None,
            "announcement": q.get("announcement") or None, "tag": q.get("tag") or None}


def area_names(request: Request) -> dict[str, str]:
    return {a.id: a.name for a in site_of(request).ws.config.areas.values()}
