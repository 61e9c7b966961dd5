"""What the pages show of a feedback case (broadcast.feedback.cases): on the item page the unit,
category, due date (overdue highlighted), reply, approval and assignment history, with the
choices its case form offers; on the queue page the due date of each row and whether it is
overdue, the unit and category filters and the sort by due date."""

from __future__ import annotations

from starlette.requests import Request

from broadcast.feedback.cases import Cases, admit, reply_approval
from broadcast.feedback.models import FeedbackItem
from broadcast.web.site import connect, site_of, whole_number

ORDERS = ("received", "due")


def rules_of(request: Request) -> Cases:
    return Cases.of(site_of(request).ws)


def _approval(request: Request, item: FeedbackItem) -> dict | None:
    if item.reply_text is None:
        return None
    conn = connect(request)
    try:
        return reply_approval(conn, item)
    finally:
        conn.close()


def case_context(request: Request, item: FeedbackItem, form: dict | None = None) -> dict:
    """The `case` that templates/case.html reads; `form`: what the reviewer typed (after a
    refused save)."""
    rules = rules_of(request)
    values = form or {"unit": item.unit or "", "category": item.category or "", "reply_text": item.reply_text or "",
                      "assign_note": "", "close_note": ""}
    return {"case": {
        "rules": rules,
        "units": list(rules.rules.units.items()),
        "categories": [(c.id, c.name, c.days) for c in rules.rules.categories.values()],
        "unit_name": rules.unit_name(item.unit),
        "category_name": rules.category_name(item.category),
        "overdue": rules.is_overdue(item),
        "late": rules.state_on(item, rules.today()) == "late",
        "approval": _approval(request, item),
        "form": values,
    }}


class CaseFilters(dict):
    """The queue's case filters as `queue.list_items` takes them (unit, category, overdue_on,
    group, order); `.params` as the query string writes them."""

    @property
    def params(self) -> dict:
        return {"unit": self["unit"], "category": self["category"], "overdue": "1" if self["overdue_on"] else None,
                "group": str(self["group"]) if self["group"] else None,
                "order": self["order"] if self["order"] != "received" else None}


def queue_case_filters(request: Request) -> CaseFilters:
    """`unit`, `category`, `overdue=1` (on today), `group` and `order` from the query string;
    a value that names nothing configured is left out. Items queued since the last look (by
    `broadcast transcribe`) are admitted first (`cases.admit`), so every row has its due date."""
    q = request.query_params
    rules = rules_of(request)
    conn = connect(request)
    try:
        admit(conn, rules)
    finally:
        conn.close()
    return CaseFilters(
        unit=q.get("unit") if q.get("unit") in rules.rules.units else None,
        category=q.get("category") if q.get("category") in rules.rules.categories else None,
        overdue_on=rules.today().isoformat() if q.get("overdue") == "1" else None,
        group=whole_number(q.get("group")),
        order=q.get("order") if q.get("order") in ORDERS else "received",
    )


def queue_case_context(request: Request) -> dict:
    """What queue.html needs to show and filter cases."""
    rules = rules_of(request)
    return {"case_rules": rules, "case_units": list(rules.rules.units.items()),
            "case_categories": [(c.id, c.name) for c in rules.rules.categories.values()],
            "is_overdue": rules.is_overdue}
