"""Times shown to people are the commune's, with the offset: the audit log and the queue keep UTC
("2026-12-01T09:59:26+00:00"), messages say "2026-12-01 16:59 +0700"."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from test_feedback_cases import new

from broadcast.core import db
from broadcast.core.audit import latest_approvals
from broadcast.core.display import local_time
from broadcast.feedback import queue

LOCAL = r"\d{4}-\d\d-\d\d \d\d:\d\d \+0700"
UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d)?\+00:00")


def test_local_time_converts_utc_and_leaves_other_values() -> None:
    tz = ZoneInfo("Asia/Ho_Chi_Minh")
    assert local_time("2026-12-01T09:59:26+00:00", tz) == "2026-12-01 16:59 +0700"
    assert local_time("2026-12-01T23:30:00+00:00", tz) == "2026-12-02 06:30 +0700"   # the local day
    assert local_time("2025-11-07T08:00:00+07:00", tz) == "2025-11-07 08:00 +0700"
    assert local_time("not a time", tz) == "not a time" and local_time(None, tz) == ""
    assert local_time("2026-12-01T09:59:26", tz) == "2026-12-01T09:59:26"   # no offset: not guessed


def test_a_changed_file_is_refused_with_the_local_approval_time(ws) -> None:
    path = ws.write()
    assert ws.run("approve", str(path), "--by", "Lò Văn Minh").exit_code == 0
    stored = latest_approvals(db.connect(ws.load().db_path))["tiem-chung"].at
    assert stored.endswith("+00:00")                       # the log keeps UTC
    path.write_text(path.read_text(encoding="utf-8").replace("5 tuổi", "6 tuổi"), encoding="utf-8")
    result = ws.run("produce", "--date", "2099-12-14")
    assert result.exit_code == 1
    shown = local_time(stored, ZoneInfo("Asia/Ho_Chi_Minh"))
    assert f"changed since it was approved by Lò Văn Minh at {shown}; it needs approval again" in result.output
    assert not UTC_ISO.search(result.output), result.output


def test_review_show_gives_local_times(ws) -> None:
    conn = db.connect(ws.load().db_path)
    item, _ = queue.add_item(conn, new("a", received="2025-11-07T01:00:00+00:00"))
    assert item.updated_at.endswith("+00:00")             # the queue keeps UTC
    result = ws.run("review", "show", str(item.id))
    assert result.exit_code == 0, result.output
    assert "received:     2025-11-07 08:00 +0700" in result.output
    assert re.search(rf"updated: {LOCAL}", result.output), result.output
    assert not UTC_ISO.search(result.output), result.output
