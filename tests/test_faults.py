"""Production under faults: killed runs, concurrent runs, tampering. Real processes."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import CONFIG, announcement_text

pytestmark = pytest.mark.slow
DAY = "2099-12-14"
BROADCAST = [sys.executable, "-m", "broadcast"]


def workspace(root: Path, count: int) -> Path:
    for sub in ("announcements", "translations", "voices", "feedback", "output"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "broadcast.toml").write_text(CONFIG, encoding="utf-8")
    for i in range(count):
        (root / "announcements" / f"tb-{i:02d}.md").write_text(announcement_text(
            f"tb-{i:02d}", repeat="1", priority=["normal", "priority", "emergency"][i % 3],
            body=f"Thông báo số {i + 1}. Họp bản lúc {7 + i % 5} giờ sáng ngày 14/12/2099."), encoding="utf-8")
    subprocess.run([*BROADCAST, "--workspace", str(root), "approve", str(root / "announcements"), "--by", "A"],
                   check=True, capture_output=True)
    return root


def start(root: Path, *extra: str) -> subprocess.Popen:
    return subprocess.Popen([*BROADCAST, "--workspace", str(root), "produce", "--date", DAY, *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "CI": "1"})


def decodes_completely(path: Path) -> bool:
    r = subprocess.run(["ffmpeg", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
                       capture_output=True, text=True)
    return r.returncode == 0 and not r.stderr.strip()


def check_final_files(day: Path) -> None:
    for p in day.rglob("*"):
        if p.is_file() and p.suffix in (".mp3", ".m4a") and not p.name.startswith("."):
            assert decodes_completely(p), f"{p} is under a final name but does not decode"
        if p.suffix == ".json" and not p.name.startswith("."):
            json.loads(p.read_text(encoding="utf-8"))  # never half-written


def test_killed_at_ten_points_then_rerun_completes(tmp_path):
    items = 12      # enough that most kill points (0.4–2.5 s in) land before the batch is done
    root = workspace(tmp_path / "ws", items)
    day = root / "output" / DAY
    rng = random.Random(39)
    kills = 0
    for _ in range(10):
        proc = start(root, "--jobs", "2")
        time.sleep(rng.uniform(0.4, 2.5))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group: workers die too, as in a power cut
            kills += 1
        proc.wait()
        if day.exists():
            check_final_files(day)
    assert kills >= 5, "the batch finished before most kill points; make it bigger"
    final = start(root)
    out = final.communicate(timeout=300)[0].decode()
    assert final.returncode == 0, out
    check_final_files(day)
    leftovers = [p for p in (root).rglob("*.part")] + list((root / "output").rglob(".scratch"))
    assert leftovers == []
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {str(p.relative_to(day)) for p in day.rglob("*") if p.is_file()} - {"manifest.json"}
    assert {e["path"] for e in manifest["files"]} == on_disk
    assert len([p for p in on_disk if p.endswith(".mp3")]) == items * 2 * 2  # items × 2 areas × 2 slots
    verify = subprocess.run([*BROADCAST, "--workspace", str(root), "verify", "--date", DAY],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def wait_for_lock_holder(root: Path, pid: int, timeout: float = 60.0) -> None:
    lock = root / "state" / "produce.lock"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if lock.is_file() and lock.read_text().strip() == str(pid):
            return
        time.sleep(0.05)
    raise AssertionError("the first produce never took the lock")


def test_two_produce_runs_at_once(tmp_path):
    root = workspace(tmp_path / "ws", 8)  # a few seconds of work for the first run, one job
    first = start(root, "--jobs", "1")
    wait_for_lock_holder(root, first.pid)
    second = start(root)
    out2 = second.communicate(timeout=300)[0].decode()
    out1 = first.communicate(timeout=300)[0].decode()
    assert first.returncode == 0, out1
    assert second.returncode != 0 and "another `broadcast produce`" in out2 and f"pid {first.pid}" in out2
    # --wait queues behind the holder instead
    third, fourth = start(root, "--wait"), start(root, "--wait")
    assert third.wait(timeout=300) == 0 and fourth.wait(timeout=300) == 0
    check_final_files(root / "output" / DAY)


def test_stale_lock_from_a_dead_process_is_taken_over(tmp_path):
    root = workspace(tmp_path / "ws", 1)
    state = root / "state"
    state.mkdir(exist_ok=True)
    (state / "produce.lock").write_text("999999")  # a holder that no longer exists
    proc = start(root)
    out = proc.communicate(timeout=300)[0].decode()
    assert proc.returncode == 0, out
