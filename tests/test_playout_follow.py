"""`broadcast play --follow` and the interruptions, as processes: a slot a few seconds ahead
(the clock set by $BROADCAST_PLAYOUT_NOW) airs when its time comes; SIGTERM stops cleanly and
a restart mid-slot airs nothing twice; a SIGKILL mid-item is recorded as interrupted at the next
start; `--now` interrupts a busy output; an emergency produced while the player runs airs at
once. The output is a file written at the pace of the air (--realtime), so items take real
time and can be interrupted."""

from __future__ import annotations

import signal
import time

import pytest
from playout_support import (DAY, decode, fresh_copy, items, log_rows, match_at, play, read_wav, run_cli,
                             start_play, tone_level, wait_for)

GAP = 1.0


@pytest.fixture
def root(tmp_path_factory, tmp_path):
    return fresh_copy(tmp_path_factory, tmp_path)


def rows_of(root, result=None, announcement=None):
    return [r for r in log_rows(root) if (result is None or r["result"] == result)
            and (announcement is None or r["announcement"] == announcement)]


def stop(proc, sig=signal.SIGTERM, timeout=30):
    proc.send_signal(sig)
    out, _ = proc.communicate(timeout=timeout)
    return proc.returncode, out


def follow_into_noon(root, tmp_path):
    """The morning aired, then `play --follow` in real time from just before noon, until the noon
    item (dai-dong) is on air; returns (the player process, its output file)."""
    pre_air_the_emergency(root, tmp_path)
    out = tmp_path / "day.wav"
    proc = start_play(root, "--follow", "--area", "ban-a", "--output", f"file:{out}", "--realtime",
                      now=f"{DAY}T10:59:59+07:00")
    wait_for(lambda: rows_of(root, "started", "dai-dong"), 30, "the noon item to start")
    return proc, out


def pre_air_the_emergency(root, tmp_path):
    """Air the morning slot first, so the emergency is not new any more."""
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output", f"file:{tmp_path}/before.wav")
    assert r.returncode == 0, r.stdout + r.stderr


def test_follow_airs_a_slot_when_its_time_comes_and_stops_on_sigterm(root, tmp_path):
    out = tmp_path / "day.wav"
    proc = start_play(root, "--follow", "--area", "ban-a", "--output", f"file:{out}",
                      now=f"{DAY}T05:29:57+07:00")
    wait_for(lambda: len(rows_of(root, "aired")) == 3, 40, "the morning slot to air")
    code, said = stop(proc)
    assert code == 0, said
    assert "following ban-a on file:" in said and "stopped file:" in said
    aired = rows_of(root, "aired")
    assert [r["announcement"] for r in aired] == [e["announcement"] for e in items(root, "ban-a", "morning")]
    for r in aired:
        assert r["started_by"] == "schedule" and r["slot"] == "morning"
        assert r["planned_at"] == f"{DAY}T05:30:00.000+07:00"
        assert f"{DAY}T05:30:00" <= r["started_at"] < f"{DAY}T05:30:20"     # at its time, not before
    # the emergency's slot was seconds away: it aired in the slot, not once more just before
    assert len(rows_of(root, "aired", "lu-quet")) == 1
    assert out.is_file()                  # the file is finished and in place after SIGTERM


@pytest.mark.slow
def test_a_restart_mid_slot_airs_nothing_twice(root, tmp_path):
    out = tmp_path / "day.wav"
    args = ("--follow", "--area", "ban-a", "--output", f"file:{out}", "--realtime")
    proc = start_play(root, *args, now=f"{DAY}T05:29:59+07:00")
    wait_for(lambda: rows_of(root, "started", "hop-thon"), 40, "the second item to start")
    time.sleep(1.0)
    code, said = stop(proc)
    assert code == 0, said
    (cut,) = rows_of(root, "interrupted", "hop-thon")
    assert cut["reason"] == "the player was stopped (SIGTERM) mid-item" and 0.5 < cut["aired_seconds"] < 3.5
    assert [r["announcement"] for r in rows_of(root, "aired")] == ["lu-quet"]

    proc = start_play(root, *args, now=f"{DAY}T05:30:40+07:00")     # still within the slot's window
    wait_for(lambda: rows_of(root, "aired", "tiem-chung"), 40, "the slot to finish")
    code, said = stop(proc)
    assert code == 0, said
    aired = [(r["slot"], r["announcement"]) for r in rows_of(root, "aired")]
    assert aired == [("morning", "lu-quet"), ("morning", "hop-thon"), ("morning", "tiem-chung")]
    # the interrupted item aired again from its start, whole
    assert abs(rows_of(root, "aired", "hop-thon")[0]["aired_seconds"] - cut["file_seconds"]) < 0.05


@pytest.mark.slow
def test_after_a_sigkill_mid_item_the_next_start_records_it_interrupted(root, tmp_path):
    out = tmp_path / "noon.wav"
    args = ("--date", DAY, "--slot", "noon", "--area", "ban-a", "--output", f"file:{out}")
    proc = start_play(root, *args, "--realtime")
    wait_for(lambda: rows_of(root, "started", "dai-dong"), 30, "the item to start")
    time.sleep(2.5)
    proc.kill()
    proc.wait(10)
    assert [r["result"] for r in rows_of(root, announcement="dai-dong")] == ["started"]
    assert not out.exists()                 # nothing half-written under the final name

    r = play(root, *args)                   # the next start on that output
    assert r.returncode == 0, r.stdout + r.stderr
    assert "interrupted dai-dong [vi] (left on air by a player that was killed" in r.stdout
    results = [x["result"] for x in rows_of(root, announcement="dai-dong")]
    assert results == ["started", "interrupted", "started", "aired"]
    cut = rows_of(root, "interrupted", "dai-dong")[0]
    assert cut["attempt"] == rows_of(root, "started", "dai-dong")[0]["attempt"]
    assert "killed" in cut["reason"]
    assert 1.0 < cut["aired_seconds"] < 4.0 and cut["ended_at"] > cut["started_at"]   # from the last heartbeat


@pytest.mark.slow
def test_now_interrupts_the_item_on_a_busy_output_then_it_airs_again(root, tmp_path):
    proc, out = follow_into_noon(root, tmp_path)
    time.sleep(1.5)
    now = play(root, "--date", DAY, "--now", "lu-quet", "--output", f"file:{out}", timeout=90)
    assert now.returncode == 0, now.stdout + now.stderr
    assert "is busy (broadcast play, pid" in now.stdout and "interrupting the item on air" in now.stdout
    assert "lu-quet in ban-a on file:" in now.stdout and ": aired" in now.stdout
    wait_for(lambda: rows_of(root, "aired", "dai-dong"), 40, "the interrupted item to air again")
    code, said = stop(proc)
    assert code == 0, said

    noon = [(r["announcement"], r["result"], r["started_by"], r["slot"]) for r in log_rows(root)
            if r["result"] != "started" and r["started_at"] and r["started_at"] >= f"{DAY}T10:59"]
    assert noon == [("dai-dong", "interrupted", "schedule", "noon"), ("lu-quet", "aired", "emergency", None),
                    ("dai-dong", "aired", "schedule", "noon")]
    cut = rows_of(root, "interrupted", "dai-dong")[0]
    assert cut["reason"] == "interrupted by an emergency announcement"
    assert 1.0 < cut["aired_seconds"] < cut["file_seconds"] - 1
    # In the file: the cut item, then the emergency with its attention signal, then the item whole.
    samples, rate = read_wav(out)
    emergency = decode(root / "output" / DAY / items(root, "ban-a", "morning")[0]["path"])
    corr, at = match_at(samples, rate, emergency, len(samples) / rate / 2, search=len(samples) / rate / 2 - 1)
    assert corr > 0.999
    assert tone_level(samples[int((at + 0.2) * rate):int((at + 2.8) * rate)], rate, 853) > 0.2
    item = items(root, "ban-a", "noon")[0]
    corr, again = match_at(samples, rate, decode(root / "output" / DAY / item["path"]),
                           at + items(root, "ban-a", "morning")[0]["duration"] + GAP, search=0.3)
    assert corr > 0.999


@pytest.mark.slow
def test_an_emergency_produced_while_following_airs_at_once(root, tmp_path):
    proc, out = follow_into_noon(root, tmp_path)
    # A new version of the warning is approved and the day produced again while noon is on air.
    path = root / "announcements" / "lu-quet.md"
    path.write_text(path.read_text(encoding="utf-8").replace("tránh xa suối", "lên đồi ngay"), encoding="utf-8")
    assert run_cli(root, "approve", str(path), "--by", "Chủ tịch Lò Văn A").exit_code == 0
    assert run_cli(root, "produce", "--date", DAY).exit_code == 0
    wait_for(lambda: len(rows_of(root, "aired", "lu-quet")) == 2, 60, "the new emergency to air")
    wait_for(lambda: rows_of(root, "aired", "dai-dong"), 40, "the noon item to air after it")
    code, said = stop(proc)
    assert code == 0, said
    assert "produced again" in said and "new emergency lu-quet for ban-a: airing it now" in said
    new = rows_of(root, "aired", "lu-quet")[-1]
    assert new["started_by"] == "emergency" and new["slot"] is None
    assert new["approval_sha256"] != rows_of(root, "aired", "lu-quet")[0]["approval_sha256"]
    assert len(rows_of(root, "aired", "dai-dong")) == 1
