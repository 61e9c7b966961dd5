"""Feedback as cases on both queue backends (SQLite, and a real PostgreSQL from tests/pgserver.py):
assignment with due dates in working days, replies, closing, contacts, the audit trail, and the
migration of a queue made by the version before cases."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import date

import pytest

from broadcast.core import audit, db
from broadcast.core.config import CONFIG_TEMPLATE, load_workspace
from broadcast.core.errors import WorkspaceError
from broadcast.feedback import cases, queue
from broadcast.feedback.export import PHONE_MASK, csv_text
from broadcast.feedback.models import QueueError, VersionConflict
from pgserver import pg_server  # noqa: F401  (a fixture)
from test_feedback_queue import conn, open_queue, transcript  # noqa: F401  (conn, open_queue: fixtures)

# November 2025: Friday the 7th, Monday the 10th … ; the 24th (a Monday) is a holiday here.
FEEDBACK = """
[feedback]
days = 10
holidays = ["01-01", "09-02", "2025-11-24"]

[feedback.units]
kinh-te = "Phòng Kinh tế"
cong-an = "Công an xã"
van-hoa-xa-hoi = "Phòng Văn hóa - Xã hội"

[feedback.categories.ha-tang]
name = "Hạ tầng, giao thông, điện, nước"
days = 10
unit = "kinh-te"

[feedback.categories.an-ninh]
name = "An ninh, trật tự"
days = 5
unit = "cong-an"

[feedback.categories.chinh-sach]
name = "Chính sách xã hội"
days = 15
"""

D = date.fromisoformat


def new(sha: str, text: str = "Đường vào bản Mến bị ngập", received: str = "2025-11-07T08:00:00+07:00",
        **kw) -> queue.NewItem:
    return queue.NewItem(source_name=kw.pop("source_name", f"{sha}.m4a"), sha256=sha * 8,
                         stored_path=f"store/{sha * 8}.m4a", received_at=received, transcript=transcript(text), **kw)


def with_case_rules(ws):
    """The workspace with the [feedback] rules above added to its broadcast.toml."""
    (ws.root / "broadcast.toml").write_text((ws.root / "broadcast.toml").read_text() + FEEDBACK, encoding="utf-8")
    return ws


@pytest.fixture
def case_ws(ws):
    return with_case_rules(ws)


@pytest.fixture
def rules(case_ws):
    return cases.Cases.of(case_ws.load())


# ---------------------------------------------------------------------- configuration

def test_init_writes_commune_defaults(tmp_path):
    (tmp_path / "broadcast.toml").write_text(CONFIG_TEMPLATE.format(name="Xã Mới"), encoding="utf-8")
    rules = load_workspace(tmp_path).config.feedback
    assert {"van-phong", "kinh-te", "van-hoa-xa-hoi", "cong-an"} <= set(rules.units)
    assert len(rules.categories) >= 8 and rules.days == 10
    assert all(c.unit in rules.units and 0 < c.days <= 30 for c in rules.categories.values())
    assert rules.categories["ha-tang"].name == "Hạ tầng, giao thông, điện, nước"
    assert (9, 2) in rules.holidays and (1, 1) in rules.holidays


def test_a_workspace_without_feedback_settings_gets_the_defaults(ws):
    """A broadcast.toml from before cases (conftest's has no [feedback] table) works as one made
    by `broadcast init` now: the same units, categories and fixed holidays."""
    rules = ws.load().config.feedback
    assert rules.categories["an-ninh"].unit == "cong-an" and rules.days == 10 and (4, 30) in rules.holidays
    conn = db.connect(ws.load().db_path)
    queue.add_item(conn, new("a"))
    r = ws.run("review", "assign", "1", "--category", "an-ninh", "--by", "Chị Lan")
    assert r.exit_code == 0 and "cong-an / an-ninh  due 2025-11-14" in r.output


@pytest.mark.parametrize("bad, field, message", [
    ('[feedback]\nholidays = ["2025-13-01"]\n', "feedback.holidays", "is not a date"),
    ('[feedback.categories.x]\nname = "X"\ndays = "mười"\n', "feedback.categories.x.days", "number of working days"),
    ('[feedback.categories.x]\nname = "X"\nunit = "dia-chinh"\n', "feedback.categories.x.unit", "unknown unit"),
    ('[feedback.units]\n"Địa chính" = "Địa chính"\n', "feedback.units.Địa chính", "a-z, 0-9"),
])
def test_bad_feedback_configuration_names_the_field(ws, bad, field, message):
    (ws.root / "broadcast.toml").write_text((ws.root / "broadcast.toml").read_text() + bad, encoding="utf-8")
    with pytest.raises(WorkspaceError) as info:
        ws.load()
    problem = next(p for p in info.value.problems if p.field == field)
    assert message in problem.message
    r = ws.run("review", "list")
    assert r.exit_code == 2 and "broadcast.toml" in r.output and field in r.output and "Traceback" not in r.output


# ---------------------------------------------------------------------- the life of a case

def test_due_date_assignment_history_reply_close(conn, rules):
    item, _ = queue.add_item(conn, new("a"))
    assert item.due_date is None
    assert cases.admit(conn, rules) == 1 and cases.admit(conn, rules) == 0
    item = queue.get_item(conn, item.id)
    # received Friday 7 November; 10 working days, no category yet → Friday 21st
    assert (item.due_date, item.status, item.version) == ("2025-11-21", "new", 1)

    item = cases.assign(conn, rules, item.id, unit="kinh-te", category="an-ninh", by="Chị Lan", note="gấp")
    assert (item.status, item.unit, item.category, item.due_date) == ("assigned", "kinh-te", "an-ninh", "2025-11-14")
    # a change of category moves the due date; the unit defaults to the category's
    item = cases.assign(conn, rules, item.id, unit=None, category="ha-tang", by="Anh Tú")
    assert (item.unit, item.due_date) == ("kinh-te", "2025-11-21")
    item = cases.assign(conn, rules, item.id, unit="van-hoa-xa-hoi", by="Anh Tú")   # same category: same date
    assert (item.unit, item.category, item.due_date) == ("van-hoa-xa-hoi", "ha-tang", "2025-11-21")
    assert [(a["actor"], a["unit"], a["category"], a["due_date"], a["note"]) for a in item.assignments] == [
        ("Chị Lan", "kinh-te", "an-ninh", "2025-11-14", "gấp"),
        ("Anh Tú", "kinh-te", "ha-tang", "2025-11-21", None),
        ("Anh Tú", "van-hoa-xa-hoi", "ha-tang", "2025-11-21", None)]
    item = cases.categorise(conn, rules, item.id, "chinh-sach", by="Anh Tú")   # 15 days, over the 24th
    assert item.due_date == "2025-12-01"

    with pytest.raises(QueueError, match="unknown unit"):
        cases.assign(conn, rules, item.id, unit="dia-chinh", by="x")
    with pytest.raises(QueueError, match="unknown category"):
        cases.assign(conn, rules, item.id, unit="kinh-te", category="giao-thong", by="x")
    with pytest.raises(QueueError, match="empty"):
        cases.reply(conn, rules, item.id, text="  ", by="x")
    with pytest.raises(QueueError, match="future"):
        cases.reply(conn, rules, item.id, text="Đã sửa", by="x", on=D("2999-01-01"))

    [item] = cases.reply(conn, rules, item.id, text="Xã đã cho khơi thông cống, đường hết ngập.",
                         by="Anh Tú", on=D("2025-11-20"))
    assert (item.status, item.reply_by, item.reply_at) == ("answered", "Anh Tú", "2025-11-20T12:00:00+07:00")
    assert rules.state_on(item, D("2025-11-30")) == "on-time"
    assert rules.state_on(item, D("2025-11-19")) == "open"      # the reply did not exist yet
    item = cases.close(conn, rules, item.id, by="Anh Tú", note="dân đã xác nhận")
    assert item.status == "closed" and item.closed_at
    other, _ = queue.add_item(conn, new("b"))     # closed through the plain queue API: dated too
    assert queue.update_item(conn, other.id, 1, status="closed").closed_at
    with pytest.raises(QueueError, match="is closed: cannot reply to it"):
        cases.reply(conn, rules, item.id, text="nữa", by="x")
    with pytest.raises(QueueError, match="is closed: cannot assign"):
        cases.assign(conn, rules, item.id, unit="kinh-te", by="x")

    log = conn.execute("SELECT action, actor, detail FROM audit_log WHERE subject = ? ORDER BY seq",
                       (f"feedback:{item.id}",)).fetchall()
    assert [r[0] for r in log] == ["feedback-assign"] * 3 + ["feedback-review", "feedback-reply", "feedback-close"]
    reply_detail = json.loads(log[4][2])
    assert "reply_text" not in reply_detail and len(reply_detail["reply_sha256"]) == 64
    assert audit.verify_chain(conn) == []


def test_overdue_due_before_unit_category_and_sorting(conn, rules):
    for sha, received, category in [("a", "2025-11-03T09:00:00+07:00", "an-ninh"),     # due Mon 10th
                                    ("b", "2025-11-07T09:00:00+07:00", "ha-tang"),     # due Fri 21st
                                    ("c", "2025-11-20T09:00:00+07:00", "an-ninh"),     # due Fri 28th (24th off)
                                    ("d", "2025-11-07T23:30:00+07:00", None)]:         # due 21st
        item, _ = queue.add_item(conn, new(sha, received=received))
        if category:
            cases.assign(conn, rules, item.id, unit=None, category=category, by="An")
    cases.admit(conn, rules)
    assert [queue.get_item(conn, i).due_date for i in (1, 2, 3, 4)] == [
        "2025-11-10", "2025-11-21", "2025-11-28", "2025-11-21"]

    def ids(**kw):
        return [i.id for i in queue.list_items(conn, **kw).items]

    assert ids(overdue_on="2025-11-10") == []                  # due that day is not overdue yet
    assert ids(overdue_on="2025-11-11") == [1]
    assert ids(overdue_on="2025-11-24") == [1, 2, 4]
    cases.reply(conn, rules, 2, text="Đã xử lý", by="An", on=D("2025-11-25"))   # late, but answered
    assert ids(overdue_on="2025-11-26") == [1, 4]
    assert ids(due_before="2025-11-21") == [1]
    assert ids(unit="cong-an") == [1, 3] and ids(category="ha-tang") == [2] and ids(unit="cong-an", category="ha-tang") == []
    assert ids(order="due") == [1, 2, 4, 3]
    # dates are the commune's: 20:00 UTC on the 6th is 03:00 on Friday the 7th there
    assert rules.due_date("2025-11-06T20:00:00+00:00", None) == "2025-11-21"
    assert rules.due_date("2025-11-06T16:59:00+00:00", None) == "2025-11-20"
    assert ids(order="due", newest_first=True) == [1, 4, 2, 3]   # the same due day: newest received first
    assert rules.state_on(queue.get_item(conn, 2), D("2025-11-30")) == "late"
    assert rules.state_on(queue.get_item(conn, 3), D("2025-11-28")) == "open"
    assert rules.state_on(queue.get_item(conn, 3), D("2025-12-01")) == "overdue"
    facets = queue.facets(conn)
    assert facets["units"] == ["cong-an", "kinh-te"] and facets["categories"] == ["an-ninh", "ha-tang"]
    with pytest.raises(QueueError):
        queue.list_items(conn, order="priority")


def test_reply_to_a_group_and_versions(conn, rules):
    for sha in "abc":
        queue.add_item(conn, new(sha))
    cases.admit(conn, rules)
    members = cases.group(conn, [3, 2], by="An")
    assert [(m.id, m.group_id) for m in members] == [(2, 2), (3, 2)]
    members = cases.group(conn, [1, 3], by="An")       # joins 3's group: one group, named by its lowest id
    assert [(m.id, m.group_id) for m in members] == [(1, 1), (2, 1), (3, 1)]
    cases.dismiss(conn, 3, by="An", note="trùng")
    done = cases.reply(conn, rules, 1, text="Đã báo điện lực", by="An", group=True)
    assert [i.id for i in done] == [1, 2]
    assert queue.get_item(conn, 3).status == "dismissed" and queue.get_item(conn, 3).reply_text is None
    stale = queue.get_item(conn, 2).version - 1
    with pytest.raises(VersionConflict):
        cases.close(conn, rules, 2, by="Bình", expected_version=stale)
    cases.ungroup(conn, 2, by="An")
    assert [i.id for i in queue.list_items(conn, group=1).items] == [1, 3]
    with pytest.raises(QueueError, match="two items"):
        cases.group(conn, [1, 1], by="An")


def test_contact_typed_or_from_the_recording(conn, rules, case_ws, tmp_path):
    w = case_ws.load()
    store = w.feedback_dir / "store"
    store.mkdir(parents=True, exist_ok=True)
    tagged = store / ("b" * 64 + ".m4a")
    subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=f=440:d=1", "-c:a", "aac",
                    "-metadata", "comment=Tổng đài 1022 — người gọi +84 987 654 321", str(tagged)], check=True)
    queue.add_item(conn, new("a", source_name="0912345678_20251107-0830.wav"))           # a hotline's file name
    queue.add_item(conn, queue.NewItem(source_name="ghi-am.m4a", sha256="b" * 64, stored_path=f"store/{tagged.name}", received_at="2025-11-07T09:00:00+07:00",
                                       transcript=transcript("Nhà tôi mất điện")))
    queue.add_item(conn, new("c", source_name="zalo-voice-20251107.m4a"))
    cases.admit(conn, rules)
    assert [queue.get_item(conn, i).contact for i in (1, 2, 3)] == ["0912345678", "0987654321", None]
    item = cases.set_contact(conn, 3, "0912 000 111", by="An")
    assert item.contact == "0912000111"
    with pytest.raises(QueueError, match="not a phone number"):
        cases.set_contact(conn, 3, "12345", by="An")
    # the number never reaches the append-only audit log, and a redacted export masks it
    assert "0912000111" not in json.dumps([tuple(r) for r in conn.execute("SELECT * FROM audit_log")])
    rows = list(csv.DictReader(io.StringIO(csv_text(queue.iter_all(conn), redacted=True)[1:])))
    assert [r["contact"] for r in rows] == [PHONE_MASK, PHONE_MASK, PHONE_MASK]
    plain = list(csv.DictReader(io.StringIO(csv_text(queue.iter_all(conn))[1:])))
    assert plain[0]["contact"] == "0912345678" and plain[0]["due_date"] == "2025-11-21"


# ---------------------------------------------------------------------- migration

def test_migration_of_a_queue_made_before_cases(open_queue, monkeypatch, rules):
    """Build the queue with the migrations of the previous version, fill it as that version
    did (its statuses, tags, audit entries), then open it with this version."""
    before = [m for m in db.MIGRATIONS if m.__name__ < "m004"]
    assert [m.__name__ for m in before][-1] == "m003_as_run_log"
    with monkeypatch.context() as m:
        m.setattr(db, "MIGRATIONS", before)
        old = open_queue()
        for n, (sha, status) in enumerate([("a", "new"), ("b", "in-review"), ("c", "resolved"), ("d", "dismissed")]):
            old.execute(
                "INSERT INTO feedback_items (source_name, sha256, stored_path, received_at, duration, language,"
                " transcript, segments, area, status, reviewer, note, created_at, updated_at, version)"
                " VALUES (?, ?, ?, ?, 2.0, 'vi', ?, '[]', 'men', ?, ?, ?, ?, ?, ?)",
                (f"{sha}.m4a", sha * 64, f"store/{sha}.m4a", f"2025-11-0{n + 3}T08:00:00+07:00",
                 f"phản ánh {sha}", status, "An" if status != "new" else None, "ghi chú" if status == "resolved" else None,
                 "2025-11-03T01:00:00+00:00", f"2025-11-1{n}T03:00:00+00:00", n + 1))
            old.execute("INSERT INTO feedback_tags (item_id, tag) VALUES (?, ?)", (n + 1, f"thẻ-{sha}"))
            audit.append(old, actor="An", action="feedback-review", subject=f"feedback:{n + 1}", sha256=sha * 64)
        assert "m004_feedback_cases" not in {r[0] for r in old.execute("SELECT name FROM _migrations")}
        old.close()

    conn = open_queue()   # this version: migrates
    assert "m004_feedback_cases" in {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    items = [queue.get_item(conn, i) for i in (1, 2, 3, 4)]
    assert [i.status for i in items] == ["new", "assigned", "closed", "dismissed"]
    assert [i.tags for i in items] == [["thẻ-a"], ["thẻ-b"], ["thẻ-c"], ["thẻ-d"]]
    assert [i.version for i in items] == [1, 2, 3, 4]
    assert items[2].closed_at == "2025-11-12T03:00:00+00:00" and items[2].note == "ghi chú"
    assert [i.closed_at for i in (items[0], items[1], items[3])] == [None, None, None]
    assert audit.verify_chain(conn) == []
    # the old statuses are no longer stored …
    with pytest.raises(Exception):
        conn.execute("UPDATE feedback_items SET status = 'resolved' WHERE id = 1")
    # … tags still belong to their items, new items continue the numbering, the case fields work
    queue.tag_item(conn, 1, ["mới"], reviewer="An")
    assert queue.get_item(conn, 1).tags == ["mới", "thẻ-a"]
    item, created = queue.add_item(conn, new("e"))
    assert created and item.id == 5
    assert cases.admit(conn, rules) == 5
    assert queue.get_item(conn, 1).due_date == "2025-11-17"     # received Monday 3rd + 10 working days
    cases.assign(conn, rules, 2, unit="kinh-te", category="ha-tang", by="Chị Lan")
    assert len(queue.get_item(conn, 2).assignments) == 1
    assert queue.counts(conn) == {"new": 2, "assigned": 1, "answered": 0, "closed": 1, "dismissed": 1}


def test_sqlite_rebuild_keeps_the_foreign_key(tmp_path, monkeypatch):
    path = tmp_path / "q.db"
    with monkeypatch.context() as m:
        m.setattr(db, "MIGRATIONS", [f for f in db.MIGRATIONS if f.__name__ < "m004"])
        db.connect(path).close()
    conn = db.connect(path)
    assert [r["table"] for r in conn.execute("PRAGMA foreign_key_list(feedback_tags)")] == ["feedback_items"]
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert not conn.execute("SELECT name FROM sqlite_schema WHERE name LIKE '%_next'").fetchall()
