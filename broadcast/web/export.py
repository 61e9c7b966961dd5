"""`/export.csv`: the queue (with the page's filters) as the same CSV `broadcast review export`
writes — UTF-8 with BOM for Excel, phone and ID numbers masked with `?redact=1`."""

from __future__ import annotations

from datetime import datetime

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from broadcast.feedback import queue
from broadcast.feedback.export import csv_text
from broadcast.web.case_view import queue_case_filters
from broadcast.web.site import connect, login_redirect, queue_filters, session_of, site_of


def export_csv(request: Request) -> Response:
    if session_of(request) is None:
        return login_redirect(request)
    redacted = request.query_params.get("redact") == "1"
    filters = {**queue_filters(request), **queue_case_filters(request)}   # the queue page's, case ones too
    conn = connect(request)
    try:
        text = csv_text(queue.iter_all(conn, **filters), redacted=redacted)
    finally:
        conn.close()
    name = f"phan-hoi-{datetime.now(site_of(request).ws.config.tz):%Y-%m-%d}.csv"
    return Response(text.encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})


ROUTES = [Route("/export.csv", export_csv)]
