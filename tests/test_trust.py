"""Faults and tampering, tried as a user would: a deleted or truncated audit log, a corrupt
database, a full disk, an immutable file, a folder the user may not write, damaged caches and
check results, a withheld emergency, an area removed, a killed run. Real processes, real files;
each answer must be one clear line and nothing lost."""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from conftest import announcement_text, make_workspace

pytestmark = pytest.mark.slow
DAY = "2099-12-14"
BROADCAST = [sys.executable, "-m", "broadcast"]
SHORT = "Thông báo họp bản lúc 8 giờ sáng."


def run(root: Path, *args: str, user: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    cmd = [*BROADCAST, "--workspace", str(root), *args]
    if user:
        cmd = ["runuser", "-u", user, "--", *cmd]
    return subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "CI": "1", **(env or {})},
                          timeout=300)


def no_traceback(r: subprocess.CompletedProcess) -> None:
    assert "Traceback" not in r.stderr + r.stdout, r.stderr


def workspace(root: Path, ids=("hop-ban",), **fields) -> Path:
    make_workspace(root, announcements={
        i: announcement_text(i, body=SHORT, repeat="1", languages="[vi]", **fields) for i in ids})
    r = run(root, "approve", str(root / "announcements"), "--by", "Lò Văn Minh")
    assert r.returncode == 0, r.stderr
    return root


def produced(root: Path) -> Path:
    r = run(root, "produce", "--date", DAY)
    assert r.returncode == 0, r.stderr
    return root / "output" / DAY


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """base(ids, produce) → that workspace, approved (and produced), made once in this module."""
    made: dict[tuple, Path] = {}

    def get(ids: tuple[str, ...] = ("hop-ban",), produce: bool = False) -> Path:
        if (ids, produce) not in made:
            if produce:
                root = tmp_path_factory.mktemp("produced") / "ws"
                shutil.copytree(get(ids), root, symlinks=True)
                produced(root)
            else:
                root = workspace(tmp_path_factory.mktemp("approved") / "ws", ids)
            made[ids, produce] = root
        return made[ids, produce]

    return get


@pytest.fixture
def copy_of(base, tmp_path):
    """copy_of(ids, produce) → this test's own copy (tmp_path/ws) of that base workspace: what
    `workspace` (and `produced`) would have made, without making it again."""
    def make(ids: tuple[str, ...] = ("hop-ban",), produce: bool = False) -> Path:
        dest = tmp_path / "ws"
        shutil.copytree(base(ids, produce), dest, symlinks=True)
        return dest

    return make


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and ".scratch" not in p.parts}


# ---------------------------------------------------------------- the audit log cannot be reset unseen


def test_a_deleted_database_stops_produce_and_approve_and_a_backup_brings_it_back(copy_of, tmp_path):
    root = copy_of(produce=True)
    day = root / "output" / DAY
    before = snapshot(day)
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    anchor = manifest["audit_anchor"]
    assert anchor["seq"] >= 1 and anchor["code"] in (day / "loudspeaker" / "men" / "rundown.txt").read_text()
    assert anchor["code"] in (day / "loudspeaker" / "men" / "rundown.html").read_text()

    backup = tmp_path / "copy.db"
    r = run(root, "backup", str(backup))
    assert r.returncode == 0 and backup.is_file(), r.stderr

    (root / "state" / "broadcast.db").unlink()
    for r in (run(root, "produce", "--date", DAY), run(root, "approve", str(root / "announcements"), "--by", "X")):
        no_traceback(r)
        assert r.returncode == 1
        assert "lost entries" in r.stderr and "broadcast restore" in r.stderr
    assert snapshot(day) == before, "nothing may be removed or rewritten over a lost log"
    r = run(root, "verify", "--date", DAY)
    assert r.returncode == 1 and anchor["code"] in r.stderr, r.stderr
    r = run(root, "status")
    assert "cannot be trusted" in r.stderr

    r = run(root, "restore", str(backup))
    assert r.returncode == 0, r.stderr
    assert run(root, "verify", "--date", DAY).returncode == 0
    r = run(root, "produce", "--date", DAY)
    assert r.returncode == 0, r.stderr
    assert snapshot(day).keys() == before.keys()


def test_an_emptied_database_and_its_head_file_gone_are_still_caught_by_the_manifest_anchor(copy_of):
    root = copy_of(produce=True)
    for p in (root / "state").glob("broadcast.db*"):
        p.unlink()
    sqlite3.connect(root / "state" / "broadcast.db").close()      # an empty file in its place
    r = run(root, "produce", "--date", DAY)
    no_traceback(r)
    assert r.returncode == 1 and "no longer holds" in r.stderr


def test_cutting_the_last_rows_off_the_audit_log_is_detected(copy_of):
    root = copy_of(("hop-ban", "tiem-chung"), produce=True)
    db = root / "state" / "broadcast.db"
    conn = sqlite3.connect(db)
    last = conn.execute("SELECT max(seq) FROM audit_log").fetchone()[0]
    conn.execute("DROP TRIGGER audit_log_no_delete")           # what an attacker would do first
    conn.execute("DELETE FROM audit_log WHERE seq = ?", (last,))
    conn.commit()
    conn.close()
    r = run(root, "verify", "--date", DAY)
    no_traceback(r)
    assert r.returncode == 1 and f"it reached entry #{last}" in r.stderr


def test_a_restore_of_an_older_copy_is_refused_unless_forced(copy_of, tmp_path):
    root = copy_of()
    old = tmp_path / "old.db"
    assert run(root, "backup", str(old)).returncode == 0
    (root / "announcements" / "b.md").write_text(announcement_text("b", body=SHORT), encoding="utf-8")
    assert run(root, "approve", str(root / "announcements" / "b.md"), "--by", "A").returncode == 0
    r = run(root, "restore", str(old))
    no_traceback(r)
    assert r.returncode == 1 and "would lose" in r.stderr
    assert run(root, "restore", str(old), "--force").returncode == 0
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database at all" * 100)
    r = run(root, "restore", str(garbage))
    assert r.returncode == 1 and "not a readable SQLite database" in r.stderr
    no_traceback(r)


# ---------------------------------------------------------------- the error edge


def test_a_corrupt_database_is_one_line(copy_of):
    root = copy_of()
    db = root / "state" / "broadcast.db"
    for p in (root / "state").glob("broadcast.db-*"):
        p.unlink()
    db.write_bytes(b"\x00garbage" * 4096)
    for args in (("status",), ("produce", "--date", DAY), ("verify",), ("approve", str(root / "announcements"),
                                                                         "--by", "A")):
        r = run(root, *args)
        no_traceback(r)
        assert r.returncode == 1, (args, r.stderr)
        lines = [x for x in r.stderr.splitlines() if x.startswith("error:")]
        assert any("broadcast.db" in x and "broadcast restore" in x for x in lines), (args, r.stderr)


@contextmanager
def small_disk(path: Path, size: str):
    """A tmpfs of `size` at `path` (root may mount here; else the test cannot run)."""
    path.mkdir(parents=True)
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {r.stderr.decode().strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def test_a_full_disk_mid_produce_leaves_the_previous_output_intact(tmp_path):
    with small_disk(tmp_path / "disk", "8m") as disk:
        root = workspace(disk / "ws")
        day = produced(root)
        before = snapshot(day)
        # A longer text on both channels: its masters no longer fit in the space left.
        (root / "announcements" / "hop-ban.md").write_text(
            announcement_text("hop-ban", body=SHORT * 6, repeat="2"), encoding="utf-8")
        assert run(root, "approve", str(root / "announcements"), "--by", "A").returncode == 0
        filler = root / "filler"
        free = shutil.disk_usage(disk).free
        filler.write_bytes(b"\0" * max(0, free - 600_000))
        r = run(root, "produce", "--date", DAY)
        no_traceback(r)
        assert r.returncode == 1
        assert "No space left on device" in r.stderr and "disk is full" in r.stderr, r.stderr
        after = snapshot(day)
        assert after == before, "the previous output must be exactly as it was"
        filler.unlink()
        assert run(root, "verify", "--date", DAY).returncode == 0
        r = run(root, "produce", "--date", DAY)
        assert r.returncode == 0, r.stderr


def chattr(flag: str, path: Path) -> bool:
    return subprocess.run(["chattr", flag, str(path)], capture_output=True).returncode == 0


def test_an_immutable_manifest_is_one_line_and_nothing_else_changes(copy_of):
    root = copy_of(produce=True)
    day = root / "output" / DAY
    manifest = day / "manifest.json"
    if not chattr("+i", manifest):
        pytest.skip("this file system has no immutable flag")
    try:
        (root / "announcements" / "hop-ban.md").write_text(
            announcement_text("hop-ban", body=SHORT + " Mời bà con đến đúng giờ.", repeat="1", languages="[vi]"),
            encoding="utf-8")
        assert run(root, "approve", str(root / "announcements"), "--by", "A").returncode == 0
        r = run(root, "produce", "--date", DAY)
        no_traceback(r)
        assert r.returncode == 1 and "manifest.json" in r.stderr and "chattr -i" in r.stderr, r.stderr
    finally:
        chattr("-i", manifest)


def as_nobody(args: list[str], queue) -> None:
    """In a forked child: load the command, become `nobody`, run it; report (code, stderr).
    (The interpreter lives under /root, which nobody may not enter, so it is loaded first.)"""
    import io
    import pwd
    from contextlib import redirect_stderr, redirect_stdout

    from broadcast.cli.root import cli
    for name in ("init", "produce", "verify", "status"):
        cli.get_command(None, name)                       # load the command modules as root
    import encodings.idna  # noqa: F401  (the stdlib imports these lazily, later)
    import importlib.readers  # noqa: F401
    import importlib.resources.readers  # noqa: F401

    nobody = pwd.getpwnam("nobody")
    os.setgid(nobody.pw_gid)
    os.setgroups([])
    os.setuid(nobody.pw_uid)
    err, out = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stderr(err), redirect_stdout(out):
        try:
            code = cli.main(args=args, prog_name="broadcast", standalone_mode=False) or 0
        except SystemExit as exc:
            code = exc.code or 0
        except Exception as exc:                     # would have been a traceback
            code, err = 99, io.StringIO(f"Traceback: {type(exc).__name__}: {exc}")
    queue.put((code, err.getvalue()))


def test_an_output_folder_the_user_may_not_write_is_one_line(tmp_path):
    import multiprocessing

    import tempfile

    base = Path(tempfile.mkdtemp(prefix="broadcast-perm-", dir="/tmp"))   # pytest's folders are root-only
    base.chmod(0o755)
    root = workspace(base / "ws")
    subprocess.run(["chown", "-R", "nobody", str(root)], check=True)
    subprocess.run(["chown", "root", str(root / "output")], check=True)
    (root / "output").chmod(0o555)
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=as_nobody, args=(["--workspace", str(root), "produce", "--date", DAY, "--jobs", "1"],
                                               queue))
    child.start()
    try:
        code, err = queue.get(timeout=240)
        child.join(30)
    finally:
        shutil.rmtree(base, ignore_errors=True)
    assert "Traceback" not in err, err
    assert code == 1 and "Permission denied" in err and "output" in err, err


def test_init_on_a_folder_that_cannot_be_made_is_one_line(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    r = subprocess.run([*BROADCAST, "init", str(blocker / "ws")], capture_output=True, text=True)
    no_traceback(r)
    assert r.returncode == 1 and str(blocker) in r.stderr


# ---------------------------------------------------------------- damaged caches and results


def test_a_truncated_speech_cache_entry_is_dropped_and_made_again(copy_of):
    root = copy_of(produce=True)
    entries = list((root / "state" / "cache" / "speech").glob("*.npz"))
    assert entries
    for e in entries:
        e.write_bytes(e.read_bytes()[:100])
    shutil.rmtree(root / "state" / "cache" / "masters")       # so the speech is needed again
    r = run(root, "produce", "--date", DAY)
    no_traceback(r)
    assert r.returncode == 0, r.stderr
    assert "damaged speech-cache entry" in r.stderr
    assert all(e.is_file() and e.stat().st_size > 100 for e in entries), "made again, whole"
    r = run(root, "produce", "--date", DAY)          # and the rerun is clean
    assert r.returncode == 0 and "damaged" not in r.stderr
    assert run(root, "verify", "--date", DAY).returncode == 0


def test_check_results_of_the_wrong_shape_mark_every_file_review(copy_of):
    root = copy_of(produce=True)
    day = root / "output" / DAY
    (day / "check.json").write_text('{"files": 5}', encoding="utf-8")
    r = run(root, "produce", "--date", DAY)
    no_traceback(r)
    assert "corrupt check results" in r.stderr
    sheet = (day / "loudspeaker" / "men" / "rundown.txt").read_text(encoding="utf-8")
    assert sheet.count("[review]") == 2          # both slots' file, neither silently unmarked


def test_a_corrupt_manifest_is_named_corrupt_not_missing(copy_of):
    root = copy_of(produce=True)
    day = root / "output" / DAY
    (day / "manifest.json").write_text('{"files": 5', encoding="utf-8")
    r = run(root, "verify", "--date", DAY)
    no_traceback(r)
    assert r.returncode == 1 and "corrupt manifest" in r.stderr and "no manifest" not in r.stderr
    assert r.stderr.count("output/") <= 1 + r.stderr.count("\n")     # the path once, not doubled
    assert f"output/{DAY}/output" not in r.stderr


# ---------------------------------------------------------------- withheld items are shown


def test_a_changed_emergency_stands_withheld_at_the_top_of_the_run_sheet(tmp_path):
    root = workspace(tmp_path / "ws", ids=("hop-ban",))
    (root / "announcements" / "lu-quet.md").write_text(announcement_text(
        "lu-quet", title="Cảnh báo lũ quét", priority="emergency", body="Cảnh báo lũ quét.", repeat="3",
        languages="[vi]"), encoding="utf-8")
    assert run(root, "approve", str(root / "announcements"), "--by", "A").returncode == 0
    day = produced(root)
    assert any("lu-quet" in p.name for p in (day / "loudspeaker" / "men").glob("*.mp3"))
    path = root / "announcements" / "lu-quet.md"
    path.write_text(path.read_text(encoding="utf-8").replace("Cảnh báo lũ quét.", "Cảnh báo lũ."), encoding="utf-8")
    r = run(root, "produce", "--date", DAY)
    assert r.returncode == 1 and "changed since it was approved" in r.stderr
    for sheet in ("rundown.txt", "rundown.html"):
        text = (day / "loudspeaker" / "men" / sheet).read_text(encoding="utf-8")
        assert "Cảnh báo lũ quét" in text and "EMERGENCY" in text and "broadcast approve" in text
        assert text.index("Cảnh báo lũ quét") < text.index("hop-ban") or "05:30" in text[text.index("Cảnh báo"):]
    assert not any("lu-quet" in p.name for p in (day / "loudspeaker" / "men").glob("*.mp3")), \
        "a changed announcement's old files go: the database positively says it changed"
    r = run(root, "status")
    assert "changed-since-approval" in r.stdout


def test_removing_an_area_touches_only_that_areas_files(copy_of):
    root = copy_of(produce=True)
    day = root / "output" / DAY
    men_before = snapshot(day / "loudspeaker" / "men")
    config = (root / "broadcast.toml").read_text(encoding="utf-8")
    start = config.index("[areas.ly-xom]")
    end = config.index("[areas.men]")
    (root / "broadcast.toml").write_text(config[:start] + config[end:], encoding="utf-8")
    # The announcement still names ly-xom: it no longer validates, which says nothing about men.
    r = run(root, "produce", "--date", DAY)
    no_traceback(r)
    assert r.returncode == 1 and "ly-xom" in r.stderr
    assert snapshot(day / "loudspeaker" / "men") == men_before
    assert not (day / "loudspeaker" / "ly-xom").exists() or not any((day / "loudspeaker" / "ly-xom").iterdir())
    assert run(root, "verify", "--date", DAY).returncode == 0


def test_produce_of_one_id_leaves_the_other_announcements_files(copy_of):
    root = copy_of(("hop-ban", "tiem-chung"), produce=True)
    day = root / "output" / DAY
    before = {k for k in snapshot(day) if "tiem-chung" in k}
    r = run(root, "produce", "--date", DAY, "hop-ban")
    assert r.returncode == 0, r.stderr
    assert before <= set(snapshot(day))


def test_status_says_produced_only_for_the_current_approval(copy_of):
    root = copy_of(produce=True)
    assert run(root, "status").stdout.strip().splitlines()[-1] == "1 produced"
    path = root / "announcements" / "hop-ban.md"
    path.write_text(announcement_text("hop-ban", body=SHORT + " Xin cảm ơn.", repeat="1", languages="[vi]"),
                    encoding="utf-8")
    assert run(root, "approve", str(path), "--by", "A").returncode == 0
    out = run(root, "status").stdout
    assert out.strip().splitlines()[-1] == "1 approved", out


# ---------------------------------------------------------------- workers die with their parent


def test_a_killed_produce_leaves_no_worker_processes(tmp_path):
    root = workspace(tmp_path / "ws", ids=tuple(f"tb-{i}" for i in range(6)))
    proc = subprocess.Popen([*BROADCAST, "--workspace", str(root), "produce", "--date", DAY, "--jobs", "2"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    workers: set[int] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(workers) < 2:
        for p in Path("/proc").iterdir():
            if p.name.isdigit():
                try:
                    status = (p / "status").read_text()
                except OSError:
                    continue
                ppid = int(next(x for x in status.splitlines() if x.startswith("PPid:")).split()[1])
                if ppid == proc.pid and b"spawn_main" in (p / "cmdline").read_bytes():
                    workers.add(int(p.name))
        time.sleep(0.05)
    assert len(workers) == 2, "the run must have started its two workers"
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    alive = workers
    while alive and time.monotonic() < deadline:
        alive = {w for w in workers if Path(f"/proc/{w}").exists()
                 and "State:\tZ" not in Path(f"/proc/{w}/status").read_text()}
        time.sleep(0.1)
    assert not alive, f"workers {alive} outlived the killed produce"
