"""Benchmark `broadcast transcribe` end to end against openai-whisper, in one run.

Batches of short voice notes, each run as a user runs it — a fresh `broadcast transcribe FOLDER`
process into a fresh workspace, start-up, imports and model load included:

  openai-whisper --jobs 1   the baseline: PyTorch float32 on the same weights, one process
  faster-whisper --jobs 1   int8, one process on every core
  faster-whisper (default)  int8, --jobs = the number of cores (one-thread worker processes),
                            a short recording encoded as its speech + 5 s (the fitted window)
  … --full-window           the default on Whisper's full 30 s window: the accuracy reference

on two sets: espeak-ng Vietnamese clips made here, and real human English speech where Debian's
asterisk-core-sounds-en-wav is installed (Allison Smith's telephone prompts, CC BY-SA 3.0, with
their texts in asterisk-core-sounds-en). Each run reports wall time, CPU time (user + system,
its worker processes included), peak memory (the process tree's summed RSS, sampled, and the
largest single process) and the CER of the queued transcripts against the texts; the ratios are
openai-whisper's over faster-whisper's default. It also checks that --jobs 1 and the default
queue the same transcripts. A third set, 60 more human prompts, is run by faster-whisper only,
fitted against full window: the CER evidence for the fitted window on more speech.

Long recordings (30 s, 90 s, 180 s) are then transcribed sequentially and batched
(BatchedInferencePipeline), one thread, as a worker does: CPU, wall and CER per length, the
evidence for where `transcribe` switches to batched.

Writes bench-results/transcribe.json. CPU seconds are the steadier figure on a shared machine;
the load average before and after is recorded with the figures.

    scripts/bench-transcribe [--out FILE] [--skip-long] [--clips N]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import wave
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from benchlib import cpu_model  # noqa: E402

VI_TEXTS = [
    "Nhà tôi bị mất điện từ hôm qua.",
    "Xin chào. Tôi muốn hỏi về lịch tiêm chủng cho trẻ em.",
    "Đường vào thôn bị ngập nước, xin ủy ban xã giúp đỡ.",
    "Cảm ơn ủy ban nhân dân xã đã thông báo kịp thời.",
    "Loa ở đầu bản bị hỏng, chúng tôi không nghe được thông báo.",
    "Khi nào xã tổ chức họp dân về việc làm đường mới?",
    "Đường vào bản bị sạt lở, xin xã cho người đến sửa.",
    "Bản tôi thiếu nước sạch đã ba ngày nay.",
    "Tôi muốn đăng ký cho con đi học lớp một năm nay.",
    "Trạm y tế xã mở cửa mấy giờ vào ngày thứ bảy?",
    "Gia đình tôi chưa nhận được tiền hỗ trợ sau cơn bão.",
    "Chúng tôi đề nghị xã sửa lại đèn đường ở ngã ba chợ.",
]
ESPEAK_RATE = "130"
ASTERISK_DIR = Path("/usr/share/asterisk/sounds/en_US_f_Allison")
ASTERISK_TEXTS = Path("/usr/share/doc/asterisk-core-sounds-en/core-sounds-en.txt.gz")
ASTERISK_PACKAGES = "asterisk-core-sounds-en-wav asterisk-core-sounds-en"
HUMAN_CLIPS = 14
SILENCE_PROMPT = re.compile(r"\(\d+ seconds? of silence\)")
HUMAN_SECONDS = (3.0, 12.0)           # voice-note-like prompts only
LONG_LENGTHS = (30, 90, 180)
GAP_SECONDS = 0.8
SAMPLE_EVERY = 0.1                    # seconds between memory samples of the process tree
# (backend, --jobs, extra arguments): the baseline, one process, the default, and the default on
# Whisper's full 30 s window (the accuracy reference for the fitted window).
RUNS = (("openai-whisper", "1", ()), ("faster-whisper", "1", ()), ("faster-whisper", None, ()),
        ("faster-whisper", None, ("--full-window",)))
ACCURACY_CLIPS = 60                   # human prompts for the fitted-vs-full window CER comparison


# ------------------------------------------------------------------------------------ inputs

def espeak_set(folder: Path) -> dict:
    folder.mkdir(parents=True)
    clips = []
    for i, text in enumerate(VI_TEXTS, 1):
        path = folder / f"vi{i:02d}.wav"
        subprocess.run(["espeak-ng", "-v", "vi", "-s", ESPEAK_RATE, "-w", str(path), text], check=True)
        clips.append({"file": path.name, "reference": text})
    return {"name": "espeak-vi", "language": "vi", "folder": str(folder), "clips": clips,
            "source": f"espeak-ng {ESPEAK_RATE} wpm, voice vi, synthesised here"}


def asterisk_prompts() -> list[tuple[str, str, float, Path]]:
    """(name, text, seconds, path) of the prompts with a spoken text, in name order."""
    out = []
    if not (ASTERISK_DIR.is_dir() and ASTERISK_TEXTS.is_file()):
        return out
    with gzip.open(ASTERISK_TEXTS, "rt", encoding="utf-8", errors="replace") as f:
        for line in f:
            if line.startswith(";") or ":" not in line:
                continue
            name, text = (x.strip() for x in line.split(":", 1))
            path = ASTERISK_DIR / f"{name}.wav"
            if not text or "[" in text or not path.is_file():
                continue
            with wave.open(str(path)) as w:
                out.append((name, text, w.getnframes() / w.getframerate(), path))
    return sorted(out)


def human_set(folder: Path, count: int = HUMAN_CLIPS, shift: int = 0) -> dict | None:
    """`count` prompts spread over the alphabet (`shift` picks the neighbours of another set's)."""
    prompts = [p for p in asterisk_prompts() if HUMAN_SECONDS[0] <= p[2] <= HUMAN_SECONDS[1]]
    if len(prompts) < count + shift:
        return None
    step = (len(prompts) - shift) / count
    chosen = [prompts[int(i * step) + shift] for i in range(count)]
    folder.mkdir(parents=True)
    clips = []
    for name, text, _, path in chosen:
        shutil.copyfile(path, folder / path.name)
        # "(7 seconds of silence)" describes a silent prompt: the right transcript is nothing
        clips.append({"file": path.name, "reference": "" if SILENCE_PROMPT.fullmatch(text) else text})
    return {"name": "human-en" if not shift else f"human-en-{count}", "language": "en", "folder": str(folder), "clips": clips,
            "source": "Debian asterisk-core-sounds-en-wav 1.6.1 (Allison Smith, CC BY-SA 3.0): US English "
                      "telephone prompts, 8 kHz, texts from core-sounds-en.txt"}


def long_set(folder: Path) -> dict:
    """Recordings of about LONG_LENGTHS seconds: human prompts in a row (espeak-ng English if
    the prompts are not installed), GAP_SECONDS apart."""
    folder.mkdir(parents=True)
    prompts = [p for p in asterisk_prompts() if HUMAN_SECONDS[0] <= p[2] <= HUMAN_SECONDS[1]]
    pieces: list[tuple[str, np.ndarray, int]] = []
    if prompts:
        for _, text, _, path in prompts:
            with wave.open(str(path)) as w:
                pieces.append((text, np.frombuffer(w.readframes(w.getnframes()), "<i2"), w.getframerate()))
        source = "asterisk prompts in a row"
    else:
        for i, text in enumerate(["My house has had no electricity since yesterday.",
                                  "The road into the village is flooded, please send someone to help.",
                                  "When will the commune hold the meeting about the new school?"]):
            path = folder / f"s{i}.wav"
            subprocess.run(["espeak-ng", "-v", "en", "-w", str(path), text], check=True)
            with wave.open(str(path)) as w:
                pieces.append((text, np.frombuffer(w.readframes(w.getnframes()), "<i2"), w.getframerate()))
        source = "espeak-ng English sentences in a row"
    rate = pieces[0][2]
    specs, start = [], 0
    for seconds in LONG_LENGTHS:
        audio, texts, i = [], [], start
        while sum(a.size for a in audio) < seconds * rate:
            text, samples, r = pieces[i % len(pieces)]
            assert r == rate
            audio += [samples, np.zeros(int(GAP_SECONDS * rate), "<i2")]
            texts.append(text)
            i += 1
        start = i
        path = folder / f"long{seconds}.wav"
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(rate)
            w.writeframes(np.concatenate(audio).tobytes())
        specs.append({"path": str(path), "reference": " ".join(texts)})
    return {"source": source, "language": "en", "recordings": specs}


# ------------------------------------------------------------------------------- measuring

def cer_parts(reference: str, hypothesis: str) -> tuple[int, int]:
    from rapidfuzz.distance import Levenshtein

    from broadcast.transcription.guard import normalise

    ref = normalise(reference)
    return Levenshtein.distance(ref, normalise(hypothesis)), len(ref)


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    todo += [int(c) for c in f.read().split()]
        except OSError:
            pass
    return out


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def measured(cmd: list[str], log: Path) -> dict:
    """Run `cmd`; wall, CPU (user + system of it and the children it waited for), peak memory."""
    peak = [0]
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT)
        done = threading.Event()

        def sample() -> None:
            while not done.wait(SAMPLE_EVERY):
                peak[0] = max(peak[0], sum(_rss_kb(p) for p in _tree(proc.pid)))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        done.set()
        sampler.join()
    return {"exit": proc.returncode, "wall_s": round(wall, 2), "cpu_s": round(usage.ru_utime + usage.ru_stime, 2),
            "peak_tree_mb": round(peak[0] / 1024), "peak_process_mb": round(usage.ru_maxrss / 1024)}


def queued(ws: Path) -> dict[str, str]:
    from broadcast.core import db
    from broadcast.core.config import load_workspace
    from broadcast.feedback import queue

    conn = db.connect(load_workspace(ws).db_path)
    return {it.source_name: it.transcript for it in queue.iter_all(conn)}


def run_set(data: dict, tmp: Path, with_baseline: bool = True) -> dict:
    runs = []
    for backend, jobs, extra in (RUNS if with_baseline else RUNS[2:]):
        label = " ".join([backend, f"--jobs {jobs or 'default'}", *extra])
        print(f"  {data['name']}: {label} …", file=sys.stderr, flush=True)
        ws = tmp / f"ws-{data['name']}-{backend}-{jobs or 'default'}{''.join(extra)}"
        subprocess.run([sys.executable, "-m", "broadcast", "init", str(ws)], cwd=ROOT, check=True,
                       capture_output=True)
        cmd = [sys.executable, "-m", "broadcast", "--workspace", str(ws), "transcribe", data["folder"],
               "--backend", backend, "--language", data["language"], *extra] + (["--jobs", jobs] if jobs else [])
        result = measured(cmd, tmp / f"{ws.name}.log")
        if result["exit"] != 0:
            raise SystemExit(f"{label} failed:\n{(tmp / f'{ws.name}.log').read_text()[-3000:]}")
        texts = queued(ws)
        edits = chars = 0
        for clip in data["clips"]:
            e, n = cer_parts(clip["reference"], texts.get(clip["file"], ""))
            edits, chars = edits + e, chars + n
        runs.append({"backend": backend, "jobs": jobs or "default", "options": " ".join(extra), **result,
                     "cer": round(edits / chars, 4), "transcripts": texts})
    audio_s = sum(_seconds(Path(data["folder"]) / c["file"]) for c in data["clips"])
    head = {"name": data["name"], "source": data["source"], "language": data["language"], "clips": len(data["clips"]),
            "audio_s": round(audio_s, 1), "runs": runs}
    fw, full = runs[-2:]
    head["fitted_over_full_window"] = {"cpu": round(fw["cpu_s"] / full["cpu_s"], 2),
                                       "cer_fitted": fw["cer"], "cer_full": full["cer"],
                                       "clips_differing": sorted(k for k in fw["transcripts"]
                                                                 if fw["transcripts"][k] != full["transcripts"].get(k))}
    if not with_baseline:
        return head
    ow, fw1 = runs[:2]
    return {**head,
            "same_transcripts_jobs_1_and_default": fw1["transcripts"] == fw["transcripts"],
            "openai_over_faster_default": {"wall": round(ow["wall_s"] / fw["wall_s"], 2),
                                           "cpu": round(ow["cpu_s"] / fw["cpu_s"], 2)},
            "jobs_default_over_jobs_1_speed_up": round(fw1["wall_s"] / fw["wall_s"], 2)}


def _seconds(path: Path) -> float:
    with wave.open(str(path)) as w:
        return w.getnframes() / w.getframerate()


def long_worker(mode: str, spec_file: Path) -> dict:
    """In a subprocess: every long recording sequentially or batched, one CTranslate2 thread."""
    from broadcast.transcription.transcribe import TranscribeOptions, load_backend, transcribe_file

    spec = json.loads(spec_file.read_text(encoding="utf-8"))
    engine = load_backend("faster-whisper", None, None, 1, "cpu")
    options = TranscribeOptions(language=spec["language"], batched_from=0.0 if mode == "batched" else None)
    out = []
    for rec in spec["recordings"]:
        path = Path(rec["path"])
        wall, cpu = time.perf_counter(), time.process_time()
        t = transcribe_file(path, engine, options)
        e, n = cer_parts(rec["reference"], t.text)
        out.append({"recording": path.name, "audio_s": round(t.duration, 1),
                    "wall_s": round(time.perf_counter() - wall, 2), "cpu_s": round(time.process_time() - cpu, 2),
                    "cer": round(e / n, 4), "segments": len(t.kept)})
    import resource

    return {"mode": mode, "threads": 1, "recordings": out,
            "peak_process_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def run_long(tmp: Path) -> dict:
    data = long_set(tmp / "long")
    spec = tmp / "long.json"
    spec.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    modes = []
    for mode in ("sequential", "batched"):
        print(f"  long recordings: {mode} …", file=sys.stderr, flush=True)
        proc = subprocess.run([sys.executable, str(Path(__file__).resolve()), "--long-worker", mode, str(spec)],
                              cwd=ROOT, capture_output=True, text=True)
        if proc.returncode != 0:
            raise SystemExit(f"long recordings, {mode}, failed:\n{proc.stderr[-3000:]}")
        modes.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    seq, bat = modes
    per_length = [{"audio_s": s["audio_s"], "cpu_sequential_over_batched": round(s["cpu_s"] / b["cpu_s"], 2),
                   "cer_sequential": s["cer"], "cer_batched": b["cer"]}
                  for s, b in zip(seq["recordings"], bat["recordings"])]
    return {"source": data["source"], "language": data["language"], "modes": modes, "per_length": per_length}


# ------------------------------------------------------------------------------------ report

def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def prepare_models() -> str:
    """Join the packaged model and convert it for openai-whisper once, before any timing: an
    install step, not start-up."""
    code = ("from broadcast.transcription.transcribe import load_backend as l; "
            "print(l('openai-whisper', None, None, 1, 'cpu').model_info.label)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"cannot load the openai-whisper backend:\n{proc.stderr[-2000:]}")
    return proc.stdout.strip().splitlines()[-1]


def run(out: Path, skip_long: bool, limit: int | None = None) -> dict:
    from broadcast.transcription.pool import available_cores
    from broadcast.transcription.transcribe import BATCHED_FROM_SECONDS, FEEDBACK_ENCODER_MARGIN

    model = prepare_models()
    report = {"date": datetime.now(timezone.utc).isoformat(timespec="seconds"),
              "command": "scripts/bench-transcribe",
              "machine": {"cpu": cpu_model(), "cores": available_cores(), "python": platform.python_version(),
                          "load_average_before": load_average()},
              "model": model,
              "decoding": "beam 5 at temperature 0 (a loop decoded again with repetition penalty 1.2, "
                          "faster-whisper only), VAD on, condition_on_previous_text off, hallucination guard on; "
                          f"recordings of {BATCHED_FROM_SECONDS:.0f} s and more batched; a shorter one "
                          f"encoded as its speech + {FEEDBACK_ENCODER_MARGIN:g} s instead of the 30 s window "
                          "(faster-whisper default; --full-window turns it off)",
              "sets": [], "skipped": []}
    with tempfile.TemporaryDirectory(prefix="bench-transcribe-") as tmp_name:
        tmp = Path(tmp_name)
        sets = [espeak_set(tmp / "espeak-vi")]
        human = human_set(tmp / "human-en")
        if human:
            sets.append(human)
        else:
            report["skipped"].append(f"human-en: no real speech found (apt-get install {ASTERISK_PACKAGES})")
        for data in sets:
            if limit:
                for clip in data["clips"][limit:]:
                    (Path(data["folder"]) / clip["file"]).unlink()
                data["clips"] = data["clips"][:limit]
            report["sets"].append(run_set(data, tmp))
        more = human and not limit and human_set(tmp / "human-en-more", ACCURACY_CLIPS, shift=1)
        if more:     # accuracy only: the fitted window against the full one on more human speech
            report["accuracy"] = run_set(more, tmp, with_baseline=False)
        ow = sum(r["runs"][0]["wall_s"] for r in report["sets"]), sum(r["runs"][0]["cpu_s"] for r in report["sets"])
        fw = sum(r["runs"][2]["wall_s"] for r in report["sets"]), sum(r["runs"][2]["cpu_s"] for r in report["sets"])
        report["all_short_notes"] = {
            "clips": sum(r["clips"] for r in report["sets"]),
            "openai_over_faster_default": {"wall": round(ow[0] / fw[0], 2), "cpu": round(ow[1] / fw[1], 2)},
            "goal": "wall ratio >= 4 on 2 cores, start-up included, CER unchanged"}
        if not skip_long:
            report["long_recordings"] = run_long(tmp)
    report["machine"]["load_average_after"] = load_average()
    for s in report["sets"] + [report[k] for k in ("accuracy",) if k in report]:
        for r in s["runs"]:
            r["transcripts"] = dict(sorted(r["transcripts"].items()))
    out.parent.mkdir(parents=True, exist_ok=True)
    part = out.with_name(f".{out.name}.part")
    part.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    os.replace(part, out)
    return report


def summary(report: dict) -> str:
    m = report["machine"]
    lines = [f"{m['cpu']}, {m['cores']} cores; load average {m['load_average_before']} before, "
             f"{m['load_average_after']} after",
             f"{'set / run':<50}{'wall s':>8}{'CPU s':>8}{'tree MB':>9}{'max MB':>8}{'CER':>7}"]
    for s in report["sets"] + [report[k] for k in ("accuracy",) if k in report]:
        lines.append(f"{s['name']}: {s['clips']} clips, {s['audio_s']} s of audio")
        for r in s["runs"]:
            name = f"{r['backend']} --jobs {r['jobs']} {r['options']}".strip()
            lines.append(f"  {name:<48}{r['wall_s']:>8.1f}{r['cpu_s']:>8.1f}"
                         f"{r['peak_tree_mb']:>9}{r['peak_process_mb']:>8}{r['cer']:>7.3f}")
        f = s["fitted_over_full_window"]
        lines.append(f"  fitted / full window: {f['cpu']}× CPU, CER {f['cer_fitted']} vs {f['cer_full']}, "
                     f"{len(f['clips_differing'])} of {s['clips']} transcripts differ")
        if "openai_over_faster_default" not in s:
            continue
        ratio = s["openai_over_faster_default"]
        lines.append(f"  openai-whisper / faster-whisper default: {ratio['wall']}× wall, {ratio['cpu']}× CPU; "
                     f"same transcripts --jobs 1 and default: {s['same_transcripts_jobs_1_and_default']}")
    a = report["all_short_notes"]["openai_over_faster_default"]
    lines.append(f"all short notes: {a['wall']}× wall, {a['cpu']}× CPU")
    for note in report["skipped"]:
        lines.append(f"skipped {note}")
    if "long_recordings" in report:
        lines.append(f"long recordings ({report['long_recordings']['source']}), one thread:")
        seq, bat = report["long_recordings"]["modes"]
        for s, b in zip(seq["recordings"], bat["recordings"]):
            lines.append(f"  {s['audio_s']:>6.0f} s: sequential {s['cpu_s']:.1f} CPU s (CER {s['cer']:.3f}), "
                         f"batched {b['cpu_s']:.1f} CPU s (CER {b['cer']:.3f})")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "bench-results/transcribe.json", help="JSON output file")
    parser.add_argument("--skip-long", action="store_true", help="Leave out the long-recording comparison.")
    parser.add_argument("--clips", type=int, default=None, metavar="N",
                        help="Only the first N clips of each set (a quick try, not the benchmark).")
    parser.add_argument("--long-worker", nargs=2, metavar=("MODE", "SPEC"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.long_worker:
        print(json.dumps(long_worker(args.long_worker[0], Path(args.long_worker[1]))))
        return
    report = run(args.out, args.skip_long, args.clips)
    print(summary(report))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
