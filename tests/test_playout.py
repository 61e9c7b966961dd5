"""`broadcast play` on the file sink: a slot airs in run-sheet order through the real ffmpeg
sink, every check refuses what it must (and the rest still air), the as-run log is append-only
and hash-chained, and the command's other modes (--now on a free output, --list-outputs,
--install-service) do what they say."""

from __future__ import annotations

import json
import sqlite3

import pytest
from playout_support import (DAY, decode, fresh_copy, items, log_rows, manifest, match_at, play, read_wav, run_cli,
                             tone_level)

from broadcast.core import db
from broadcast.core.config import load_workspace
from broadcast.playout import asrun
from broadcast.playout.outputs import OutputError, parse_output

GAP = 1.0   # [playout] gap_seconds in the test workspace


@pytest.fixture
def root(tmp_path_factory, tmp_path):
    return fresh_copy(tmp_path_factory, tmp_path)


def closing_rows(root):
    return [r for r in log_rows(root) if r["result"] != "started"]


def test_a_slot_airs_its_items_in_run_sheet_order_and_logs_each(root, tmp_path):
    out = tmp_path / "air.wav"
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output", f"file:{out}")
    assert r.returncode == 0, r.stdout + r.stderr
    planned = items(root, "ban-a", "morning")
    assert [e["announcement"] for e in planned] == ["lu-quet", "hop-thon", "tiem-chung"]   # emergency first

    # The file holds the items, each followed by the gap: as long as they are, in that order.
    samples, rate = read_wav(out)
    expected = sum(e["duration"] for e in planned) + GAP * len(planned)
    assert abs(len(samples) / rate - expected) < 0.15
    # The first item sounds the attention signal (853 + 960 Hz); the second does not.
    first = samples[int(0.2 * rate):int(2.8 * rate)]
    assert tone_level(first, rate, 853) > 0.2 and tone_level(first, rate, 960) > 0.2
    second_start = planned[0]["duration"] + GAP
    second = samples[int(second_start * rate):int((second_start + planned[1]["duration"]) * rate)]
    assert tone_level(second, rate, 853) < 0.01
    # ... and each item is the master's own audio, where it should be (up to the decoders).
    at = 0.0
    for entry in planned:
        corr, start = match_at(samples, rate, decode(root / "output" / DAY / entry["path"]), at)
        assert corr > 0.999 and abs(start - at) < 0.01, (entry["path"], corr, start, at)
        at += entry["duration"] + GAP

    rows = log_rows(root)
    assert [r["result"] for r in rows] == ["started", "aired"] * 3
    aired = [r for r in rows if r["result"] == "aired"]
    for row, entry in zip(aired, planned):
        assert row["file"] == entry["path"] and row["sha256"] == entry["sha256"]
        assert row["announcement"] == entry["announcement"] and row["slot"] == "morning"
        assert row["approved_text_sha256"] == entry["approved_text_sha256"]
        assert row["approval_sha256"] == entry["approval"]["sha256"]
        assert row["approved_by"] == "Chủ tịch Lò Văn A"
        assert row["planned_at"] == "2099-12-14T05:30:00.000+07:00"
        assert row["started_at"].endswith("+07:00") and row["ended_at"] >= row["started_at"]
        assert abs(row["aired_seconds"] - entry["duration"]) < 0.05 and row["file_seconds"] == entry["duration"]
        assert row["started_by"] == "operator" and row["output"] == f"file:{out}"
    assert [r["attempt"] for r in rows[0::2]] == [r["attempt"] for r in rows[1::2]]
    assert asrun.verify_chain(db.connect(load_workspace(root).db_path)) == []

    # Again: everything already aired in this slot is skipped, and the file is left alone.
    before = out.read_bytes()
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output", f"file:{out}")
    assert r.returncode == 0 and r.stdout.count("already aired") == 3
    assert out.read_bytes() == before and len(log_rows(root)) == 6


def test_a_tampered_file_is_refused_and_the_rest_are_aired(root, tmp_path):
    planned = items(root, "ban-a", "morning")
    victim = root / "output" / DAY / planned[1]["path"]
    victim.write_bytes(victim.read_bytes()[:-200] + bytes(200))
    out = tmp_path / "air.wav"
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output", f"file:{out}")
    assert r.returncode == 1
    assert f"refused  hop-thon [vi]: file changed after production: {planned[1]['path']}" in r.stdout
    results = [(row["announcement"], row["result"]) for row in closing_rows(root)]
    assert results == [("lu-quet", "aired"), ("hop-thon", "refused"), ("tiem-chung", "aired")]
    refused = closing_rows(root)[1]
    assert refused["sha256"] == planned[1]["sha256"] and refused["started_at"] is None
    samples, rate = read_wav(out)
    expected = planned[0]["duration"] + planned[2]["duration"] + 2 * GAP
    assert abs(len(samples) / rate - expected) < 0.15


def test_a_manifest_edited_to_match_the_tampered_file_is_refused(root, tmp_path):
    import hashlib

    planned = items(root, "ban-a", "morning")
    victim = root / "output" / DAY / planned[2]["path"]
    victim.write_bytes(victim.read_bytes() + b"\0")
    data = manifest(root)
    for e in data["files"]:
        if e["path"] == planned[2]["path"]:
            e["sha256"] = hashlib.sha256(victim.read_bytes()).hexdigest()
    (root / "output" / DAY / "manifest.json").write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output", f"file:{tmp_path / 'a.wav'}")
    assert r.returncode == 1
    assert {row["result"] for row in closing_rows(root)} == {"refused"}
    assert all("manifest.json changed outside `broadcast produce`" in row["reason"] for row in closing_rows(root))


@pytest.mark.parametrize("change, reason", [
    ("edit", "announcement changed since it was approved by Chủ tịch Lò Văn A"),
    ("withdraw", "withdrawn: no announcement 'hop-thon'"),
    ("break", "the announcement file is invalid now"),
    ("expire", "expired at 2099-12-31T00:00:00+07:00"),
])
def test_an_approval_no_longer_current_is_refused(root, tmp_path, change, reason):
    path = root / "announcements" / "hop-thon.md"
    now = None
    if change == "edit":
        path.write_text(path.read_text(encoding="utf-8").replace("họp thôn", "họp bản"), encoding="utf-8")
    elif change == "withdraw":
        path.unlink()
    elif change == "break":
        path.write_text(path.read_text(encoding="utf-8").replace("priority: normal", "priority: urgent"),
                        encoding="utf-8")
    else:
        now = "2099-12-31T05:30:00+07:00"
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output",
             f"file:{tmp_path / 'a.wav'}", now=now)
    assert r.returncode == 1, r.stdout
    by_id = {row["announcement"]: row for row in closing_rows(root)}
    assert by_id["hop-thon"]["result"] == "refused" and reason in by_id["hop-thon"]["reason"]
    assert by_id["tiem-chung"]["result"] == ("refused" if change == "expire" else "aired")


def test_re_approved_but_not_re_produced_is_refused(root, tmp_path):
    path = root / "announcements" / "tiem-chung.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Sáng mai", "Chiều mai"), encoding="utf-8")
    assert run_cli(root, "approve", str(path), "--by", "Phó chủ tịch").exit_code == 0
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output", f"file:{tmp_path / 'a.wav'}")
    assert r.returncode == 1
    row = [x for x in closing_rows(root) if x["announcement"] == "tiem-chung"][0]
    assert row["result"] == "refused" and "made from an earlier approved version" in row["reason"]
    assert "run `broadcast produce` again" in row["reason"]


def test_now_airs_one_announcement_at_once_on_a_free_output(root, tmp_path):
    out = tmp_path / "now.wav"
    r = play(root, "--date", DAY, "--now", "lu-quet", "--output", f"file:{out}")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "lu-quet in ban-a on file:" in r.stdout and ": aired" in r.stdout
    (row,) = closing_rows(root)
    assert row["started_by"] == "emergency" and row["slot"] is None and row["result"] == "aired"
    samples, rate = read_wav(out)
    assert tone_level(samples[int(0.2 * rate):int(2.8 * rate)], rate, 960) > 0.2
    assert abs(len(samples) / rate - (items(root, "ban-a", "morning")[0]["duration"] + GAP)) < 0.15

    r = play(root, "--date", DAY, "--now", "nope", "--output", f"file:{out}")
    assert r.returncode == 1 and "no valid announcement with id 'nope'" in r.stderr


def test_the_as_run_log_is_append_only_and_an_edit_shows(root, tmp_path):
    assert play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output",
                f"file:{tmp_path / 'a.wav'}").returncode == 0
    conn = sqlite3.connect(root / "state" / "broadcast.db")
    for sql in ("UPDATE as_run_log SET result = 'aired' WHERE seq = 1", "DELETE FROM as_run_log WHERE seq = 2"):
        with pytest.raises(sqlite3.IntegrityError, match="as_run_log is append-only"):
            conn.execute(sql)
    # Someone drops the trigger to rewrite history: the chain shows it, and the report says so.
    conn.execute("DROP TRIGGER as_run_log_no_update")
    conn.execute("UPDATE as_run_log SET aired_seconds = 999 WHERE seq = 2")
    conn.commit()
    conn.close()
    assert asrun.verify_chain(db.connect(load_workspace(root).db_path)) == [2]
    r = run_cli(root, "report", "aired", "--date", DAY)
    assert r.exit_code == 1 and "as-run log rows 2 do not match their hash" in r.output


def test_output_grammar_and_its_errors(monkeypatch, tmp_path):
    assert parse_output("alsa").target == "default" and parse_output("alsa:hw:1,0").target == "hw:1,0"
    assert parse_output("pulse:alsa_output.usb").kind == "pulse"
    ice = parse_output("icecast://source:s3cr%40t@127.0.0.1:8000/ban-a.mp3")
    assert ice.display == "icecast://source:***@127.0.0.1:8000/ban-a.mp3" and "s3cr" not in ice.key
    monkeypatch.setenv("ICE_PW", "pw")
    assert parse_output("icecast://source:${ICE_PW}@h:8000/m").target == "icecast://source:pw@h:8000/m"
    assert parse_output(f"file:{tmp_path}/x.wav").target == str(tmp_path / "x.wav")
    for bad, says in [("icecast://source:pw@h/m", "needs a port"), ("icecast://h:8000/m", "source password"),
                      ("icecast://source:pw@h:8000/", "needs a host and a mount"), ("file:x.aiff", "unknown file type"),
                      ("speaker", "unknown output kind"), ("icecast://source:${NOPE_X}@h:1/m", "${NOPE_X} is not set")]:
        with pytest.raises(OutputError, match=None) as exc:
            parse_output(bad)
        assert says in str(exc.value)


def test_bad_output_in_broadcast_toml_names_the_field(root, tmp_path):
    toml = root / "broadcast.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('[areas.ban-a]\n', '[areas.ban-a]\noutput = "horn:1"\n'),
                    encoding="utf-8")
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a")
    assert r.returncode == 1
    assert "broadcast.toml: areas.ban-a.output: output 'horn:1': unknown output kind 'horn'" in r.stderr
    assert "Traceback" not in r.stderr


def test_usage_errors_and_help(root):
    r = run_cli(root, "play")
    assert r.exit_code == 2 and "give one of --slot, --now, --follow" in r.output
    r = run_cli(root, "play", "--slot", "morning", "--follow")
    assert r.exit_code == 2 and "not --slot and --follow" in r.output
    r = run_cli(root, "play", "--slot", "night", "--area", "ban-a", "--output", "file:/tmp/x.wav", "--date", DAY)
    assert r.exit_code == 1 and "unknown slot 'night'" in r.output
    r = run_cli(root, "play", "--slot", "morning", "--output", "file:/tmp/x.wav")
    assert r.exit_code == 2 and "--slot needs one --area" in r.output
    r = run_cli(root, "play", "--help")
    for option in ("--date", "--slot", "--area", "--output", "--now", "--follow", "--realtime", "--again",
                   "--list-outputs", "--install-service", "--yes", "--unit-dir"):
        assert option in r.output
    r = run_cli(root, "report", "aired", "--help")
    for option in ("--date", "--month", "--area", "--format", "--output"):
        assert option in r.output


def test_nothing_produced_says_so(root, tmp_path):
    r = play(root, "--date", "2099-12-20", "--slot", "morning", "--area", "ban-a", "--output", f"file:{tmp_path}/a.wav")
    assert r.returncode == 1 and "nothing produced for this date (no manifest)" in r.stderr


def test_install_service_prints_and_installs_only_when_asked(root, tmp_path):
    r = run_cli(root, "play", "--install-service", "--area", "ban-a")
    assert r.exit_code == 0
    assert "ExecStart=" in r.output and "play --follow --area ban-a" in r.output
    assert "KillSignal=SIGTERM" in r.output and "Restart=always" in r.output
    assert "not installed" in r.output
    unit_dir = tmp_path / "units"
    r = run_cli(root, "play", "--install-service", "--yes", "--unit-dir", str(unit_dir))
    assert r.exit_code == 0, r.output
    unit = (unit_dir / "broadcast-play.service").read_text(encoding="utf-8")
    assert f"WorkingDirectory={root}" in unit and "[Install]" in unit
    assert run_cli(root, "play", "--yes").exit_code == 2


def test_list_outputs_shows_devices_and_configured_outputs(root, tmp_path):
    toml = root / "broadcast.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        "[playout]\n", f'[playout]\noutput = "file:{tmp_path}/day.wav"\n').replace(
        '[areas.ban-b]\n', '[areas.ban-b]\noutput = "icecast://source:pw@127.0.0.1:9/ban-b"\n'), encoding="utf-8")
    r = run_cli(root, "play", "--list-outputs")
    assert r.exit_code == 0, r.output
    lines = r.output.splitlines()
    assert f"yes  file:{tmp_path}/day.wav  (playout.output): the folder can be written" in lines
    assert any(x.startswith("no   icecast://source:***@127.0.0.1:9/ban-b  (areas.ban-b.output): ") for x in lines)
    assert any(x.startswith("yes  alsa:null  (alsa device: ") for x in lines)   # ALSA's null device is always there
    assert "pw@" not in r.output
