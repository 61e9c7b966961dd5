"""The web app: one Starlette application built from the route modules.

Each route module (session, pages, media, export) holds module-level handlers and a `ROUTES`
list, and may add words for its templates in a `LABELS` dict; `create_app` joins them, puts
the workspace's state on `app.state.site` (broadcast.web.site.Site) and wraps it in the
security middleware. A new page is one more module in ROUTE_MODULES.

Outermost to innermost: SecurityHeaders and BodyLimit (outside Starlette's error middleware,
so a 500 carries the headers too), the error middleware (a plain page; the traceback goes to
the server's log), the Host allow-list, then the routes."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from broadcast.core.config import Workspace
from broadcast.web import cases, export, media, pages, session, studio
from broadcast.web.auth import Auth
from broadcast.web.labels import LABELS, LANGUAGES
from broadcast.web.security import LOOPBACK_HOSTS, BodyLimit, SecurityHeaders
from broadcast.web.site import Site, message, templates

STATIC_DIR = Path(__file__).parent / "static"
# The pages of the app, in the order their routes are matched. A new page: one more module here.
ROUTE_MODULES = (session, pages, media, export, cases, studio)


class WebApp(Starlette):
    """Starlette with SecurityHeaders and BodyLimit around its whole stack, error page included."""

    def build_middleware_stack(self):
        return SecurityHeaders(BodyLimit(super().build_middleware_stack()))


def server_error(request: Request, exc: Exception) -> Response:
    """What the browser sees of an unexpected failure: a plain page, no traceback, no paths."""
    try:
        return message(request, "server_error", 500)
    except Exception:   # the page itself cannot be made (templates, configuration)
        return PlainTextResponse("Internal Server Error", status_code=500)


def favicon(request: Request) -> Response:
    return Response(status_code=204)  # browsers ask; nothing to show


def all_routes(modules=ROUTE_MODULES) -> list[BaseRoute]:
    routes = [route for module in modules for route in module.ROUTES]
    return routes + [Route("/favicon.ico", favicon), Mount("/static", StaticFiles(directory=STATIC_DIR), name="static")]


def all_labels(modules=ROUTE_MODULES) -> dict[str, dict[str, str]]:
    """LABELS plus the words each route module adds in its own `LABELS` (every language, new keys only)."""
    merged = {lang: dict(LABELS[lang]) for lang in LANGUAGES}
    for module in modules:
        extra = getattr(module, "LABELS", None) or {}
        keys = [frozenset(extra.get(lang, {})) for lang in LANGUAGES]
        if extra and (len(set(keys)) != 1 or set(extra) != set(LANGUAGES)):
            raise ValueError(f"{module.__name__}.LABELS must give the same words in {', '.join(LANGUAGES)}")
        clash = keys[0] & LABELS[LANGUAGES[0]].keys() if extra else set()
        if clash:
            raise ValueError(f"{module.__name__}.LABELS redefines {', '.join(sorted(clash))}")
        for lang, words in extra.items():
            merged[lang].update(words)
    return merged


def create_app(ws: Workspace, auth: Auth, *, allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
               language: str | None = None) -> Starlette:
    """The review app for one workspace, answering only requests whose Host is in
    `allowed_hosts` (security.allowed_hosts; other names get 400 — DNS rebinding)."""
    middleware = [Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts))]
    app = WebApp(routes=all_routes(), middleware=middleware, exception_handlers={500: server_error})
    app.state.site = Site(ws=ws, auth=auth, templates=templates(ws.config.tz), labels=all_labels(),
                          default_lang=language if language in LANGUAGES else "vi")
    return app
