"""The monthly feedback report: exact counts on a known month, spreadsheet-safe CSV, and HTML
that Chromium prints on A4 without cutting anything off."""

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest

from conftest import CHROMIUM
from test_feedback_cases import new, with_case_rules

from broadcast.core import db
from broadcast.feedback import cases, queue
from broadcast.feedback.report import monthly_report, report_csv, report_html
from broadcast.feedback.redact import PHONE_MASK

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]
A4_POINTS = (595.0, 842.0)          # 210 × 297 mm
A4_CONTENT_PX = round((210 - 24) / 25.4 * 96)   # the page less the @page side margins (12 mm each)
D = date.fromisoformat


@pytest.fixture
def month(ws):
    """November 2025: 40 items over six categories × units × areas, in every state, and a long
    tail of overdue ones so the report runs over several pages."""
    with_case_rules(ws)
    w = ws.load()
    rules = cases.Cases.of(w)
    conn = db.connect(w.db_path)
    plan = []
    for n in range(40):
        day = 3 + n % 20              # 3rd … 22nd
        received = f"2025-11-{day:02d}T08:{n:02d}:00+07:00"
        text = (f"Phản ánh số {n}: đường liên bản đoạn qua suối bị sạt lở, gọi lại 0912 345 {n:03d}. "
                + "Xin xã sớm cho người đến xem xét và sửa chữa để bà con đi lại an toàn. " * (n % 3))
        item, _ = queue.add_item(conn, new(f"{n:02d}", text=text, received=received,
                                           area=("men", "ly-xom", None)[n % 3]))
        plan.append(item.id)
    cases.admit(conn, rules)
    expected = {"on_time": 0, "late": 0, "open": 0, "overdue": 0, "dismissed": 0}
    for n, item_id in enumerate(plan):
        kind = n % 5
        category = ("ha-tang", "an-ninh", "chinh-sach", None)[n % 4]
        if category or kind:
            cases.assign(conn, rules, item_id, unit="kinh-te" if n % 2 else "cong-an", category=category, by="An")
        item = queue.get_item(conn, item_id)
        due = D(item.due_date)
        if kind == 0:
            cases.dismiss(conn, item_id, by="An")
        elif kind == 1:
            cases.reply(conn, rules, item_id, text="Đã xử lý.", by="An", on=min(due, D("2025-11-30")))
        elif kind == 2:
            late = rules.calendar.add(due, 1)
            if late <= D("2025-11-30"):
                cases.reply(conn, rules, item_id, text="Đã xử lý, chậm.", by="An", on=late)
        # kind 3 and 4: not answered
        state = rules.state_on(queue.get_item(conn, item_id), D("2025-11-30"))
        expected[state.replace("-", "_")] += 1
    return w, conn, rules, expected


def test_counts_and_csv(month):
    w, conn, rules, expected = month
    rep = monthly_report(conn, rules, "2025-11")
    assert rep.as_of == D("2025-11-30") and rep.total.counts["received"] == 40
    assert {k: rep.total.counts[k] for k in expected} == expected
    assert all(expected[k] for k in expected), expected          # the month has every state
    for dim in ("category", "unit", "area"):
        assert sum(r.counts["received"] for r in rep.by[dim]) == 40
        for k in expected:
            assert sum(r.counts[k] for r in rep.by[dim]) == expected[k], (dim, k)
    assert [r.key for r in rep.by["area"]] == ["men", "ly-xom", ""]   # most first (14, 13), the unknown last
    assert len(rep.overdue) == expected["overdue"]
    assert [o.due for o in rep.overdue] == sorted(o.due for o in rep.overdue)
    # working days that passed since the due date (an item due on Friday is overdue, 0 days, on Sunday)
    assert all(o.working_days_late == rules.calendar.between(o.due, rep.as_of) >= 0 for o in rep.overdue)
    assert max(o.working_days_late for o in rep.overdue) > 5

    text = report_csv(rep)
    assert text.startswith("\ufeff") and "\r\n" in text
    counts, overdue = text[1:].split("\r\n\r\n")
    rows = list(csv.DictReader(io.StringIO(counts)))
    assert rows[0]["dimension"] == "total" and int(rows[0]["overdue"]) == expected["overdue"]
    listed = list(csv.DictReader(io.StringIO(overdue)))
    assert len(listed) == expected["overdue"]
    assert all("0912 345" not in o["summary"] and PHONE_MASK in o["summary"] for o in listed)
    # one day earlier in the month, fewer answers existed
    earlier = monthly_report(conn, rules, "2025-11", as_of=D("2025-11-14"))
    assert earlier.total.counts["received"] < 40
    assert earlier.total.counts["on_time"] <= rep.total.counts["on_time"]


def test_csv_cells_never_start_a_formula(ws):
    with_case_rules(ws)
    w = ws.load()
    rules = cases.Cases.of(w)
    conn = db.connect(w.db_path)
    queue.add_item(conn, new("a", text='=HYPERLINK("http://x","bấm")', received="2025-11-03T08:00:00+07:00"))
    text = report_csv(monthly_report(conn, rules, "2025-11"))
    assert '\'=HYPERLINK' in text and not re.search(r"(^|,)=", text, re.M)


def test_html_prints_on_a4(month, tmp_path):
    from playwright.sync_api import sync_playwright

    w, conn, rules, expected = month
    rep = monthly_report(conn, rules, "2025-11")
    html = report_html(rep, generated="01/12/2025 08:00")
    path = tmp_path / "report.html"
    path.write_text(html, encoding="utf-8")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": A4_CONTENT_PX, "height": 1100})
        page.goto(path.as_uri())
        page.emulate_media(media="print")
        # nothing wider than the printable width of an A4 page
        widest = page.evaluate("""() => Math.max(document.documentElement.scrollWidth,
            ...[...document.querySelectorAll('table, h1, p, td')].map(e => e.getBoundingClientRect().right))""")
        assert widest <= A4_CONTENT_PX + 1, widest
        total = page.locator("table[data-dimension=category] tr.total td[data-count=received]").inner_text()
        assert total == "40"
        assert page.locator("#overdue tbody tr").count() == expected["overdue"]
        colour = page.locator("#overdue td.overdue").first.evaluate("e => getComputedStyle(e).color")
        assert colour == "rgb(164, 0, 0)"
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        browser.close()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert pages >= 2 and len(boxes) >= 1, (pages, boxes)
    for width, height in boxes:
        assert abs(float(width) - A4_POINTS[0]) < 2 and abs(float(height) - A4_POINTS[1]) < 2, (width, height)
    (tmp_path / "report.pdf").write_bytes(pdf)
