"""Production under faults: killed runs, concurrent runs, tampering. Real processes.

No sleeps and hopes: each run is stopped at a definite step by the pause-point test hook
(broadcast.core.processes.pause_point, off unless BROADCAST_TEST_PAUSE_AT is set), then killed
there or held while a second run goes against it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import pytest

from broadcast.core import db
from broadcast.core.config import load_workspace
from broadcast.core.fsutil import sha256_file
from broadcast.core.processes import PAUSE_AT_ENV, PAUSE_DIR_ENV
from conftest import announcement_text, make_workspace

pytestmark = pytest.mark.slow
DAY = "2099-12-14"
BROADCAST = [sys.executable, "-m", "broadcast"]
ITEMS = 6            # renditions (one language each); 24 loudspeaker MP3s and their companions


class Pause:
    """One run's pause points: `env` starts a command that stops at the given steps (`event:N`);
    `wait` returns once it is stopped at one; then `release` lets it go on, or Run.kill_group
    ends it there."""

    def __init__(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder

    def env(self, *steps: str) -> dict[str, str]:
        return {PAUSE_AT_ENV: ",".join(steps), PAUSE_DIR_ENV: str(self.folder)}

    def wait(self, proc: Run, step: str, timeout: float = 300) -> None:
        marker = self.folder / f"{step.replace(':', '-')}.paused"
        deadline = time.monotonic() + timeout
        while not marker.exists():
            assert proc.poll() is None, f"it ended (exit {proc.returncode}) before {step}:\n{proc.output()}"
            assert time.monotonic() < deadline, f"it never reached {step}:\n{proc.output()}"
            time.sleep(0.01)
        assert marker.read_text() == str(proc.pid), "a different process stopped there"

    def release(self, step: str) -> None:
        (self.folder / f"{step.replace(':', '-')}.go").touch()


class Run(subprocess.Popen):
    """A `broadcast` command in a process group of its own, its output in a file (no pipe to fill)."""

    def __init__(self, args: list[str], log: Path, env: dict[str, str]) -> None:
        self.log = log
        with open(log, "wb") as out:
            super().__init__(args, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
                             env={**os.environ, "CI": "1", **env})

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def finish(self, timeout: float = 300) -> str:
        self.wait(timeout=timeout)
        return self.output()

    def kill_group(self) -> None:
        """SIGKILL to the whole group, workers too, as in a power cut."""
        os.killpg(self.pid, signal.SIGKILL)
        assert self.wait(timeout=60) == -signal.SIGKILL


@pytest.fixture
def runs(tmp_path):
    """Start `Run`s (`runs(args, env)`); any still alive when the test ends is killed."""
    started: list[Run] = []

    def start(args: list[str], env: dict[str, str] | None = None) -> Run:
        proc = Run(args, tmp_path / f"run-{len(started)}.log", env or {})
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def workspace(root: Path, count: int) -> Path:
    make_workspace(root, announcements={f"tb-{i:02d}": announcement_text(
        f"tb-{i:02d}", repeat="1", priority=["normal", "priority", "emergency"][i % 3],
        body=f"Thông báo số {i + 1}. Họp bản lúc {7 + i % 5} giờ sáng ngày 14/12/2099.") for i in range(count)})
    subprocess.run([*BROADCAST, "--workspace", str(root), "approve", str(root / "announcements"), "--by", "A"],
                   check=True, capture_output=True)
    return root


def produce(*extra: str) -> list[str]:
    return ["produce", "--date", DAY, *extra]


def decodes_completely(path: Path) -> bool:
    r = subprocess.run(["ffmpeg", "-v", "error", "-xerror", "-i", str(path), "-f", "null", "-"],
                       capture_output=True, text=True)
    return r.returncode == 0 and not r.stderr.strip()


def final_files(day: Path) -> list[Path]:
    """Files under their final names (not the scratch area, not temp files)."""
    if not day.exists():
        return []
    return [p for p in day.rglob("*") if p.is_file() and not any(
        part.startswith(".") for part in p.relative_to(day).parts)]


DECODED: set[str] = set()   # sha256 of audio that decoded completely: the same bytes need no second look


def check_final_files(day: Path) -> None:
    for p in final_files(day):
        if p.suffix in (".mp3", ".m4a") and sha256_file(p) not in DECODED:
            assert decodes_completely(p), f"{p} is under a final name but does not decode"
            DECODED.add(sha256_file(p))
        if p.suffix == ".json":
            json.loads(p.read_text(encoding="utf-8"))  # never half-written


def produce_entries(root: Path) -> list[str]:
    """The sha256 of each `produce` entry of the audit log, oldest first."""
    with closing(db.connect(load_workspace(root).db_path)) as conn:
        return [r[0] for r in conn.execute("SELECT sha256 FROM audit_log WHERE action = 'produce' ORDER BY seq")]


def cached_renditions(root: Path) -> int:
    return len(list((load_workspace(root).cache_dir / "masters").glob("*.json")))


# (--jobs, step, renditions in the master cache, files under a final name): each run is killed
# exactly at `step`; then the cache and the date folder hold exactly that (None: the pool's
# workers went on rendering while the parent was held, so anything from 3 to ITEMS).
KILL_POINTS = [
    (2, "produce.locked:1", 0, 0),        # the lock taken, nothing done yet
    (1, "produce.rendered:1", 1, 0),      # one rendition in the master cache
    (2, "produce.rendered:2", None, 0),   # two more back from the pool, its workers mid-render
    (1, "produce.stage:3", ITEMS, 0),     # all rendered; two files staged in the scratch area
    (1, "produce.committed:1", ITEMS, 1),     # one file renamed into place
    (1, "produce.committed:10", ITEMS, 11),   # ten more, the manifest not yet
    (1, "produce.placed:1", ITEMS, None),     # every file and the manifest in place, not yet audited
]


def test_killed_at_seven_points_then_rerun_completes(tmp_path, runs):
    root = workspace(tmp_path / "ws", ITEMS)
    day = root / "output" / DAY
    for n, (jobs, step, cached, placed) in enumerate(KILL_POINTS):
        pause = Pause(tmp_path / f"pause-{n}")
        proc = runs([*BROADCAST, "--workspace", str(root), *produce("--jobs", str(jobs))], pause.env(step))
        pause.wait(proc, step)
        proc.kill_group()
        check_final_files(day)
        got = cached_renditions(root)
        assert (got == cached) if cached is not None else (3 <= got <= ITEMS), (step, got)
        if placed is not None:
            assert len(final_files(day)) == placed, (step, [str(p.relative_to(day)) for p in final_files(day)])
            assert not (day / "manifest.json").exists()
    assert (day / "manifest.json").exists()
    assert produce_entries(root) == []          # killed before its audit entry

    final = runs([*BROADCAST, "--workspace", str(root), *produce()])
    out = final.finish()
    assert final.returncode == 0, out
    # The killed runs left every file made and placed: this one renders and writes nothing.
    assert f"0 renditions made, {ITEMS} reused; 0 files written" in out, out
    check_final_files(day)
    leftovers = list(root.rglob("*.part")) + list((root / "output").rglob(".scratch"))
    assert leftovers == []
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {str(p.relative_to(day)) for p in day.rglob("*") if p.is_file()} - {"manifest.json"}
    assert {e["path"] for e in manifest["files"]} == on_disk
    assert len([p for p in on_disk if p.endswith(".mp3")]) == ITEMS * 2 * 2  # items × 2 areas × 2 slots
    # The manifest the killed run placed is logged by the rerun, once, though it did not change.
    assert produce_entries(root) == [sha256_file(day / "manifest.json")]
    verify = subprocess.run([*BROADCAST, "--workspace", str(root), "verify", "--date", DAY],
                            capture_output=True, text=True)
    assert verify.returncode == 0, verify.stdout + verify.stderr


def waiting_for_lock(lock: Path, pid: int) -> bool:
    """Whether `pid` is blocked in flock() on `lock` (Linux lists waiters in /proc/locks as `->`)."""
    inode = f":{os.stat(lock).st_ino} "
    return any(line.split()[1] == "->" and line.split()[5] == str(pid) and inode in line
               for line in Path("/proc/locks").read_text().splitlines())


def wait_until_waiting(lock: Path, proc: Run, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not waiting_for_lock(lock, proc.pid):
        assert proc.poll() is None, f"it ended (exit {proc.returncode}) instead of waiting:\n{proc.output()}"
        assert time.monotonic() < deadline, f"it never queued behind the lock:\n{proc.output()}"
        time.sleep(0.01)


def test_two_produce_runs_at_once(tmp_path, runs):
    root = workspace(tmp_path / "ws", 1)
    lock = root / "state" / "produce.lock"
    pause = Pause(tmp_path / "pause")
    first = runs([*BROADCAST, "--workspace", str(root), *produce()], pause.env("produce.locked:1"))
    pause.wait(first, "produce.locked:1")          # it holds the lock, and stays there
    assert lock.read_text() == str(first.pid)

    second = runs([*BROADCAST, "--workspace", str(root), *produce()])
    out2 = second.finish()
    assert second.returncode == 1 and "another `broadcast produce`" in out2 and f"pid {first.pid}" in out2, out2
    assert "--wait" in out2                                              # the hint says how to queue

    # --wait queues behind the holder instead: both block in flock() while it holds the lock.
    third, fourth = (runs([*BROADCAST, "--workspace", str(root), *produce("--wait")]) for _ in range(2))
    for proc in (third, fourth):
        wait_until_waiting(lock, proc)
    assert not (root / "output" / DAY).exists()          # nobody went past the lock meanwhile
    pause.release("produce.locked:1")
    for proc in (first, third, fourth):
        out = proc.finish()
        assert proc.returncode == 0, out
    assert "1 renditions made, 0 reused" in first.output()
    for proc in (third, fourth):
        assert "0 renditions made, 1 reused" in proc.output(), proc.output()
    check_final_files(root / "output" / DAY)


def test_stale_lock_from_a_dead_process_is_taken_over(tmp_path, runs):
    root = workspace(tmp_path / "ws", 1)
    state = root / "state"
    state.mkdir(exist_ok=True)
    (state / "produce.lock").write_text("999999")  # a holder that no longer exists
    proc = runs([*BROADCAST, "--workspace", str(root), *produce()])
    out = proc.finish()
    assert proc.returncode == 0, out
    assert (state / "produce.lock").read_text() == str(proc.pid)    # the lock names its new holder
