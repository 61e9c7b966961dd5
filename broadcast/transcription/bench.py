"""Transcription benchmark: the same espeak-ng Vietnamese clips through faster-whisper (int8)
and openai-whisper (float32) on the same packaged weights. Each backend runs in its own
subprocess so its peak memory is its own. Writes bench-results/transcribe.json.

    scripts/bench-transcribe [--out FILE] [--threads N]
"""

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
from datetime import datetime, timezone
from pathlib import Path

CLIPS = [
    "Nhà tôi bị mất điện từ hôm qua.",
    "Xin chào. Tôi muốn hỏi về lịch tiêm chủng cho trẻ em.",
    "Đường vào thôn bị ngập nước, xin ủy ban xã giúp đỡ.",
    "Cảm ơn ủy ban nhân dân xã đã thông báo kịp thời.",
    "Loa ở đầu bản bị hỏng, chúng tôi không nghe được thông báo.",
    "Khi nào xã tổ chức họp dân về việc làm đường mới?",
]
RUNS = (("faster-whisper", "int8"), ("openai-whisper", "float32"))
# Deterministic decoding for both (beam 5, no temperature fallback): the fallback samples, and
# the two libraries pick among sampled attempts differently, so it would measure luck, not engines.
BENCH_TEMPERATURES = (0.0,)
ESPEAK_RATE = "130"


def synthesise(folder: Path) -> list[dict]:
    clips = []
    for i, text in enumerate(CLIPS, 1):
        path = folder / f"clip{i:02d}.wav"
        subprocess.run(["espeak-ng", "-v", "vi", "-s", ESPEAK_RATE, "-w", str(path), text], check=True)
        clips.append({"path": str(path), "reference": text})
    return clips


def worker(backend: str, compute_type: str, clips: list[dict], threads: int) -> dict:
    """Runs inside the subprocess: load, warm up, transcribe every clip, report."""
    from broadcast.media.decode import decode_file
    from broadcast.transcription.transcribe import TranscribeOptions, load_backend, transcribe_file

    started = time.perf_counter()
    engine = load_backend(backend, None, compute_type, threads, "cpu")   # a CPU benchmark
    load_s = time.perf_counter() - started
    options = TranscribeOptions(temperatures=BENCH_TEMPERATURES)
    transcribe_file(Path(clips[0]["path"]), engine, options)  # warm-up: first-call set-up is not speed
    results = []
    for clip in clips:
        path = Path(clip["path"])
        samples, rate = decode_file(path)
        audio_s = samples.size / rate
        t0 = time.perf_counter()
        t = transcribe_file(path, engine, options)
        elapsed = time.perf_counter() - t0
        results.append({"clip": path.name, "audio_s": round(audio_s, 3), "elapsed_s": round(elapsed, 3),
                        "rtf": round(elapsed / audio_s, 4), "text": t.text})
    return {"backend": backend, "compute_type": compute_type, "model": engine.model_info.label, "threads": threads,
            "load_s": round(load_s, 2), "clips": results,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}


def cer_parts(reference: str, hypothesis: str) -> tuple[int, int]:
    from rapidfuzz.distance import Levenshtein

    from broadcast.transcription.guard import normalise

    ref = normalise(reference)
    return Levenshtein.distance(ref, normalise(hypothesis)), len(ref)


def run(out: Path, threads: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as tmp:
        clips = synthesise(Path(tmp))
        spec = Path(tmp) / "clips.json"
        spec.write_text(json.dumps(clips, ensure_ascii=False), encoding="utf-8")
        report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
                  "machine": {"cpu": platform.processor() or platform.machine(), "cpus": os.cpu_count(),
                              "python": platform.python_version()},
                  "clips": len(clips), "audio_total_s": None,
                  "decoding": f"language vi, VAD on, beam 5, temperatures {list(BENCH_TEMPERATURES)}, "
                              "condition_on_previous_text off, hallucination guard on",
                  "runs": []}
        for backend, compute_type in RUNS:
            print(f"running {backend} ({compute_type}) …", file=sys.stderr)
            proc = subprocess.run([sys.executable, "-m", "broadcast.transcription.bench", "--worker", backend,
                                   "--compute-type", compute_type, "--clips", str(spec), "--threads", str(threads)],
                                  capture_output=True, text=True)
            if proc.returncode != 0:
                raise SystemExit(f"{backend} failed:\n{proc.stderr[-3000:]}")
            result = json.loads(proc.stdout.strip().splitlines()[-1])
            edits = chars = 0
            for clip, ref in zip(result["clips"], clips):
                e, n = cer_parts(ref["reference"], clip["text"])
                clip["reference"], clip["cer"] = ref["reference"], round(e / max(1, n), 4)
                edits, chars = edits + e, chars + n
            audio_s = sum(c["audio_s"] for c in result["clips"])
            elapsed = sum(c["elapsed_s"] for c in result["clips"])
            result.update(audio_s=round(audio_s, 2), elapsed_s=round(elapsed, 2), rtf=round(elapsed / audio_s, 4),
                          cer=round(edits / max(1, chars), 4))
            report["audio_total_s"] = result["audio_s"]
            report["runs"].append(result)
    fw, ow = report["runs"]
    report["speed_ratio"] = round(ow["elapsed_s"] / fw["elapsed_s"], 2)
    report["speed_ratio_means"] = "openai-whisper float32 time ÷ faster-whisper int8 time (higher: faster-whisper faster)"
    report["command"] = "scripts/bench-transcribe"
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_name(f".{out.name}.part")
    tmp_out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp_out, out)
    return report


def summary(report: dict) -> str:
    lines = [f"{report['clips']} espeak-ng Vietnamese clips, {report['audio_total_s']} s of audio, "
             f"{report['machine']['cpus']} CPUs, {report['runs'][0]['threads']} threads",
             f"{'backend':<28}{'RTF':>8}{'CER':>8}{'peak MB':>10}{'load s':>8}"]
    for r in report["runs"]:
        lines.append(f"{r['backend'] + ' ' + r['compute_type']:<28}{r['rtf']:>8.3f}{r['cer']:>8.3f}"
                     f"{r['peak_rss_mb']:>10.0f}{r['load_s']:>8.1f}")
    lines.append(f"speed ratio: faster-whisper int8 is {report['speed_ratio']}× faster than openai-whisper float32")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    from broadcast.transcription.transcribe import default_threads

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("bench-results/transcribe.json"), help="JSON output file")
    parser.add_argument("--threads", type=int, default=default_threads(), help="CPU threads for both backends")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--compute-type", help=argparse.SUPPRESS)
    parser.add_argument("--clips", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        clips = json.loads(args.clips.read_text(encoding="utf-8"))
        print(json.dumps(worker(args.worker, args.compute_type, clips, args.threads), ensure_ascii=False))
        return
    report = run(args.out, args.threads)
    print(summary(report))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
