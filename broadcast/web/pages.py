"""The queue and one item: `/` (counts, filters, newest first, 25 a page) and `/items/{id}`
(recording, machine transcript whose segments seek the player, the editable correction, tags,
status, note, the linked announcement's text). Saving is conditional on the version the
reviewer read: a stale form gets the conflict page with their text still in it. The audit log
names the signed-in reviewer; the form's reviewer field only fills the item's reviewer."""

from __future__ import annotations

import math
from urllib.parse import urlencode

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from broadcast.feedback import queue
from broadcast.feedback.models import STATUSES, FeedbackItem, ItemNotFound, QueueError, VersionConflict
from broadcast.intake.announcements import load_announcements
from broadcast.web.auth import Session
from broadcast.web.case_view import case_context, queue_case_context, queue_case_filters
from broadcast.web.media import recording_path
from broadcast.web.site import (
    MAX_ID,
    area_names,
    connect,
    item_id_of,
    login_redirect,
    not_found,
    queue_filters,
    refused,
    render,
    session_of,
    signed_form,
    signed_in,
    site_of,
    whole_number,
)
from broadcast.web.text import reviewer_name

PAGE_SIZE = 25
ACTIONS = {"save": None, "resolve": "closed", "dismiss": "dismissed"}
FORM_FIELDS = ("corrected_transcript", "note", "tags", "status", "reviewer")


def queue_page(request: Request) -> Response:
    if session_of(request) is None:
        return login_redirect(request)
    filters = queue_filters(request)
    case_filters = queue_case_filters(request)   # unit, category, overdue, group, order (web/case_view.py)
    asked = request.query_params.get("page")
    page_no = whole_number(asked) if asked else 1
    if page_no is None or page_no > MAX_ID // PAGE_SIZE:
        return not_found(request)
    conn = connect(request)
    try:
        page = queue.list_items(conn, **filters, **case_filters, limit=PAGE_SIZE, offset=(page_no - 1) * PAGE_SIZE,
                                newest_first=True)
        counts, facets = queue.counts(conn), queue.facets(conn)
    finally:
        conn.close()
    active = {k: v for k, v in {**filters, **case_filters.params}.items() if v}
    pages = max(1, math.ceil(page.total / PAGE_SIZE))
    if page_no > pages:
        return not_found(request)

    def url(**changes) -> str:
        params = {**active, **changes}
        return "/?" + urlencode({k: v for k, v in params.items() if v})

    areas = sorted(set(site_of(request).ws.config.areas) | set(facets["areas"]))
    return render(request, "queue.html", {
        "page": page, "page_no": page_no, "pages": pages, "filters": filters, "active": active,
        "counts": counts, "total_all": sum(counts.values()), "facets": facets, "areas": areas,
        "area_names": area_names(request),
        "prev_url": url(page=page_no - 1) if page_no > 1 else None,
        "next_url": url(page=page_no + 1) if page_no < pages else None,
        "status_url": lambda s: url(status=s, page=None), "export_params": active,
        "case_filters": case_filters.params, "sort_url": lambda o: url(order=o, page=None),
        **queue_case_context(request),
    })


def linked_announcement(request: Request, item: FeedbackItem):
    """The announcement the item answers, read from the announcements folder; None if absent."""
    ws = site_of(request).ws
    if not item.announcement_id or not ws.announcements_dir.is_dir():
        return None
    good, _ = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
    return next((a for a in good if a.id == item.announcement_id), None)


def item_context(request: Request, item: FeedbackItem, session: Session, form: dict | None = None) -> dict:
    values = form or {
        "corrected_transcript": item.best_transcript, "note": item.note or "",
        "tags": ", ".join(item.tags), "status": item.status,
        "reviewer": session.reviewer or item.reviewer or "",
    }
    return {"item": item, "form": values, "version": item.version,
            "has_audio": recording_path(site_of(request).ws, item) is not None,
            "announcement": linked_announcement(request, item), "csrf": session.csrf,
            "area_names": area_names(request), **case_context(request, item)}


def item_page(request: Request) -> Response:
    got = signed_in(request, item_id_of)
    if isinstance(got, Response):
        return got
    session, item_id = got
    conn = connect(request)
    try:
        item = queue.get_item(conn, item_id)
    except ItemNotFound:
        return not_found(request)
    finally:
        conn.close()
    return render(request, "item.html", {**item_context(request, item, session),
                                         "saved": request.query_params.get("saved") == "1"})


def _current(request: Request, item_id: int) -> FeedbackItem:
    conn = connect(request)
    try:
        return queue.get_item(conn, item_id)
    finally:
        conn.close()


def _save(request: Request, item_id: int, version: int, action: str, values: dict, actor: str,
          reviewer: str) -> FeedbackItem:
    """Apply the form to the item read at `version` (only what differs), in the audit log as
    `actor`; VersionConflict if stale."""
    conn = connect(request)
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
        return queue.update_item(conn, item_id, version, actor=actor, add_tags=add, remove_tags=remove,
                                 reviewer=reviewer, **changes)
    finally:
        conn.close()


async def save_item(request: Request) -> Response:
    got = signed_in(request, item_id_of, unsigned=refused)
    if isinstance(got, Response):
        return got
    session, item_id = got
    form = await signed_form(request, session)
    if form is None:
        return refused(request)
    values = {k: str(form.get(k) or "").replace("\r\n", "\n") for k in FORM_FIELDS}
    action = str(form.get("action") or "save")
    version = whole_number(str(form.get("version") or ""))
    if version is None or action not in ACTIONS or (values["status"] and values["status"] not in STATUSES):
        return refused(request, 400)
    reviewer = reviewer_name(values["reviewer"]) or session.reviewer
    try:
        await run_in_threadpool(_save, request, item_id, version, action, values, session.reviewer, reviewer)
    except ItemNotFound:
        return not_found(request)
    except VersionConflict:
        current = _current(request, item_id)
        # Their text stays in the form; the hidden version becomes the stored one, so saving
        # again is a deliberate overwrite of what they have now seen.
        return render(request, "item.html", {**item_context(request, current, session, values),
                                             "conflict": {"yours": version, "now": current.version,
                                                          "who": current.reviewer or "?"}}, 409)
    except QueueError as exc:
        ctx = item_context(request, _current(request, item_id), session, values)
        ctx["version"] = version
        return render(request, "item.html", {**ctx, "error": str(exc)}, 400)
    return RedirectResponse(f"/items/{item_id}?saved=1", status_code=303)


ROUTES = [
    Route("/", queue_page),
    # {item_id} is read by item_id_of: an id past MAX_ID is a 404, not a database overflow.
    Route("/items/{item_id}", item_page, methods=["GET"]),
    Route("/items/{item_id}", save_item, methods=["POST"]),
]
