"""`POST /items/{id}/case`: the case actions of the item page — assign (unit, category: the due
date follows), reply (text, by whom, dated now), close, and confirm the suggested announcement —
through broadcast.feedback.cases, conditional on the version the reviewer read, in the audit log
under the signed-in reviewer. A stale form gets the conflict page with the reply still typed in."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from broadcast.feedback import cases
from broadcast.feedback.models import ItemNotFound, QueueError, VersionConflict
from broadcast.web import pages
from broadcast.web.case_view import case_context, rules_of
from broadcast.web.site import (
    connect,
    item_id_of,
    not_found,
    read_form,
    refused,
    render,
    signed_form,
    signed_in,
    whole_number,
)
from broadcast.web.text import reviewer_name

ACTIONS = ("assign", "reply", "close", "link")
FIELDS = ("unit", "category", "assign_note", "reply_text", "reply_by", "close_note")
LIMITS = {"reply_text": 4_000, "assign_note": 1_000, "close_note": 1_000}

LABELS = {
    "vi": {
        "case": "Giải quyết", "unit": "Đơn vị xử lý", "category": "Lĩnh vực", "due": "Hạn trả lời",
        "overdue": "Quá hạn", "no_unit": "(chưa giao)", "no_category": "(chưa phân loại)",
        "days": "ngày làm việc", "assign": "Giao xử lý", "assign_note": "Ghi chú khi giao",
        "reply": "Trả lời người dân", "reply_by": "Người trả lời", "save_reply": "Lưu trả lời",
        "replied": "Đã trả lời", "reply_approved": "Lãnh đạo đã duyệt nội dung trả lời",
        "reply_not_approved": "Nội dung trả lời chưa được duyệt (để làm tin nhắn thoại)",
        "close_case": "Đóng vụ việc", "close_note": "Cách đã giải quyết", "contact": "Liên hệ",
        "history": "Lịch sử giao việc", "suggested": "Có thể trả lời thông báo",
        "confirm_link": "Xác nhận liên kết", "sort_due": "Sắp theo hạn", "sort_received": "Sắp theo ngày nhận",
        "only_overdue": "Chỉ quá hạn", "voice_reply": "Tin nhắn thoại trả lời", "group": "Nhóm trùng",
        "late": "trễ hạn",
    },
    "en": {
        "case": "Case", "unit": "Unit", "category": "Category", "due": "Due",
        "overdue": "Overdue", "no_unit": "(not assigned)", "no_category": "(no category)",
        "days": "working days", "assign": "Assign", "assign_note": "Note for the unit",
        "reply": "Reply to the citizen", "reply_by": "Replied by", "save_reply": "Save reply",
        "replied": "Replied", "reply_approved": "The reply text is approved",
        "reply_not_approved": "The reply text is not approved yet (needed for a voice reply)",
        "close_case": "Close the case", "close_note": "How it was handled", "contact": "Contact",
        "history": "Assignments", "suggested": "May answer the announcement",
        "confirm_link": "Confirm the link", "sort_due": "Sort by due date", "sort_received": "Sort by received",
        "only_overdue": "Overdue only", "voice_reply": "Voice reply", "group": "Duplicates group",
        "late": "late",
    },
}


def _apply(request: Request, item_id: int, version: int, action: str, values: dict, actor: str) -> None:
    rules = rules_of(request)
    conn = connect(request)
    try:
        if action == "assign":
            cases.assign(conn, rules, item_id, unit=values["unit"] or None, category=values["category"] or None,
                         by=actor, note=values["assign_note"].strip() or None, expected_version=version)
        elif action == "reply":
            cases.reply(conn, rules, item_id, text=values["reply_text"],
                        by=reviewer_name(values["reply_by"]) or actor, expected_version=version)
        elif action == "close":
            cases.close(conn, rules, item_id, by=actor, note=values["close_note"].strip() or None,
                        expected_version=version)
        else:
            cases.link(conn, item_id, None, by=actor, expected_version=version)
    finally:
        conn.close()


def _page_again(request: Request, item_id: int, session, values: dict, status_code: int, **extra) -> Response:
    """The item page as stored now, with what the reviewer typed still in the case form."""
    conn = connect(request)
    try:
        current = cases.queue.get_item(conn, item_id)
        ctx = {**pages.item_context(request, current, session), **case_context(request, current, values)}
    finally:
        conn.close()
    return render(request, "item.html", {**ctx, **extra}, status_code)


def _read(request: Request):
    """The case form: read_form's bounds, with room for the reply and the notes (LIMITS)."""
    return read_form(request, limits=LIMITS)


async def case_action(request: Request) -> Response:
    got = signed_in(request, item_id_of, unsigned=refused)
    if isinstance(got, Response):
        return got
    session, item_id = got
    form = await signed_form(request, session, _read)
    if form is None:
        return refused(request)
    action = str(form.get("action") or "")
    version = whole_number(str(form.get("case_version") or ""))
    if version is None or action not in ACTIONS:
        return refused(request, 400)
    values = {k: str(form.get(k) or "").replace("\r\n", "\n") for k in FIELDS}
    try:
        await run_in_threadpool(_apply, request, item_id, version, action, values, session.reviewer)
    except ItemNotFound:
        return not_found(request)
    except QueueError as exc:      # a conflict or a refused value: the page again, as typed
        try:
            return await run_in_threadpool(_refused_again, request, item_id, session, values, version, exc)
        except ItemNotFound:       # refused before it was looked up (an empty reply), and not there
            return not_found(request)
    return RedirectResponse(f"/items/{item_id}?saved=1#case", status_code=303)


def _refused_again(request: Request, item_id: int, session, values: dict, version: int,
                   exc: QueueError) -> Response:
    if isinstance(exc, VersionConflict):
        current = _current(request, item_id)
        return _page_again(request, item_id, session, values, 409, conflict={
            "yours": version, "now": current.version, "who": current.reviewer or "?"})
    return _page_again(request, item_id, session, values, 400, error=str(exc))


def _current(request: Request, item_id: int):
    conn = connect(request)
    try:
        return cases.queue.get_item(conn, item_id)
    finally:
        conn.close()


ROUTES = [Route("/items/{item_id}/case", case_action, methods=["POST"])]
