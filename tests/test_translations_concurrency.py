"""`broadcast translations import` run as real processes: two at once into one language lose no
memory unit (the memory's lock), and a few hundred answered files import in one run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from translate.storage import xliff

from broadcast.core import db
from broadcast.translations.memory import TranslationMemory, memory_lock

SENTENCES = ("Ủy ban nhân dân xã thông báo lịch họp số {i}.", "Mời bà con bản {i} đến đúng giờ.",
             "Xin cảm ơn.")


def answered_files(ws, count: int, start: int = 0) -> list[Path]:
    """`count` approved announcements in vi + hmn, each with its XLIFF answered and approved
    by the translator's tool (translate-toolkit)."""
    for i in range(start, start + count):
        ws.write(f"hop-{i:03d}", body=" ".join(s.format(i=i) for s in SENTENCES), languages="[vi, hmn]")
    result = ws.run("approve", str(ws.announcements), "--by", "Chủ tịch UBND")
    assert result.exit_code == 0, result.output
    ids = [f"hop-{i:03d}" for i in range(start, start + count)]
    result = ws.run("translate", *ids, "--to", "hmn")
    assert result.exit_code == 0, result.output
    files = [ws.root / "translations" / ann_id / "hmn.xlf" for ann_id in ids]
    for path in files:
        store = xliff.xlifffile.parsestring(path.read_bytes())
        for unit in store.units:
            unit.target = f"[hmn] {unit.source}"
            unit.set_state_n(unit.statemap["final"])
        path.write_bytes(bytes(store))
    return files


def start_import(ws, files: list[Path], log: Path) -> subprocess.Popen:
    out = open(log, "wb")
    return subprocess.Popen(
        [sys.executable, "-m", "broadcast", "--workspace", str(ws.root), "translations", "import",
         *map(str, files), "--by", "Vàng A Sử"],
        stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "CI": "1"})


def memory_pairs(ws) -> dict[str, str]:
    mem = TranslationMemory.for_language(ws.root / "translations", "hmn")
    return {str(u.source): str(u.target) for u in mem.store.units if u.source and u.target}


def approvals(ws) -> int:
    conn = db.connect(ws.load().db_path)
    return conn.execute("SELECT COUNT(*) FROM audit_log WHERE action = 'approve-translation'").fetchone()[0]


def test_two_imports_at_once_into_one_language_lose_no_unit(ws, tmp_path):
    files = answered_files(ws, 16)
    first, second = files[:8], files[8:]
    seed = TranslationMemory.for_language(ws.root / "translations", "hmn")
    seed.add("Câu đã có trong bộ nhớ.", "[hmn] đã có", by="Lò Thị Mai")
    seed.save()
    before = (ws.root / "translations" / "memory" / "hmn.tmx").read_bytes()

    logs = (tmp_path / "a.log", tmp_path / "b.log")
    # Hold the memory's lock while both start, so that they run into each other: each must wait
    # (and say so), and neither may write the memory meanwhile.
    with memory_lock(ws.root / "translations", "hmn"):
        procs = [start_import(ws, first, logs[0]), start_import(ws, second, logs[1])]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not all(b"waiting for another import" in p.read_bytes()
                                                        for p in logs):
            assert all(proc.poll() is None for proc in procs), [p.read_text() for p in logs]
            time.sleep(0.1)
        said = [p.read_text(encoding="utf-8") for p in logs]
        assert all("waiting for another import into the hmn memory" in s for s in said), said
        assert all("hmn.tmx" in s for s in said), said
        assert (ws.root / "translations" / "memory" / "hmn.tmx").read_bytes() == before
    for proc, log in zip(procs, logs):
        assert proc.wait(timeout=120) == 0, log.read_text(encoding="utf-8")

    pairs = memory_pairs(ws)
    expected = {s.format(i=i) for i in range(16) for s in SENTENCES}
    assert expected | {"Câu đã có trong bộ nhớ."} == set(pairs)
    assert all(pairs[s] == f"[hmn] {s}" for s in expected)
    assert approvals(ws) == 16
    assert sum(log.read_text(encoding="utf-8").count("3/3 units approved") for log in logs) == 16


def test_a_wait_for_the_lock_is_said_once_and_ends_when_the_holder_lets_go(tmp_path):
    said: list[str] = []
    holder = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; from pathlib import Path; from broadcast.translations.memory import memory_lock\n"
        f"with memory_lock(Path({str(tmp_path)!r}), 'hmn'):\n"
        "    print('held', flush=True); time.sleep(1.5)\n")], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    start = time.monotonic()
    with memory_lock(tmp_path, "hmn", on_wait=said.append, wait_message_after=0.3):
        waited = time.monotonic() - start
    assert holder.wait(timeout=30) == 0
    assert 0.5 < waited < 30, waited
    assert len(said) == 1 and f"process {holder.pid}" in said[0] and "hmn.tmx" in said[0], said


@pytest.mark.slow
def test_four_hundred_answered_files_import_in_one_run(ws, tmp_path):
    files = answered_files(ws, 400)
    proc = start_import(ws, files, tmp_path / "import.log")
    assert proc.wait(timeout=600) == 0, (tmp_path / "import.log").read_text(encoding="utf-8")[-3000:]
    pairs = memory_pairs(ws)
    assert len(pairs) == 2 * 400 + 1          # "Xin cảm ơn." is one pair for all of them
    assert all(pairs[s.format(i=i)] == f"[hmn] {s.format(i=i)}" for i in range(400) for s in SENTENCES)
    texts = sorted((ws.root / "translations").glob("*/hmn.md"))
    assert len(texts) == 400 and approvals(ws) == 400
    assert texts[7].read_text(encoding="utf-8") == " ".join(f"[hmn] {s.format(i=7)}" for s in SENTENCES) + "\n"
    again = start_import(ws, files, tmp_path / "again.log")
    assert again.wait(timeout=600) == 0
    assert approvals(ws) == 400 and (tmp_path / "again.log").read_text(encoding="utf-8").count("already approved") == 400
