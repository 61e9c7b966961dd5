"""Signing in and out: `/login` (a one-time link's token, or the workspace password) and
`/logout`. Every form carries a CSRF token: the login form's lives in a pre-login cookie,
every later form's in the session."""

from __future__ import annotations

import secrets

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from broadcast.web.auth import PRE_LOGIN_COOKIE, SESSION_COOKIE, SESSION_HOURS, TooManyAttempts, csrf_ok
from broadcast.web.site import read_form, refused, render, safe_next, session_of, signed_form, site_of, words


def login_form(request: Request, *, error: str | None = None, status_code: int = 200,
               token: str | None = None, name: str | None = None) -> Response:
    auth = site_of(request).auth
    nonce = secrets.token_urlsafe(24)
    t = words(request)
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
    auth = site_of(request).auth
    if request.method == "GET":
        if session_of(request):
            return RedirectResponse(safe_next(request.query_params.get("next")), status_code=303)
        return login_form(request)
    form = await read_form(request)
    t = words(request)
    if not csrf_ok(request.cookies.get(PRE_LOGIN_COOKIE), form.get("csrf")):
        return refused(request)
    name = str(form.get("name") or "")
    # The connection's address: uvicorn rewrites it from X-Forwarded-For only for the
    # addresses in [review] trusted_proxies (cli/web.py), so a client cannot pick its own.
    client = request.client.host if request.client else "?"
    if auth.uses_password:
        try:
            session = await run_in_threadpool(auth.login_with_password, str(form.get("password") or ""), name,
                                              client)
        except TooManyAttempts:
            return login_form(request, error=t["login_locked"], status_code=429, name=name)
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
    if session is None:
        return refused(request)   # without reading the body
    if await signed_form(request, session) is None:
        return refused(request)
    site_of(request).auth.logout(session.id)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


ROUTES = [
    Route("/login", login, methods=["GET", "POST"]),
    Route("/logout", logout, methods=["POST"]),
]
