"""A month of feedback from the command line, as a reviewer runs it: assign, answer (on time and
late), see what is overdue, and print the monthly report."""

from __future__ import annotations

import csv
import io

import pytest
from test_feedback_cases import new, with_case_rules

from broadcast.core import audit, db
from broadcast.feedback import queue

# Received in November 2025 (the 24th is a holiday in FEEDBACK), and one from October still open.
ITEMS = [
    ("a", "2025-11-03T08:00:00+07:00", "men", "Đường vào bản Mến bị ngập, xe máy không qua được"),
    ("b", "2025-11-04T09:00:00+07:00", "men", "Con đường vào bản Mến ngập sâu, xe máy không qua được"),
    ("c", "2025-11-05T10:00:00+07:00", "ly-xom", "Nhà tôi ở Ly Xôm mất trộm con trâu đêm qua"),
    ("d", "2025-11-10T07:30:00+07:00", "ly-xom", "=HYPERLINK(\"http://x\") Loa truyền thanh bản Ly Xôm bị hỏng"),
    ("e", "2025-11-20T15:00:00+07:00", None, "Tôi muốn hỏi về chế độ cho người có công"),
    ("f", "2025-11-27T08:00:00+07:00", "men", "Hãy subscribe cho kênh"),
    ("g", "2025-10-20T08:00:00+07:00", "men", "Cầu treo bản Mến bị gãy một nhịp"),
]


def lines(result) -> list[list[str]]:
    return [x.split("\t") for x in result.output.splitlines() if "\t" in x]


def ids(result) -> list[str]:
    return [x[0] for x in lines(result)]


@pytest.fixture
def month(ws):
    with_case_rules(ws)
    conn = db.connect(ws.load().db_path)
    for sha, received, area, text in ITEMS:
        queue.add_item(conn, new(sha, text=text, received=received, area=area))
    return ws


def ok(result):
    assert result.exit_code == 0, result.output
    return result


def test_a_month_of_feedback(month):
    ws = month
    listed = lines(ok(ws.run("review", "list")))
    # every item got its due date on the way in: 10 working days (no category yet)
    due = {row[0]: row[3].rstrip("!") for row in listed}   # "!": overdue today
    assert due == {"1": "2025-11-17", "2": "2025-11-18", "3": "2025-11-19", "4": "2025-11-25",
                   "5": "2025-12-05", "6": "2025-12-11", "7": "2025-11-03"}
    # the reviewer hands them out
    r = ok(ws.run("review", "assign", "1", "--unit", "kinh-te", "--category", "ha-tang", "--by", "Chị Lan"))
    assert "#1  assigned  kinh-te / ha-tang  due 2025-11-17" in r.output
    ok(ws.run("review", "assign", "2", "--category", "ha-tang", "--by", "Chị Lan"))       # the category's unit
    r = ok(ws.run("review", "assign", "3", "--category", "an-ninh", "--by", "Chị Lan"))   # 5 days
    assert "cong-an / an-ninh  due 2025-11-12" in r.output
    ok(ws.run("review", "assign", "4", "--unit", "van-hoa-xa-hoi", "--note", "loa hỏng", "--by", "Chị Lan"))
    ok(ws.run("review", "assign", "5", "--unit", "van-hoa-xa-hoi", "--category", "chinh-sach", "--by", "Chị Lan"))
    ok(ws.run("review", "dismiss", "6", "--note", "không có nội dung", "--by", "Chị Lan"))

    # #1 and #2 raise the same problem: grouped, and answered together (on time)
    r = ok(ws.run("review", "duplicates"))
    assert "broadcast review group 1 2\n" in r.output and "1 group(s)" in r.output
    ok(ws.run("review", "group", "1", "2", "--by", "Chị Lan"))
    r = ok(ws.run("review", "reply", "1", "--group", "--text", "Xã đã khơi thông cống, đường hết ngập.",
                  "--by", "Anh Tú", "--on", "2025-11-14"))
    assert "#1  answered by Anh Tú on 2025-11-14\n#2  answered by Anh Tú on 2025-11-14\n" in r.output
    # #3 is answered late, #4 by telephone and closed
    r = ok(ws.run("review", "reply", "3", "--text", "Công an xã đã tiếp nhận, đang xác minh.", "--by", "Anh Hùng",
                  "--on", "2025-11-13"))
    assert "(late)" in r.output
    ok(ws.run("review", "correct", "4", "Loa truyền thanh bản Ly Xôm bị hỏng từ tuần trước", "--by", "Chị Lan"))
    ok(ws.run("review", "close", "4", "--note", "đã gọi điện trả lời", "--by", "Chị Lan", "--on", "2025-11-21"))
    ok(ws.run("review", "contact", "5", "0912 345 678", "--by", "Chị Lan"))

    # what is overdue, on a given day
    assert ids(ok(ws.run("review", "list", "--overdue", "--as-of", "2025-11-03"))) == []    # due that day
    assert ids(ok(ws.run("review", "list", "--overdue", "--as-of", "2025-11-04"))) == ["7"]
    assert ids(ok(ws.run("review", "list", "--overdue", "--as-of", "2025-12-31"))) == ["7", "5"]
    marked = {row[0]: row[3] for row in lines(ok(ws.run("review", "list", "--as-of", "2025-12-31", "--overdue")))}
    assert marked == {"5": "2025-12-12!", "7": "2025-11-03!"}
    assert ids(ok(ws.run("review", "list", "--unit", "kinh-te"))) == ["1", "2"]
    assert ids(ok(ws.run("review", "list", "--category", "ha-tang", "--status", "answered"))) == ["1", "2"]
    assert ids(ok(ws.run("review", "list", "--due-before", "2025-11-18"))) == ["7", "1", "3"]
    assert ids(ok(ws.run("review", "list", "--sort", "due"))) == ["7", "3", "1", "2", "4", "6", "5"]

    shown = ok(ws.run("review", "show", "1")).output
    for expected in ("due:          2025-11-17", "unit:         kinh-te  Phòng Kinh tế",
                     "category:     ha-tang  Hạ tầng, giao thông, điện, nước", "reply:        by Anh Tú at 2025-11-14",
                     "not approved", "Xã đã khơi thông cống", "assignments:", "Chị Lan: kinh-te / ha-tang, due 2025-11-17"):
        assert expected in shown, expected
    assert "contact:      0912345678" in ok(ws.run("review", "show", "5")).output
    assert "duplicates: group #1" in ok(ws.run("review", "show", "2")).output

    # the monthly report, as of the end of November
    r = ok(ws.run("report", "feedback", "--month", "2025-11"))
    text = r.stdout_bytes.decode("utf-8")
    assert text.startswith("\ufeff")
    counts, overdue = text[1:].split("\r\n\r\n")
    rows = {(row["dimension"], row["key"]): row for row in csv.DictReader(io.StringIO(counts))}
    total = rows[("total", "")]
    # six received in November: #1, #2, #4 on time, #3 late, #5 open (due 12 December), #6 dismissed
    assert [total[k] for k in ("received", "on_time", "late", "open", "overdue", "dismissed")] == \
        ["6", "3", "1", "1", "0", "1"]
    assert rows[("unit", "kinh-te")]["on_time"] == "2" and rows[("unit", "cong-an")]["late"] == "1"
    assert rows[("category", "")]["name"] == "(chưa phân loại)" and rows[("area", "men")]["name"] == "Bản Mến"
    assert rows[("area", "men")]["received"] == "3"
    overdue_rows = list(csv.DictReader(io.StringIO(overdue)))
    assert [(o["overdue_id"], o["received"], o["due_date"], o["working_days_late"]) for o in overdue_rows] == [
        ("7", "2025-10-20", "2025-11-03", "18")]          # carried over from October; the 24th not counted
    r = ok(ws.run("report", "feedback", "--month", "2025-11", "--as-of", "2025-12-31"))
    assert "\r\n5,2025-11-20" in r.stdout_bytes.decode("utf-8")      # #5 is overdue by then

    out = ws.root / "reports" / "phan-anh-2025-11.html"
    r = ok(ws.run("report", "feedback", "--month", "2025-11", "--format", "html", "--output", str(out)))
    html = out.read_text(encoding="utf-8")
    assert "Báo cáo tiếp nhận, xử lý phản ánh, kiến nghị tháng 11/2025" in html and "size: A4" in html
    assert "Hạ tầng, giao thông, điện, nước" in html and "0912345678" not in html
    # every action is in the audit log, its chain intact
    conn = db.connect(ws.load().db_path)
    actions = [r[0] for r in conn.execute("SELECT action FROM audit_log")]
    assert actions.count("feedback-assign") == 5 and actions.count("feedback-reply") == 3
    assert audit.verify_chain(conn) == []


def test_mistakes_are_one_line_messages(month):
    ws = month
    for args, message, code in [
        (["review", "assign", "1", "--unit", "dia-chinh"], "unknown unit 'dia-chinh'", 1),
        (["review", "assign", "1"], "no unit given", 1),
        (["review", "assign", "99", "--unit", "kinh-te"], "no feedback item #99", 1),
        (["review", "reply", "1", "--text", "x", "--by", "A", "--on", "15/11/2025"], "bad date", 1),
        (["review", "dismiss", "6", "--by", "A"], "dismissed", 0),
        (["review", "reply", "6", "--text", "x", "--by", "A"], "is dismissed: cannot reply to it", 1),
        (["review", "close", "1", "--on", "2999-01-01"], "in the future", 1),
        (["review", "dismiss", "1", "--on", "2025-11-01"], "--on goes with close", 2),
        (["review", "list", "--as-of", "2025-11-20"], "--as-of goes with --overdue", 2),
        (["review", "list", "--overdue", "--as-of", "tomorrow"], "bad date", 1),
        (["review", "contact", "1", "12345"], "is not a phone number", 1),
        (["review", "link", "1"], "no suggested announcement", 1),
        (["review", "group", "1"], "two items or more", 1),
        (["review", "voice-reply", "1"], "has no reply", 1),
        (["review", "approve-reply", "1", "--by", "Ông Chủ tịch"], "has no reply to approve", 1),
        (["report", "feedback", "--month", "2025-13"], "bad month", 1),
        (["report", "feedback", "--month", "2025-11", "--as-of", "2025-10-01"], "before 2025-11 began", 1),
    ]:
        r = ws.run(*args)
        assert r.exit_code == code, (args, r.output)
        assert message in r.output and "Traceback" not in r.output, (args, r.output)


def test_help_for_every_case_command(ws):
    for args in (["review", c] for c in ("assign", "reply", "correct", "close", "contact", "link", "group",
                                         "duplicates", "approve-reply", "voice-reply", "list", "show")):
        r = ws.run(*args, "--help")
        assert r.exit_code == 0 and len(r.output.split("\n\n")[1].strip()) > 20, args
    r = ws.run("report", "feedback", "--help")
    assert r.exit_code == 0 and "--month" in r.output and "--format" in r.output
