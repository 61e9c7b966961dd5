"""The review page in Chromium with feedback as cases: due dates with the overdue highlighted,
sorting by due date, filters by unit and category, and the item page's assign, reply and close
(through `broadcast review serve`, as a reviewer uses it)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import CONFIG, make_workspace, write_tone
from test_feedback_cases import FEEDBACK
from test_review_web import ARTIFACTS, Server, add, browser, browser_login  # noqa: F401 (browser: a fixture)

from broadcast.core import audit, db
from broadcast.core.config import load_workspace
from broadcast.feedback import cases, queue

RED = "rgb(164, 0, 0)"


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = make_workspace(tmp_path_factory.mktemp("cases-web") / "ws", CONFIG + FEEDBACK)
    write_tone(root / "feedback" / "store" / "voice.wav", 4.0)
    now = datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).replace(microsecond=0)
    w = load_workspace(root)
    conn = db.connect(w.db_path)
    ids = {
        # received long ago, never answered: overdue
        "flood": add(conn, "flood", "Đường vào bản Mến bị ngập, xe máy không qua được",
                     received="2025-11-03T08:00:00+07:00", audio="store/voice.wav", area="men"),
        "theft": add(conn, "theft", "Nhà tôi ở Ly Xôm mất trộm con trâu", received="2025-11-05T08:00:00+07:00",
                     audio="store/voice.wav", area="ly-xom"),
        # received now: within its deadline
        "today": add(conn, "today", "Loa truyền thanh bản Mến bị hỏng", received=now.isoformat(),
                     audio="store/voice.wav", area="men"),
        # answered on time long ago: not overdue, whatever its due date
        "answered": add(conn, "answered", "Xin hỏi lịch tiêm chủng", received="2025-11-04T08:00:00+07:00",
                        audio="store/voice.wav"),
    }
    rules = cases.Cases.of(w)
    cases.admit(conn, rules)
    cases.assign(conn, rules, ids["theft"], unit=None, category="an-ninh", by="Trạm")
    cases.reply(conn, rules, ids["answered"], text="Ngày 15/11 tại trạm y tế.", by="Trạm",
                on=datetime(2025, 11, 6).date())
    conn.close()
    server = Server(root)
    yield {"root": root, "server": server, "ids": ids}
    server.stop()


def conn_of(site):
    return db.connect(load_workspace(site["root"]).db_path)


def test_queue_shows_due_dates_overdue_sorting_and_filters(browser, site):
    ids = site["ids"]
    context, page = browser_login(browser, site)
    row = lambda key: page.locator(f"table.items tr[data-id='{ids[key]}']")   # noqa: E731
    assert row("flood").get_attribute("data-overdue") == "yes"
    assert row("theft").get_attribute("data-overdue") == "yes"
    assert row("today").get_attribute("data-overdue") is None
    assert row("answered").get_attribute("data-overdue") is None
    assert "2025-11-17" in row("flood").locator("td.due").inner_text()
    assert row("flood").locator(".flag").inner_text() == "Quá hạn"
    assert row("flood").locator(".flag").evaluate("e => getComputedStyle(e).color") == RED
    assert row("theft").locator("td").nth(4).inner_text() == "Công an xã"       # unit, from its category
    page.screenshot(path=str(ARTIFACTS / "cases-queue.png"), full_page=True)

    # an item queued while the page is served (as `broadcast transcribe` does) gets its due date
    late_id = add(conn_of(site), "new-call", "Cầu treo bị gãy", received="2025-11-06T08:00:00+07:00")
    page.reload()
    assert "2025-11-20" in page.locator(f"tr[data-id='{late_id}'] td.due").inner_text()
    cases.dismiss(conn_of(site), late_id, by="Trạm")
    page.reload()
    assert page.locator(f"tr[data-id='{late_id}']").get_attribute("data-overdue") is None   # dismissed

    page.click("#sort-due")
    order = [int(r.get_attribute("data-id")) for r in page.locator("table.items tbody tr").all()]
    assert order == [ids["theft"], ids["flood"], ids["answered"], late_id, ids["today"]]   # due 12, 17, 18, 20 Nov, later
    page.select_option("select[name=unit]", "cong-an")
    page.click(".filters button[type=submit]")
    assert [int(r.get_attribute("data-id")) for r in page.locator("table.items tbody tr").all()] == [ids["theft"]]
    assert "order=due" in page.url and "unit=cong-an" in page.url      # the sort survives the filter
    page.goto(site["server"].base + "/?category=an-ninh")
    assert page.locator("table.items tbody tr").count() == 1
    page.goto(site["server"].base + "/?overdue=1")
    assert sorted(int(r.get_attribute("data-id")) for r in page.locator("table.items tbody tr").all()) == \
        sorted([ids["flood"], ids["theft"]])
    assert page.errors == []
    context.close()


def test_assign_reply_and_close_on_the_item_page(browser, site):
    ids = site["ids"]
    context, page = browser_login(browser, site, name="Chị Lan")
    page.goto(f"{site['server'].base}/items/{ids['flood']}")
    case = page.locator("#case")
    assert case.get_attribute("data-overdue") == "yes"
    assert case.locator("dd.due").evaluate("e => getComputedStyle(e).color") == RED
    assert case.locator("dd.unit").inner_text() == "(chưa giao)"

    # assign: unit and category; the due date follows the category's 5 days
    page.select_option("form.case-assign select[name=unit]", "kinh-te")
    page.select_option("form.case-assign select[name=category]", "an-ninh")
    page.fill("form.case-assign input[name=assign_note]", "đường ngập, cần xem gấp")
    page.click("form.case-assign button[value=assign]")
    page.wait_for_url(f"**/items/{ids['flood']}?saved=1#case")
    assert page.locator("h1 .badge").inner_text() == "Đã giao xử lý"
    assert case.locator("dd.unit").inner_text() == "Phòng Kinh tế"
    assert case.locator("dd.due").inner_text().startswith("2025-11-10")       # 3 November + 5 working days
    assert "đường ngập, cần xem gấp" in case.locator(".history").inner_text()

    # reply: by the signed-in reviewer, unless another name is given
    page.fill("form.case-reply textarea[name=reply_text]", "Xã đã cho khơi thông cống, đường hết ngập.")
    page.click("form.case-reply button[value=reply]")
    page.wait_for_url(f"**/items/{ids['flood']}?saved=1#case")
    assert page.locator("h1 .badge").inner_text() == "Đã trả lời"
    assert case.get_attribute("data-overdue") == "no"                 # answered: no longer overdue (late)
    assert "Chị Lan" in case.locator(".replied").inner_text()
    assert case.locator(".replied .late").inner_text() == "trễ hạn"     # answered after 10 November
    assert "chưa được duyệt" in case.locator(".approval").inner_text()
    page.screenshot(path=str(ARTIFACTS / "cases-item.png"), full_page=True)

    page.fill("form.case-close input[name=close_note]", "Dân đã xác nhận")
    page.click("form.case-close button[value=close]")
    page.wait_for_url(f"**/items/{ids['flood']}?saved=1#case")
    assert page.locator("h1 .badge").inner_text() == "Đã giải quyết"

    item = queue.get_item(conn_of(site), ids["flood"])
    assert (item.status, item.unit, item.category, item.due_date) == ("closed", "kinh-te", "an-ninh", "2025-11-10")
    assert (item.reply_text, item.reply_by, item.note) == ("Xã đã cho khơi thông cống, đường hết ngập.", "Chị Lan",
                                                            "Dân đã xác nhận")
    log = [tuple(r) for r in conn_of(site).execute(
        "SELECT action, actor FROM audit_log WHERE subject = ? ORDER BY seq", (f"feedback:{ids['flood']}",))]
    assert log == [("feedback-assign", "Chị Lan"), ("feedback-reply", "Chị Lan"), ("feedback-close", "Chị Lan")]
    assert audit.verify_chain(conn_of(site)) == []
    assert page.errors == []
    context.close()


def test_a_stale_reply_is_refused_and_kept_in_the_form(browser, site):
    ids = site["ids"]
    first, page1 = browser_login(browser, site, name="Anh Tú")
    second, page2 = browser_login(browser, site, name="Chị Hoa")
    for page in (page1, page2):
        page.goto(f"{site['server'].base}/items/{ids['today']}")
    page1.select_option("form.case-assign select[name=category]", "ha-tang")
    page1.click("form.case-assign button[value=assign]")
    page1.wait_for_url("**saved=1#case")
    page2.fill("form.case-reply textarea[name=reply_text]", "Trả lời của chị Hoa")
    with page2.expect_response(lambda r: r.request.method == "POST") as info:
        page2.click("form.case-reply button[value=reply]")
    assert info.value.status == 409
    assert page2.locator("#conflict").is_visible()
    assert page2.locator("form.case-reply textarea[name=reply_text]").input_value() == "Trả lời của chị Hoa"
    item = queue.get_item(conn_of(site), ids["today"])
    assert (item.status, item.reply_text, item.category) == ("assigned", None, "ha-tang")
    # sending it again, now that she has seen the change, saves it
    page2.click("form.case-reply button[value=reply]")
    page2.wait_for_url("**saved=1#case")
    assert queue.get_item(conn_of(site), ids["today"]).reply_text == "Trả lời của chị Hoa"
    first.close()
    second.close()
