"""The office web app behind `broadcast review serve`: server-rendered pages (Starlette +
Jinja2, a little plain JS, no build step) over the review queue (broadcast.feedback.queue).

Modules (`from broadcast.web.app import create_app`):
    app       create_app(ws, auth, ...): the Starlette app, built from ROUTE_MODULES
    site      Site (the workspace's state on app.state.site) and the helpers handlers answer
              with: site_of, session_of, words, render, message, refused, not_found,
              login_redirect, signed_in, signed_form, connect, read_form, whole_number
    session   /login, /logout          pages    /, /items/{id}
    media     /items/{id}/audio        export   /export.csv
    auth      one-time links, the password, sessions, CSRF tokens
    security  headers on every response, the body-size cap, the Host allow-list
    text      how values are shown: filters, bidi and control characters escaped
    labels    the words of the pages, Vietnamese and English

Adding a page (e.g. a recording studio at /studio):

1. Write `broadcast/web/studio.py` with module-level handlers and a ROUTES list::

       from starlette.routing import Route
       from broadcast.web.site import login_redirect, render, session_of, site_of

       LABELS = {"vi": {"studio": "Phòng thu"}, "en": {"studio": "Studio"}}   # optional

       def studio_page(request):
           if session_of(request) is None:
               return login_redirect(request)
           ws = site_of(request).ws          # the workspace being served
           return render(request, "studio.html", {"recordings": ...})

       ROUTES = [Route("/studio", studio_page)]

2. Put `templates/studio.html` beside the others (`{% extends "base.html" %}`; words as
   `{{ t.studio }}`), any script or style file in static/ (the CSP allows only those).
3. Register it: add `studio` to ROUTE_MODULES in broadcast/web/app.py — the one line.

A handler for a path naming something starts with `signed_in(request, find)` (the session and
`find(request)`, e.g. item_id_of, or the answer to return: the sign-in form, or `unsigned=refused`
for a form's handler; not_found). A handler that takes a form reads it with `await
signed_form(request, session)`, None unless it carries the session's CSRF token (answer
`refused`): read_form's bounded fields, or `read=` a reader of its own (read_form with
`limits={"field": chars}` for a longer field); the form carries `<input type="hidden"
name="csrf" value="{{ session.csrf }}">`. Request bodies are capped at security.MAX_BODY_BYTES for every
route (an upload page needs its own, larger cap for its one route). An id in the path is read
with `whole_number` (1 … 2⁶³−1, else 404). Long work (ffmpeg, a model) goes through
`starlette.concurrency.run_in_threadpool` or a plain `def` handler (Starlette runs those in its
thread pool). Every value a template shows passes text.shown (bidi and control characters
escaped); use `| one_line` for values that must stay on one line."""

# The modules, not their names: importing the package stays cheap (auth and labels need only the
# standard library), so a command that only hashes a password does not load Starlette.
__all__ = ["app", "auth", "export", "labels", "media", "pages", "security", "session", "site", "text"]
