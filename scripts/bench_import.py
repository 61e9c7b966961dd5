"""Benchmark `broadcast translations import` of many small XLIFF files against the floor.

A workspace with N approved announcements (default 400) in vi + hmn; `broadcast translate`
writes one XLIFF per announcement; every unit is filled and approved with translate-toolkit,
as a translator's tool would. Then, in one run:
(a) the floor: a fresh Python process that only parses the N files with translate-toolkit's
    xlifffile (what any importer built on it must pay, interpreter start included);
(b) `broadcast translations import` of the N files in one command (cold: empty memory);
(c) the same command again (every pair already in the memory, every text already approved).
Writes bench-results/import.json with wall and CPU seconds and the ratio to the floor, and
checks the result: every unit in the memory, every full text written and approved.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SENTENCES = [
    "Ủy ban nhân dân xã thông báo lịch tiêm chủng số {i}.",
    "Các gia đình mang theo sổ tiêm chủng khi đến trạm số {i}.",
    "Xin cảm ơn bà con bản {i}.",
]


def make_workspace(root: Path, count: int) -> list[Path]:
    """The workspace, with each announcement approved and its answered XLIFF written."""
    from translate.storage import xliff

    for sub in ("announcements", "translations", "voices", "feedback", "output"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "broadcast.toml").write_text(
        '[commune]\nname = "Xã Bench"\ntimezone = "Asia/Ho_Chi_Minh"\n\n'
        '[slots]\nmorning = "05:30"\n\n[areas.ban-a]\nname = "Bản A"\nlanguages = ["vi", "hmn"]\n',
        encoding="utf-8")
    for i in range(count):
        body = " ".join(s.format(i=i) for s in SENTENCES)
        (root / "announcements" / f"tb-{i:03d}.md").write_text(
            f"---\nid: tb-{i:03d}\ntitle: Thông báo {i}\nareas: [ban-a]\nlanguages: [vi, hmn]\n"
            f"schedule:\n  dates: [2099-12-14]\n  slots: [morning]\n---\n{body}\n", encoding="utf-8")
    cli(root, "approve", str(root / "announcements"), "--by", "bench")
    cli(root, "translate")
    files = sorted((root / "translations").glob("*/hmn.xlf"))
    if len(files) != count:
        raise SystemExit(f"translate wrote {len(files)} files, expected {count}")
    for path in files:
        store = xliff.xlifffile.parsestring(path.read_bytes())
        for unit in store.units:
            unit.target = f"[hmn] {unit.source}"
            unit.set_state_n(unit.statemap["final"])
        path.write_bytes(bytes(store))
    return files


def cli(root: Path, *args: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "broadcast", "--workspace", str(root), *args],
                          capture_output=True, text=True, env={**os.environ, "CI": "1"})
    if proc.returncode != 0:
        raise SystemExit(f"failed: broadcast {' '.join(args)}\n{proc.stdout[-1500:]}{proc.stderr[-1500:]}")


def timed(cmd: list[str]) -> dict:
    """Wall and CPU seconds (user + system, children included) of one command."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            env={**os.environ, "CI": "1"})
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd[:6])} …\n{proc.stderr.read().decode()[-2000:]}")
    return {"wall_s": round(wall, 3), "cpu_s": round(usage.ru_utime + usage.ru_stime, 3)}


FLOOR = """\
import sys
from pathlib import Path
from translate.storage import xliff
n = 0
for name in sys.argv[1:]:
    n += sum(1 for u in xliff.xlifffile.parsestring(Path(name).read_bytes()).units if not u.isheader())
print(n)
"""


def check(root: Path, count: int) -> dict:
    """Every unit in the memory, every announcement's full text written and approved once."""
    from broadcast.core import db
    from broadcast.translations.memory import TranslationMemory

    memory = TranslationMemory.for_language(root / "translations", "hmn")
    expected = count * len(SENTENCES)
    texts = len(list((root / "translations").glob("*/hmn.md")))
    conn = db.connect(root / "state" / "broadcast.db")
    approvals = conn.execute(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'approve-translation'").fetchone()[0]
    ok = len(memory) == expected and texts == count and approvals == count
    if not ok:
        raise SystemExit(f"wrong result: memory {len(memory)}/{expected}, texts {texts}/{count}, "
                         f"approvals {approvals}/{count}")
    return {"memory_units": len(memory), "texts": texts, "approvals": approvals}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--files", type=int, default=400, help="XLIFF files (announcements) to import")
    ap.add_argument("--out", type=Path, default=ROOT / "bench-results" / "import.json",
                    help="where the JSON result goes")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        root = Path(tmp) / "ws"
        files = make_workspace(root, args.files)
        names = [str(p) for p in files]
        floor = timed([sys.executable, "-c", FLOOR, *names])
        base = [sys.executable, "-m", "broadcast", "--workspace", str(root), "translations", "import",
                *names, "--by", "Bench Translator"]
        cold = timed(base)
        result = check(root, args.files)
        again = timed(base)
        check(root, args.files)
    out = {
        "files": args.files, "units_per_file": len(SENTENCES),
        "floor_parse_only": floor, "import_cold": cold, "import_again": again,
        "ratio_cold_to_floor_wall": round(cold["wall_s"] / floor["wall_s"], 2),
        "ratio_cold_to_floor_cpu": round(cold["cpu_s"] / floor["cpu_s"], 2),
        "ratio_again_to_floor_wall": round(again["wall_s"] / floor["wall_s"], 2),
        "check": result, "python": platform.python_version(), "cpus": os.cpu_count(),
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
