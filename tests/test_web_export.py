"""`/export.csv` exports what the queue page shows: its filters, the case ones (unit, category,
overdue) included, against the real `broadcast review serve` process."""

from __future__ import annotations

import csv
import io

from test_review_web import add
from test_web_auth import serve  # noqa: F401 (a fixture)

from broadcast.core import db
from broadcast.core.config import load_workspace
from broadcast.feedback import cases


def exported(client, **params) -> set[str]:
    answer = client.get("/export.csv", params=params)
    assert answer.status_code == 200, answer.text
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    return {row[next(k for k in row if "transcript" in k.lower())] for row in rows}


def test_export_follows_the_unit_category_and_overdue_filters(serve):
    server = serve()
    ws = load_workspace(server.root)
    conn = db.connect(ws.db_path)
    old = add(conn, "old", "Đường vào bản bị ngập", received="2020-01-06T08:00:00+07:00")
    add(conn, "new", "Loa bản Mến bị hỏng", received="2099-12-20T08:00:00+07:00")
    rules = cases.Cases.of(ws)
    cases.admit(conn, rules)
    category = next(iter(rules.rules.categories))
    unit = next(iter(rules.rules.units))
    cases.assign(conn, rules, old, unit=unit, category=category, by="Trạm")
    conn.close()
    client = server.sign_in()
    assert exported(client) == {"Đường vào bản bị ngập", "Loa bản Mến bị hỏng"}
    assert exported(client, category=category) == {"Đường vào bản bị ngập"}
    assert exported(client, unit=unit) == {"Đường vào bản bị ngập"}
    assert exported(client, overdue="1") == {"Đường vào bản bị ngập"}     # due in 2020, never answered
    assert exported(client, status="new") == {"Loa bản Mến bị hỏng"}
