"""From a recording to the monthly report, with the real parts: citizens' messages spoken by
espeak-ng, `broadcast transcribe` with the packaged Whisper base model, then the case commands
and `broadcast report feedback`. The workspace has no [feedback] settings: the defaults apply."""

from __future__ import annotations

import csv
import io
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from conftest import announcement_text, speak
from test_feedback_cases_linking import ANNOUNCEMENTS

from broadcast.core import db
from broadcast.feedback import queue

pytestmark = pytest.mark.slow

MESSAGES = {
    "cat-dien": "Nhà tôi ở bản Mến bị cắt điện từ sáng, bao giờ điện lực sửa xong đường dây.",
    "tiem-chung": "Tôi muốn hỏi về lịch tiêm chủng cho trẻ em ở trạm y tế xã.",
    "bhyt": "Tôi muốn gia hạn thẻ bảo hiểm y tế cho cả hộ gia đình.",
}
RECEIVED = datetime(2025, 11, 14, 8, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))   # a Friday


def test_recordings_to_the_monthly_report(ws, tmp_path):
    for ann, (title, body) in ANNOUNCEMENTS.items():
        (ws.announcements / f"{ann}.md").write_text(announcement_text(
            ann, body=body, title=title, areas="[ly-xom, men]",
            schedule="\n  dates: [2025-11-10, 2025-11-12]\n  slots: [morning]",
            expires="2026-12-31T00:00:00+07:00"), encoding="utf-8")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for name, text in MESSAGES.items():
        wav = speak(inbox / f"{name}.wav", text)
        os.utime(wav, (RECEIVED.timestamp(), RECEIVED.timestamp()))   # when the call came in

    r = ws.run("transcribe", str(inbox), "--area", "men")
    assert r.exit_code == 0 and "3 added" in r.output, r.output
    r = ws.run("review", "list")
    assert r.exit_code == 0, r.output
    rows = [x.split("\t") for x in r.output.splitlines() if "\t" in x]
    assert [row[3].rstrip("!") for row in rows] == ["2025-11-28"] * 3       # Friday + 10 working days
    conn = db.connect(ws.load().db_path)
    items = {i.source_name.removesuffix(".wav"): i for i in queue.iter_all(conn)}
    for name, item in items.items():
        # Whisper base hears espeak-ng's Vietnamese only roughly: a suggestion may be missing,
        # but never the wrong announcement
        assert item.suggested_announcement in (None, name), (name, item.transcript, item.suggested_announcement)

    ids = {name: str(item.id) for name, item in items.items()}
    assert ws.run("review", "assign", ids["cat-dien"], "--category", "ha-tang", "--by", "Chị Lan").exit_code == 0
    assert ws.run("review", "assign", ids["bhyt"], "--category", "chinh-sach", "--by", "Chị Lan").exit_code == 0
    r = ws.run("review", "reply", ids["cat-dien"], "--text", "Điện lực đã sửa xong đường dây.", "--by", "Anh Tú",
               "--on", "2025-11-20")
    assert r.exit_code == 0 and "late" not in r.output
    r = ws.run("review", "list", "--overdue", "--as-of", "2025-12-01")
    overdue = sorted(x.split("\t")[0] for x in r.output.splitlines() if "\t" in x)
    assert overdue == sorted([ids["tiem-chung"], ids["bhyt"]])

    r = ws.run("report", "feedback", "--month", "2025-11", "--as-of", "2025-12-01")
    assert r.exit_code == 0, r.output
    counts = r.stdout_bytes.decode("utf-8")[1:].split("\r\n\r\n")
    total = next(row for row in csv.DictReader(io.StringIO(counts[0])) if row["dimension"] == "total")
    assert [total[k] for k in ("received", "on_time", "late", "open", "overdue")] == ["3", "1", "0", "0", "2"]
    out = tmp_path / "report.html"
    assert ws.run("report", "feedback", "--month", "2025-11", "--format", "html", "--output", str(out)).exit_code == 0
    assert "Phòng Kinh tế" in out.read_text(encoding="utf-8")
