"""Planning, the master cache, placement and the removal rules of `produce`, fast: no speech is
synthesised and nothing is encoded (masters are plain files written by the test)."""

from __future__ import annotations

import json
import shutil
from datetime import date
from pathlib import Path

import pytest

from broadcast.core import db
from broadcast.intake.announcements import load_announcements
from broadcast.intake.approval import approve
from broadcast.produce import cache as master_cache
from broadcast.produce.models import ProduceReport, Rendition, RenderResult, Withheld
from broadcast.produce.output import Output
from broadcast.produce.pipeline import why_removed
from broadcast.produce.plan import gate, plan_renditions, profiles_for, schedule
from broadcast.produce.rundown import WithheldLine, order_withheld, render_text
from conftest import BODY

DAY = date(2099, 12, 14)


def approved(ws, *ids, **fields):
    for i in ids:
        ws.write(i, **fields)
    w = ws.load()
    conn = db.connect(w.db_path)
    good, bad = load_announcements([w.announcements_dir], w.config, check_expiry=False)
    assert not bad
    for ann in good:
        approve(conn, ann, "A")
    return w, conn


def test_plan_schedules_slots_and_profiles_from_channels(ws):
    w, conn = approved(ws, "a", channels="[loudspeaker, cap]")
    ws.write("b", channels="[zalo]", schedule="\n  dates: [2099-12-15]\n  slots: [morning]")
    report = ProduceReport(DAY, w.output_dir / DAY.isoformat())
    scheduled = schedule(w, DAY, gate(w, conn, None, report, DAY), report)
    # b was never approved: withheld only on its own days, and it does not play on the 14th
    assert [s.announcement.id for s in scheduled] == ["a"]
    assert scheduled[0].slots == ["morning", "evening"]
    assert report.not_approved == ["b"] and not report.withheld
    renditions = plan_renditions(w, conn, scheduled, report)
    assert list(renditions) == ["a/vi"]
    assert profiles_for(renditions) == {"a/vi": ["loudspeaker"]}     # cap links the loudspeaker master


def test_a_changed_announcement_is_withheld_with_its_fix(ws):
    w, conn = approved(ws, "a")
    ws.write("a", body=BODY + " Thêm một câu.")
    report = ProduceReport(DAY, w.output_dir / DAY.isoformat())
    assert gate(w, conn, None, report, DAY) == []
    [withheld] = report.withheld
    assert withheld.kind == "changed" and "broadcast approve" in withheld.fix


def test_an_untranslated_language_is_withheld_for_its_areas_only(ws):
    w, conn = approved(ws, "a", languages="[vi, hmn]")
    report = ProduceReport(DAY, w.output_dir / DAY.isoformat())
    scheduled = schedule(w, DAY, gate(w, conn, None, report, DAY), report)
    plan_renditions(w, conn, scheduled, report)
    [withheld] = report.withheld
    assert withheld.language == "hmn" and withheld.areas == ("men",) and withheld.kind == "missing"


def result_with_master(w, key: str, data: bytes) -> RenderResult:
    path = master_cache.masters_dir(w) / f"{key}-loudspeaker.mp3"
    path.write_bytes(data)
    import hashlib

    meta = {"cache": str(path), "sha256": hashlib.sha256(data).hexdigest(), "size": len(data), "duration": 1.0,
            "integrated_lufs": -14.0, "true_peak_dbtp": -1.5, "first_reading": [0.0, 1.0]}
    return RenderResult("a/vi", {"loudspeaker": meta}, {"engine": "espeak-ng", "voice": "vi"}, [0.0, 1.0], True)


def test_the_master_cache_names_masters_relative_so_a_moved_workspace_keeps_its_own(ws, tmp_path):
    w, _ = approved(ws, "a")
    master_cache.write_cache_meta(w, "k1", result_with_master(w, "k1", b"master bytes"))
    index = json.loads((master_cache.masters_dir(w) / "k1.json").read_text())
    assert index["masters"]["loudspeaker"]["cache"] == "k1-loudspeaker.mp3"
    assert master_cache.cached(w, "k1", ["loudspeaker"]) is not None

    moved = tmp_path / "moved"
    shutil.copytree(ws.root, moved)
    shutil.rmtree(ws.root)                       # the original is gone: nothing may point there
    from broadcast.core.config import load_workspace

    hit = master_cache.cached(load_workspace(moved), "k1", ["loudspeaker"])
    assert hit is not None and Path(hit.masters["loudspeaker"]["cache"]).is_relative_to(moved)


def test_a_damaged_or_foreign_cache_index_is_rendered_again(ws):
    w, _ = approved(ws, "a")
    master_cache.write_cache_meta(w, "k1", result_with_master(w, "k1", b"master bytes"))
    index = master_cache.masters_dir(w) / "k1.json"
    data = json.loads(index.read_text())
    data["masters"]["loudspeaker"]["cache"] = "/elsewhere/other-workspace/master.mp3"
    index.write_text(json.dumps(data))
    assert master_cache.cached(w, "k1", ["loudspeaker"]) is None
    index.write_text('{"masters": 5}')
    assert master_cache.cached(w, "k1", ["loudspeaker"]) is None
    (master_cache.masters_dir(w) / "k1-loudspeaker.mp3").write_bytes(b"tampered")
    master_cache.write_cache_meta(w, "k2", result_with_master(w, "k2", b"good"))
    (master_cache.masters_dir(w) / "k2-loudspeaker.mp3").write_bytes(b"bad!")
    assert master_cache.cached(w, "k2", ["loudspeaker"]) is None


def test_the_render_key_includes_the_encoders_name_and_version(ws, monkeypatch):
    w, conn = approved(ws, "a")
    report = ProduceReport(DAY, w.output_dir / DAY.isoformat())
    [r] = plan_renditions(w, conn, schedule(w, DAY, gate(w, conn, None, report, DAY), report), report).values()
    monkeypatch.setattr(master_cache, "speech_fingerprint", lambda *_: "speech")
    monkeypatch.setattr(master_cache, "encoder_id", lambda codec: f"{codec} build 1")
    one = master_cache.render_key(w, r, "ident", ["loudspeaker"])
    monkeypatch.setattr(master_cache, "encoder_id", lambda codec: f"{codec} build 2")
    assert master_cache.render_key(w, r, "ident", ["loudspeaker"]) != one


def test_nothing_is_under_a_final_name_until_commit(ws):
    w, conn = approved(ws, "a")
    folder = w.output_dir / DAY.isoformat()
    report = ProduceReport(DAY, folder)
    [r] = plan_renditions(w, conn, schedule(w, DAY, gate(w, conn, None, report, DAY), report), report).values()
    res = result_with_master(w, "k1", b"master bytes")
    out = Output(w, DAY, folder, report, {"a/vi": r}, {"a/vi": res})
    dest = folder / "loudspeaker" / "men" / "01-morning-normal-a-vi.mp3"
    out.place(r, res, "loudspeaker", dest, area="men", slot="morning", order=1)
    out.add_file(folder / "zalo" / "men" / "a-vi.txt", b"text", kind="zalo-text", announcement="a")
    assert not dest.exists() and not (folder / "zalo").exists()
    out.commit()
    assert dest.read_bytes() == b"master bytes" and (folder / "zalo" / "men" / "a-vi.txt").read_bytes() == b"text"
    assert [e["path"] for e in out.entries] == ["loudspeaker/men/01-morning-normal-a-vi.mp3", "zalo/men/a-vi.txt"]
    # the same bytes again: nothing staged, nothing rewritten
    out2 = Output(w, DAY, folder, ProduceReport(DAY, folder), {"a/vi": r}, {"a/vi": res})
    out2.place(r, res, "loudspeaker", dest, area="men", slot="morning", order=1)
    assert out2.pending == [] and out2.report.unchanged == 1


@pytest.mark.parametrize("entry,state,expected", [
    ({"area": "gone-area", "announcement": "a"}, {}, "its area is no longer in broadcast.toml"),
    ({"area": "men", "announcement": "a"}, {"made": {"a"}}, "made again under another name"),
    ({"area": "men", "announcement": "a"}, {"withheld": "changed"}, "changed"),
    ({"area": "men", "announcement": "a"}, {"withheld": "expired"}, "expired"),
    ({"area": "men", "announcement": "a"}, {"withheld": "failed"}, None),          # a failed run keeps it
    ({"area": "men", "announcement": "a"}, {"invalid": True}, None),             # a broken file says nothing
    ({"area": "men", "announcement": "a"}, {"seen": False}, "withdrawn: its announcement file is gone"),
    ({"area": "men", "announcement": "a"}, {"scheduled": False}, "no longer scheduled on this date"),
    ({"area": "men", "announcement": "a"}, {"only": {"b"}}, None),               # `produce b` speaks for b only
    ({"area": "men", "announcement": "a"}, {}, None),
    ({"area": "men", "kind": "rundown"}, {}, "made again"),
])
def test_files_are_removed_only_for_a_positive_reason(ws, entry, state, expected):
    w = ws.load()
    report = ProduceReport(DAY, w.output_dir)
    report.seen_ids = {"a", "b"} if state.get("seen", True) else {"b"}
    report.invalid_ids = {"a"} if state.get("invalid") else set()
    if "withheld" in state:
        report.withheld.append(Withheld("a", "A", "normal", ("men",), None, None, state["withheld"], "", state["withheld"]))
    scheduled = {"a", "b"} if state.get("scheduled", True) else {"b"}
    why = why_removed(w, report, scheduled, state.get("made", set()), state.get("only"), entry)
    assert why == expected


def test_withheld_emergencies_stand_first_on_the_run_sheet():
    lines = [WithheldLine("b-normal", "Họp", "normal", "morning", None, "chưa được duyệt"),
             WithheldLine("a-lu", "Lũ quét", "emergency", None, "vi", "đã sửa sau khi duyệt", "broadcast approve")]
    assert [w.announcement_id for w in order_withheld(lines)] == ["a-lu", "b-normal"]
    text = render_text(area_name="Bản Mến", station="Đài", day=DAY, entries=[], expired=[], missing=[],
                       withheld=lines, anchor="#3-abcdef12")
    assert text.index("KHẨN CẤP") < text.index("Họp") and "#3-abcdef12" in text and "broadcast approve" in text
