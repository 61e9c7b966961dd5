"""The review queue API, the review CLI and the CSV export (no model needed)."""

from __future__ import annotations

import csv
import io

import pytest

from broadcast.core import audit, db
from broadcast.feedback import queue
from broadcast.feedback.export import BOM, CCCD_MASK, CMND_MASK, PHONE_MASK, csv_text, redact
from broadcast.feedback.models import ItemNotFound, QueueError, Segment, Transcript, VersionConflict
from pgserver import pg_server  # noqa: F401  (a fixture)


def transcript(text: str) -> Transcript:
    return Transcript(text=text, segments=[Segment(0.0, 2.0, text, -0.3, 0.05, 1.1)], duration=2.0,
                      language="vi", backend="faster-whisper", model="test")


def new(sha: str, text: str = "Đường vào thôn bị ngập", received: str = "2099-12-14T08:00:00+07:00",
        **kw) -> queue.NewItem:
    return queue.NewItem(source_name=f"{sha}.m4a", sha256=sha * 8, stored_path=f"store/{sha * 8}.m4a",
                         received_at=received, transcript=transcript(text), **kw)


@pytest.fixture(params=["sqlite", "postgresql"])
def open_queue(request, tmp_path):
    """Opens a connection to one fresh queue database: the workspace's SQLite file, or a
    database on the test PostgreSQL server (tests/pgserver.py). Each call is a new connection."""
    if request.param == "sqlite":
        return lambda: db.connect(tmp_path / "state" / "broadcast.db")
    from broadcast.core import pg

    url = request.getfixturevalue("pg_server").new_database()
    return lambda: pg.connect(url)


@pytest.fixture
def conn(open_queue):
    return open_queue()


def test_schema_is_migrated_with_wal(tmp_path):
    conn = db.connect(tmp_path / "state" / "broadcast.db")
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    names = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    assert "m002_feedback_queue" in names


def test_add_is_deduplicated_by_sha256(conn):
    item, created = queue.add_item(conn, new("a"))
    assert created and item.id == 1 and item.status == "new" and item.version == 1
    assert item.segments[0]["text"] == "Đường vào thôn bị ngập" and item.language == "vi"
    again, created = queue.add_item(conn, new("a", text="other"))
    assert not created and again.id == item.id and again.transcript == item.transcript
    assert conn.execute("SELECT count(*) FROM feedback_items").fetchone()[0] == 1
    assert queue.find_by_sha256(conn, "a" * 8).id == item.id
    assert queue.find_by_sha256(conn, "z" * 8) is None


def test_list_filters_and_pagination(conn):
    queue.add_item(conn, new("a", area="ly-xom", announcement_id="tiem-chung"))
    queue.add_item(conn, new("b", area="men", received="2099-12-15T09:00:00+07:00"))
    queue.add_item(conn, new("c", area="men", text="Nhà tôi mất điện", received="2099-12-16T07:00:00+07:00"))
    queue.tag_item(conn, 2, ["điện", "urgent"], reviewer="An")
    queue.resolve(conn, 3, note="đã sửa", reviewer="An")   # the old name of close

    assert [i.id for i in queue.list_items(conn).items] == [1, 2, 3]
    assert [i.id for i in queue.list_items(conn, newest_first=True).items] == [3, 2, 1]
    assert [i.id for i in queue.list_items(conn, area="men").items] == [2, 3]
    assert [i.id for i in queue.list_items(conn, announcement="tiem-chung").items] == [1]
    assert [i.id for i in queue.list_items(conn, tag="urgent").items] == [2]
    assert [i.id for i in queue.list_items(conn, status="closed").items] == [3]
    assert [i.id for i in queue.list_items(conn, status="resolved").items] == [3]   # old names still read
    assert [i.id for i in queue.list_items(conn, status=["new", "closed"]).items] == [1, 2, 3]
    assert [i.id for i in queue.list_items(conn, date_from="2099-12-15").items] == [2, 3]
    assert [i.id for i in queue.list_items(conn, date_from="2099-12-15", date_to="2099-12-15").items] == [2]
    assert [i.id for i in queue.list_items(conn, search="mất điện").items] == [3]
    page = queue.list_items(conn, limit=2, offset=0)
    assert (len(page.items), page.total) == (2, 3)
    page2 = queue.list_items(conn, limit=2, offset=2)
    assert [i.id for i in page2.items] == [3] and page2.total == 3
    assert len(list(queue.iter_all(conn, area="men"))) == 2
    assert queue.counts(conn) == {"new": 2, "assigned": 0, "answered": 0, "closed": 1, "dismissed": 0}
    with pytest.raises(QueueError):
        queue.list_items(conn, status="done")
    with pytest.raises(QueueError):
        queue.list_items(conn, date_from="14/12/2099")


def test_update_with_expected_version_and_conflict(conn):
    item, _ = queue.add_item(conn, new("a"))
    first = queue.update_item(conn, item.id, 1, status="assigned", reviewer="An",
                              corrected_transcript="Đường vào thôn Bản Mến bị ngập")
    assert (first.version, first.status, first.reviewer) == (2, "assigned", "An")
    assert first.transcript == "Đường vào thôn bị ngập"  # the machine transcript is kept
    assert first.best_transcript == "Đường vào thôn Bản Mến bị ngập"
    # A second reviewer still holding version 1 must not overwrite the first one's work.
    with pytest.raises(VersionConflict, match="changed by someone else"):
        queue.update_item(conn, item.id, 1, note="stale write")
    assert queue.get_item(conn, item.id).note is None
    with pytest.raises(ItemNotFound):
        queue.update_item(conn, 999, 1, note="x")
    with pytest.raises(QueueError):
        queue.update_item(conn, item.id, 2, status="done")
    with pytest.raises(QueueError):
        queue.update_item(conn, item.id, 2, sha256="forged")
    with pytest.raises(ItemNotFound):
        queue.get_item(conn, 999)


def test_two_reviewers_at_once_one_conflict_no_lost_update(open_queue):
    """Two reviewers, each on a connection of their own, save the item they both opened at
    version 1 at the same moment: one wins, the other gets VersionConflict, nothing is lost."""
    import threading

    first = open_queue()
    item, _ = queue.add_item(first, new("a"))
    reviewers = ["An", "Bình"]
    barrier = threading.Barrier(len(reviewers))
    outcome: dict[str, object] = {}

    def save(name: str) -> None:
        conn = open_queue()       # in the thread that uses it (sqlite3 wants that)
        barrier.wait()
        try:
            outcome[name] = queue.update_item(conn, item.id, 1, reviewer=name, corrected_transcript=f"bản của {name}")
        except VersionConflict as exc:
            outcome[name] = exc

    threads = [threading.Thread(target=save, args=(n,)) for n in reviewers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    conflicts = [n for n, o in outcome.items() if isinstance(o, VersionConflict)]
    winners = [n for n, o in outcome.items() if not isinstance(o, VersionConflict)]
    assert len(conflicts) == 1 and len(winners) == 1, outcome
    final = queue.get_item(open_queue(), item.id)
    assert (final.version, final.reviewer, final.corrected_transcript) == (2, winners[0], f"bản của {winners[0]}")
    audited = first.execute("SELECT actor FROM audit_log WHERE action = 'feedback-review'").fetchall()
    assert [a[0] for a in audited] == winners and audit.verify_chain(first) == []


def test_tag_resolve_dismiss_are_audited(conn):
    queue.add_item(conn, new("a"))
    queue.add_item(conn, new("b"))
    it = queue.tag_item(conn, 1, ["đường", "urgent", "urgent"], reviewer="An")
    assert it.tags == ["urgent", "đường"] and it.version == 2
    it = queue.tag_item(conn, 1, [], remove=["urgent"], reviewer="An")
    assert it.tags == ["đường"]
    with pytest.raises(QueueError):
        queue.tag_item(conn, 1, ["bad;tag"])
    it = queue.resolve(conn, 1, note="Đã chuyển cho trưởng bản", reviewer="An", expected_version=it.version)
    assert (it.status, it.note, it.reviewer) == ("closed", "Đã chuyển cho trưởng bản", "An")
    assert it.closed_at is not None
    it = queue.dismiss(conn, 2, note="tiếng ồn", reviewer="Bình")
    assert it.status == "dismissed"
    it = queue.start_review(conn, 2, reviewer="Bình")
    assert (it.status, it.reviewer) == ("dismissed", "Bình")
    it = queue.correct(conn, 2, "sửa lại", reviewer="Bình")
    assert it.corrected_transcript == "sửa lại"
    actions = conn.execute("SELECT actor, subject FROM audit_log WHERE action = 'feedback-review'").fetchall()
    assert len(actions) == 6 and ("An", "feedback:1") in [tuple(a) for a in actions]
    assert audit.verify_chain(conn) == []


@pytest.mark.parametrize("text, expected", [
    ("Gọi cho tôi số 0912 345 678 nhé", f"Gọi cho tôi số {PHONE_MASK} nhé"),
    ("SĐT +84 912.345.678.", f"SĐT {PHONE_MASK}."),
    ("số máy bàn 024 3825 1234", f"số máy bàn {PHONE_MASK}"),
    ("CCCD 001099012345, CMND 123456789", f"CCCD {CCCD_MASK}, CMND {CMND_MASK}"),
    ("số của tôi là không chín một hai ba bốn năm sáu bảy tám", f"số của tôi là {PHONE_MASK}"),
    ("năm 2025 có 1.500.000 đồng hỗ trợ cho 3 hộ ngày 15/12", "năm 2025 có 1.500.000 đồng hỗ trợ cho 3 hộ ngày 15/12"),
])
def test_redact(text, expected):
    assert redact(text) == expected


def test_csv_has_bom_columns_and_redaction(conn):
    queue.add_item(conn, new("a", text="Nhà tôi mất điện, gọi 0912345678, CCCD 001099012345"))
    out = csv_text(queue.iter_all(conn), redacted=True)
    assert out.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(out[1:])))
    assert rows[0]["source_name"] == "a.m4a"
    assert rows[0]["transcript"] == f"Nhà tôi mất điện, gọi {PHONE_MASK}, CCCD {CCCD_MASK}"
    plain = list(csv.DictReader(io.StringIO(csv_text(queue.iter_all(conn))[1:])))
    assert "0912345678" in plain[0]["transcript"]
    assert "\r\n" in out


def item_lines(result) -> list[str]:
    """`review list` lines (CliRunner mixes in the stderr summary line)."""
    return [x for x in result.output.splitlines() if "\t" in x]


def test_review_cli(ws):
    w = ws.load()
    conn = db.connect(w.db_path)
    queue.add_item(conn, new("a", area="ly-xom", text="Đường vào bản bị sạt lở, gọi 0987 654 321"))
    queue.add_item(conn, new("b", area="men", received="2099-12-15T09:00:00+07:00"))

    r = ws.run("review", "list")
    assert r.exit_code == 0, r.output
    lines = item_lines(r)
    assert [x.split("\t")[0] for x in lines] == ["1", "2"]
    assert "a.m4a" in lines[0] and "sạt lở" in lines[0]

    r = ws.run("review", "tag", "1", "đường", "khẩn", "--by", "An")
    assert r.exit_code == 0 and "khẩn" in r.output
    r = ws.run("review", "list", "--tag", "khẩn")
    assert [x.split("\t")[0] for x in item_lines(r)] == ["1"]
    r = ws.run("review", "list", "--area", "men", "--date", "2099-12-15")
    assert [x.split("\t")[0] for x in item_lines(r)] == ["2"]
    r = ws.run("review", "list", "--date", "2099-12-01..2099-12-14")
    assert [x.split("\t")[0] for x in item_lines(r)] == ["1"]

    r = ws.run("review", "resolve", "1", "--note", "Đã báo trưởng bản")
    assert r.exit_code == 0 and "closed" in r.output and "by An" in r.output
    r = ws.run("review", "dismiss", "2", "--note", "trùng", "--by", "Bình")
    assert r.exit_code == 0 and "dismissed" in r.output
    r = ws.run("review", "list", "--status", "closed")
    assert [x.split("\t")[0] for x in item_lines(r)] == ["1"]

    r = ws.run("review", "show", "1")
    assert r.exit_code == 0 and "Đã báo trưởng bản" in r.output and "segments:" in r.output
    r = ws.run("review", "show", "99")
    assert r.exit_code == 1 and "no feedback item #99" in r.output

    r = ws.run("review", "export", "--format", "csv", "--redact")
    assert r.exit_code == 0
    assert r.stdout_bytes.startswith(b"\xef\xbb\xbf")
    text = r.stdout_bytes.decode("utf-8-sig")
    assert "0987 654 321" not in text and PHONE_MASK in text and "a.m4a" in text

    out = ws.root / "exports" / "queue.csv"
    r = ws.run("review", "export", "--output", str(out), "--status", "dismissed")
    assert r.exit_code == 0, r.output
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert [row["id"] for row in rows] == ["2"] and rows[0]["note"] == "trùng"


def test_help_everywhere(ws):
    for args in (["transcribe"], ["review"], *[["review", c] for c in
                                                ("list", "show", "tag", "resolve", "dismiss", "export")]):
        r = ws.run(*args, "--help")
        assert r.exit_code == 0 and len(r.output.split("\n\n")[1].strip()) > 20, args
