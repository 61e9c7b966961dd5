"""What every page of the web app shares: the `Site` (one workspace, its sign-ins, templates and
words), kept on `app.state.site`, and the helpers a handler answers with — render a page,
refuse, send to the sign-in form, open the queue database, read the queue filters.

Handlers are plain module-level functions `handler(request) -> Response`; they reach the
workspace through `site_of(request)`, never through a closure."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.templating import Jinja2Templates

from broadcast.core.config import Workspace
from broadcast.core.pg import connect_queue
from broadcast.feedback.models import STATUSES
from broadcast.web.auth import SESSION_COOKIE, Auth, Session
from broadcast.web.labels import LANGUAGES

LANG_COOKIE = "broadcast_lang"


@dataclass
class Site:
    """One workspace served: the state behind every page."""

    ws: Workspace
    auth: Auth
    templates: Jinja2Templates
    labels: dict[str, dict[str, str]]   # LABELS plus the words of every route module
    default_lang: str = "vi"


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
