"""A small produced workspace for the playout tests, made once per test session with the real
pipeline (espeak-ng, the loudspeaker master) and copied for each test, plus helpers to run
`broadcast play` as a process and to read what it aired."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from broadcast.cli.root import cli

import conftest
from conftest import read_wav  # noqa: F401  (the playout tests take it from here)

DAY = "2099-12-14"
CONFIG = """\
[commune]
name = "Xã Thử"
station = "Đài xã Thử"
timezone = "Asia/Ho_Chi_Minh"

[slots]
morning = "05:30"
noon = "11:00"
evening = "17:00"

[areas.ban-a]
name = "Bản A"
languages = ["vi"]

[areas.ban-b]
name = "Bản B"
languages = ["vi"]

[playout]
gap_seconds = 1
late_minutes = 30
"""


def announcement(ann_id: str, body: str, *, priority: str = "normal", slots: str = "[morning]",
                 areas: str = "[ban-a]", repeat: int = 1, expires: str = "2099-12-31T00:00:00+07:00") -> str:
    return (f"---\nid: {ann_id}\ntitle: Tin {ann_id}\npriority: {priority}\nareas: {areas}\nlanguages: [vi]\n"
            f"channels: [loudspeaker]\nschedule:\n  dates: [{DAY}]\n  slots: {slots}\nrepeat: {repeat}\n"
            f"expires: {expires}\n---\n{body}\n")


ANNOUNCEMENTS = {
    "hop-thon": announcement("hop-thon", "Chiều nay họp thôn.", slots="[morning, evening]"),
    "tiem-chung": announcement("tiem-chung", "Sáng mai tiêm chủng."),
    "lu-quet": announcement("lu-quet", "Lũ quét, tránh xa suối.", priority="emergency"),
    # long enough (two readings) to be on air when something interrupts it
    "dai-dong": announcement("dai-dong", "Bà con nhớ mang sổ hộ khẩu và căn cước khi đi làm thủ tục.",
                             slots="[noon]", repeat=2),
}

_BASE: dict[str, Path] = {}


def run_cli(root: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(root), *args])


def make_workspace(root: Path, announcements: dict[str, str] | None = None) -> Path:
    """The conftest workspace with the playout CONFIG and ANNOUNCEMENTS (or `announcements`)."""
    return conftest.make_workspace(root, CONFIG,
                                   announcements=ANNOUNCEMENTS if announcements is None else announcements)


def produce(root: Path) -> None:
    for args in (("approve", str(root / "announcements"), "--by", "Chủ tịch Lò Văn A"),
                 ("produce", "--date", DAY, "--jobs", "2")):
        r = run_cli(root, *args)
        assert r.exit_code == 0, r.output


def base_workspace(factory) -> Path:
    """The produced workspace, made once per session (tests copy it)."""
    if "root" not in _BASE:
        root = make_workspace(factory.mktemp("playout-base") / "ws")
        produce(root)
        _BASE["root"] = root
    return _BASE["root"]


def fresh_copy(factory, tmp_path: Path) -> Path:
    dest = tmp_path / "ws"
    shutil.copytree(base_workspace(factory), dest)
    return dest


def manifest(root: Path) -> dict:
    return json.loads((root / "output" / DAY / "manifest.json").read_text(encoding="utf-8"))


def items(root: Path, area: str, slot: str | None = None) -> list[dict]:
    out = [e for e in manifest(root)["files"] if e.get("kind") == "audio" and e.get("profile") == "loudspeaker"
           and e["area"] == area and (slot is None or e["slot"] == slot)]
    return sorted(out, key=lambda e: e["order"])


def log_rows(root: Path) -> list[dict]:
    conn = sqlite3.connect(root / "state" / "broadcast.db")
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM as_run_log ORDER BY seq")]
    finally:
        conn.close()


def env(now: str | None = None, **extra: str) -> dict:
    e = {**os.environ, "PYTHONUNBUFFERED": "1", **extra}
    e.pop("BROADCAST_PLAYOUT_NOW", None)
    if now:
        e["BROADCAST_PLAYOUT_NOW"] = now
    return e


def start_play(root: Path, *args: str, now: str | None = None, **extra: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "broadcast", "--workspace", str(root), "play", *args],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env(now, **extra))


def play(root: Path, *args: str, now: str | None = None, timeout: float = 120, **extra: str):
    return subprocess.run([sys.executable, "-m", "broadcast", "--workspace", str(root), "play", *args],
                          capture_output=True, text=True, env=env(now, **extra), timeout=timeout)


def wait_for(predicate, timeout: float, what: str, step: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = predicate()
        if got:
            return got
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def decode(path: Path, rate: int = 44100) -> np.ndarray:
    """Any audio file → float32 mono at `rate`, by the ffmpeg program (an independent decoder)."""
    raw = subprocess.run(["ffmpeg", "-hide_banner", "-loglevel", "error", "-i", str(path), "-f", "f32le", "-ac", "1",
                          "-ar", str(rate), "pipe:1"], capture_output=True, check=True).stdout
    return np.frombuffer(raw, "<f4")


def segments(samples: np.ndarray, rate: int, *, min_gap: float, floor_db: float = -50.0) -> list[tuple[float, float]]:
    """(start, end) seconds of the sound between silences of at least `min_gap` seconds."""
    hop = int(rate * 0.02)
    frames = samples[: len(samples) // hop * hop].reshape(-1, hop)
    loud = 20 * np.log10(np.sqrt((frames ** 2).mean(axis=1)) + 1e-9) > floor_db
    out: list[list[float]] = []
    quiet_run = 0
    for i, on in enumerate(loud):
        t = i * hop / rate
        if on:
            if out and quiet_run * hop / rate < min_gap:
                out[-1][1] = t + hop / rate
            else:
                out.append([t, t + hop / rate])
            quiet_run = 0
        else:
            quiet_run += 1
    return [(a, b) for a, b in out]


def tone_level(samples: np.ndarray, rate: int, freq: float) -> float:
    """Share of the spectrum's energy within ±15 Hz of `freq`."""
    spec = np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
    f = np.fft.rfftfreq(len(samples), 1 / rate)
    return float(spec[(f > freq - 15) & (f < freq + 15)].sum() / spec.sum())


def match_at(samples: np.ndarray, rate: int, master: np.ndarray, near: float, search: float = 0.05) -> tuple[float, float]:
    """(correlation, start in seconds) of `master` found in `samples` within `search` s of `near`
    (manifest durations are rounded to the millisecond, so starts are known to a few samples).
    The probe is a second of speech near the end: an attention tone at the start repeats every
    period and would match anywhere."""
    offset = max(0, len(master) - 2 * rate)
    probe = master[offset:offset + rate]
    lo = max(0, int((near - search) * rate) + offset)
    window = samples[lo:lo + len(probe) + int(2 * search * rate)]
    c = np.correlate(window, probe, "valid")
    start = lo + int(np.argmax(c)) - offset
    got = samples[start:start + len(master)]
    return float(np.corrcoef(got, master[:len(got)])[0, 1]), start / rate
