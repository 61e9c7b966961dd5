"""Transcription throughput on this machine: the local executor (one process, the model loaded
once, CTranslate2 on min(4, cores) threads) vs `--executor ray` on a Ray head with 2 CPUs
(2 actors, one thread each), on the same espeak-ng Vietnamese clips, each run end to end as a
user runs it (`broadcast transcribe` in a fresh workspace: start-up, model load, queue writes).
Throughput = seconds of audio per wall second; the ratio is Ray's over local's.
CPU seconds (children included) are reported beside wall time: on a shared machine they say
what the work cost when wall time also says how busy the neighbours were."""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import wave
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

TEXTS = [
    "Nhà tôi bị mất điện từ hôm qua, xin xã cho người đến xem giúp.",
    "Xin chào. Tôi muốn hỏi về lịch tiêm chủng cho trẻ em dưới năm tuổi.",
    "Đường vào thôn bị ngập nước, xin ủy ban xã giúp đỡ bà con.",
    "Bản tôi thiếu nước sạch đã ba ngày nay, mong xã sớm giải quyết.",
    "Cầu treo bản Ly Xôm bị hỏng, trẻ em đi học rất nguy hiểm.",
    "Tôi muốn hỏi thủ tục làm căn cước cho người cao tuổi ở bản.",
]


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def make_clips(folder: Path, copies: int) -> float:
    folder.mkdir(parents=True)
    total = 0.0
    for c in range(copies):
        for i, text in enumerate(TEXTS):
            path = folder / f"clip{c:02d}-{i:02d}.wav"
            # A different speed per copy: distinct recordings (the queue dedupes by sha256).
            subprocess.run(["espeak-ng", "-v", "vi", "-s", str(120 + 5 * c), "-w", str(path), text], check=True)
            with wave.open(str(path)) as w:
                total += w.getnframes() / w.getframerate()
    return total


def run(clips: Path, work: Path, name: str, *extra: str, env: dict | None = None) -> dict:
    from conftest import CONFIG

    root = work / name
    (root / "feedback").mkdir(parents=True)
    (root / "broadcast.toml").write_text(CONFIG, encoding="utf-8")
    cpu0, t0 = cpu_seconds(), time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "broadcast", "--workspace", str(root), "transcribe", str(clips),
                           *extra], capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{name} failed:\n{proc.stdout}\n{proc.stderr}")
    return {"wall_s": round(wall, 2), "cpu_s": round(cpu_seconds() - cpu0, 2),
            "summary": proc.stdout.strip().splitlines()[-1]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--copies", type=int, default=3, help="copies of the 6 texts, each at another speed")
    ap.add_argument("--output", default=str(ROOT / "bench-results" / "scale.json"))
    args = ap.parse_args()
    from raycluster import RayHead

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as tmp:
        work = Path(tmp)
        audio_s = make_clips(work / "clips", args.copies)
        n = args.copies * len(TEXTS)
        # Warm the model cache (the packaged model is joined once) so neither run pays for it.
        run(work / "clips", work, "warm-up", env={})
        local = run(work / "clips", work, "local")
        head = RayHead(num_cpus=2)
        try:
            ray = run(work / "clips", work, "ray", "--executor", "ray", env={"RAY_ADDRESS": head.address})
        finally:
            head.stop()
    for r in (local, ray):
        r["audio_s_per_s"] = round(audio_s / r["wall_s"], 3)
    result = {
        "date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": platform.machine(), "cpus": os.cpu_count(), "python": platform.python_version(),
                    "load_before": os.getloadavg()[0]},
        "clips": n, "audio_total_s": round(audio_s, 1),
        "model": "packaged whisper base, faster-whisper int8, language vi, VAD on, beam 5",
        "local": {"executor": "local", "processes": 1, **local},
        "ray": {"executor": "ray", "head_cpus": 2, "actors": 2, "threads_per_actor": 1, **ray},
        "ray_over_local_throughput": round(ray["audio_s_per_s"] / local["audio_s_per_s"], 3),
        "note": "end to end: process start, Ray connect, model load per actor, queue writes included",
    }
    Path(args.output).parent.mkdir(parents=True, exist_ok=True)
    Path(args.output).write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(json.dumps({k: result[k] for k in ("clips", "audio_total_s", "ray_over_local_throughput")}))
    print(f"local {local['wall_s']} s ({local['audio_s_per_s']} audio s/s), "
          f"ray {ray['wall_s']} s ({ray['audio_s_per_s']} audio s/s)")


if __name__ == "__main__":
    main()
