"""Benchmark `broadcast produce` against the floor any tool must pay, in one run.

(a) produce cold (empty caches), (b) the floor: the same speech (espeak-ng, same voice and
rate, one call per announcement, plus the station ident once) then one ffmpeg run per distinct
output making the same programme (ident, pause, reading(s) with the same gaps) with the same
filters and encoders, plus a copy per area and slot, (c) a warm rerun with nothing changed,
(d) produce cold with --jobs 1 vs --jobs 2, (e) where produce's time goes: one more cold
--jobs 1 run under cProfile, summed by stage (synthesis, conditioning, loudness measurement,
encode, verify-decode, tags, packaging). Peak memory is the largest single process. CPU seconds
(user + system, children included) are reported beside wall time: on a shared machine they say
what the work cost when wall time says mostly how busy the neighbours were.

`--encoders` instead times the two MP3 encoders on the same PCM (a conditioned loudspeaker
programme of real espeak-ng speech): the system's LAME through ctypes, as mastering uses it, and
the `lameenc` wheel (`pip install 'broadcast[bench]'`); writes bench-results/mp3-encoders.json.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import pstats
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import numpy as np
from benchlib import cpu_model  # noqa: E402

from broadcast import mastering
from broadcast.mastering.condition import condition
from broadcast.media.decode import decode_bytes, decode_file
from broadcast.media.encode import encode_mp3, encoder_id
from broadcast.speech.normalize import normalize_vi as normalize

DAY = "2099-12-14"
AREAS = ("ban-a", "ban-b", "ban-c")
TEXTS = [
    "Ủy ban nhân dân xã thông báo lịch tiêm chủng cho trẻ em dưới 5 tuổi vào ngày {d}/12/2099, "
    "từ 7 giờ 30 phút tại Trạm Y tế xã. Các gia đình mang theo sổ tiêm chủng.",
    "Ban Chỉ huy phòng thủ dân sự xã cảnh báo mưa lớn kéo dài, nguy cơ lũ quét tại bản {d}. "
    "Bà con không đi qua ngầm tràn; khi có sự cố gọi số 112.",
    "Công an xã hỗ trợ kích hoạt tài khoản định danh điện tử mức 2 vào thứ Bảy, ngày {d}/12. "
    "Người dân mang theo thẻ CCCD và điện thoại.",
]


def make_workspace(root: Path, count: int) -> None:
    for sub in ("announcements", "translations", "voices", "feedback", "output"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    areas = "\n".join(f'[areas.{a}]\nname = "Bản {a[-1].upper()}"\nlanguages = ["vi"]\n' for a in AREAS)
    (root / "broadcast.toml").write_text(
        '[commune]\nname = "Xã Bench"\nstation = "Đài truyền thanh xã Bench"\ntimezone = "Asia/Ho_Chi_Minh"\n\n'
        '[slots]\nmorning = "05:30"\nevening = "17:00"\n\n' + areas, encoding="utf-8")
    for i in range(count):
        body = TEXTS[i % len(TEXTS)].format(d=i % 28 + 1)
        (root / "announcements" / f"tb-{i:03d}.md").write_text(
            f"---\nid: tb-{i:03d}\ntitle: Thông báo {i}\npriority: normal\nareas: [{', '.join(AREAS)}]\n"
            f"channels: [loudspeaker, zalo]\nschedule:\n  dates: [{DAY}]\n  slots: [morning, evening]\n"
            f"repeat: 2\nexpires: 2100-01-01T00:00:00+07:00\n---\n{body}\n", encoding="utf-8")
    run([sys.executable, "-m", "broadcast", "--workspace", str(root), "approve", str(root / "announcements"),
         "--by", "bench"])


def run(cmd: list[str], **kw) -> tuple[float, int, float]:
    """Wall seconds, the peak RSS (KiB) of the largest process in the tree, and CPU seconds
    (user + system of the process and every child it waited for)."""
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"failed: {' '.join(cmd)}\n{proc.stderr.read().decode()[-2000:]}")
    return elapsed, usage.ru_maxrss, usage.ru_utime + usage.ru_stime


def produce(root: Path, jobs: int) -> tuple[float, int, float]:
    env = {**os.environ, "CI": "1"}
    return run([sys.executable, "-m", "broadcast", "--workspace", str(root), "produce", "--date", DAY,
                "--jobs", str(jobs)], env=env)


def floor(root: Path, count: int, jobs: int) -> tuple[float, float]:
    """espeak-ng once per announcement (and once for the ident), one ffmpeg per output profile
    making the programme produce makes — [ident][1 s][reading]([1.5 s][reading])[0.5 s] — with
    the same filters and encoders, then a copy per area/slot. Wall and CPU seconds."""
    out = root / "floor"
    out.mkdir()
    ls, z = mastering.PROFILES["loudspeaker"], mastering.PROFILES["zalo"]
    band = f"highpass=f={ls.highpass_hz:g}:poles=2,lowpass=f={ls.lowpass_hz:g}:poles=2," + \
        mastering.COMPRESSOR.format(thr=10 ** (mastering.COMPRESSOR_THRESHOLD_DBFS / 20))
    limiter = mastering.LIMITER.format(limit=10 ** (-2.0 / 20))
    after_ident = f"[0:a]apad=pad_dur={mastering.PAUSE_AFTER_IDENT:g}[i];"
    tail = mastering.TAIL_SILENCE
    # the loudspeaker programme reads twice (repeat: 2), Zalo once
    ls_graph = (after_ident + f"[1:a]asplit[r1][r2];[r1]apad=pad_dur={mastering.GAP_BETWEEN_READINGS:g}[a];"
                f"[r2]apad=pad_dur={tail:g}[b];[i][a][b]concat=n=3:v=0:a=1,aresample={ls.sample_rate},"
                f"{band},volume=6dB,{limiter}")
    z_graph = (after_ident + f"[1:a]apad=pad_dur={tail:g}[b];[i][b]concat=n=2:v=0:a=1,"
               f"aresample={z.sample_rate},volume=6dB,{limiter}")
    cpu0 = os.times()
    start = time.perf_counter()
    ident = out / "ident.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "-w", str(ident)],
                   input=normalize("Đây là Đài truyền thanh xã Bench.").encode(), check=True)

    def one(i: int) -> None:
        text = normalize(TEXTS[i % len(TEXTS)].format(d=i % 28 + 1))
        wav = out / f"{i}.wav"
        subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "-w", str(wav)], input=text.encode(), check=True)
        ls_out, z_out = out / f"{i}.mp3", out / f"{i}.m4a"
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(ident), "-i", str(wav), "-filter_complex",
                        ls_graph, "-ac", "1", "-c:a", "libmp3lame", "-b:a", f"{ls.bitrate_kbps}k", str(ls_out)],
                       check=True)
        subprocess.run(["ffmpeg", "-v", "error", "-y", "-i", str(ident), "-i", str(wav), "-filter_complex",
                        z_graph, "-ac", "1", "-c:a", "aac", "-b:a", f"{z.bitrate_kbps}k", str(z_out)],
                       check=True)
        for a in AREAS:
            for slot in ("morning", "evening"):
                shutil.copyfile(ls_out, out / f"{a}-{slot}-{i}.mp3")
            shutil.copyfile(z_out, out / f"{a}-{i}.m4a")

    with ThreadPoolExecutor(max_workers=jobs) as pool:
        list(pool.map(one, range(count)))
    cpu1 = os.times()
    cpu = (cpu1.user - cpu0.user + cpu1.system - cpu0.system
           + cpu1.children_user - cpu0.children_user + cpu1.children_system - cpu0.children_system)
    return time.perf_counter() - start, cpu


# Each stage's functions as cProfile names them: (file under broadcast/, function); a list
# where the function has lived in more than one place.
F = {
    "produce": ("produce/pipeline.py", "produce"),
    "render_all": [("produce/workers.py", "render_all"), ("produce/pipeline.py", "_render_all")],
    "synthesize": ("speech/synth.py", "synthesize"),
    "station_ident": ("speech/synth.py", "station_ident"),
    "build_programme": ("mastering/programme.py", "build_programme"),
    "master": ("mastering/render.py", "master"),
    "master_to": ("mastering/render.py", "_master_to"),
    "condition": ("mastering/condition.py", "condition"),
    "trim_for_target": ("mastering/condition.py", "trim_for_target"),
    "integrated_loudness": ("media/loudness.py", "integrated_loudness"),
    "measure_pcm": ("media/loudness.py", "measure_pcm"),
    "encode_pcm": ("media/encode.py", "encode_pcm"),
    "encode_mp3": ("media/encode.py", "encode_mp3"),
    "encode_libav": ("media/encode.py", "_encode_with_libav"),
    "decode_file": ("media/decode.py", "decode_file"),
    "write_tags": ("media/tags.py", "write_tags"),
}


# `python -m broadcast ARGS` under cProfile timed in CPU seconds (this process's, plus its children's
# as each is waited for: espeak-ng), so a busy machine does not change the split.
PROFILE_RUNNER = """
import cProfile, os, runpy, sys, time
def cpu():
    t = os.times()
    return time.process_time() + t.children_user + t.children_system
out, sys.argv = sys.argv[1], ["broadcast", *sys.argv[2:]]
profiler = cProfile.Profile(cpu)
try:
    profiler.runcall(runpy.run_module, "broadcast", run_name="__main__", alter_sys=True)
except SystemExit as exc:
    if exc.code:
        raise
finally:
    profiler.dump_stats(out)
"""


def profile_stages(root: Path, count: int) -> dict:
    """One cold `produce --jobs 1` (everything in one process) under cProfile, summed by stage,
    in CPU seconds (the profiler adds a little to Python-heavy parts)."""
    make_workspace(root, count)
    prof = root / "produce.prof"
    wall, _, cpu = run([sys.executable, "-c", PROFILE_RUNNER, str(prof), "--workspace", str(root), "produce",
                        "--date", DAY, "--jobs", "1"], env={**os.environ, "CI": "1"})
    stats = pstats.Stats(str(prof)).stats
    keys = {}
    for key in stats:
        for name, where in F.items():
            for file, func in where if isinstance(where, list) else [where]:
                if key[2] == func and key[0].replace(os.sep, "/").endswith("broadcast/" + file):
                    keys[name] = key

    def total(name: str) -> float:
        return stats[keys[name]][3] if name in keys else 0.0

    def via(name: str, caller: str) -> float:
        """Time in `name` when called from `caller`."""
        if name not in keys or caller not in keys:
            return 0.0
        return stats[keys[name]][4].get(keys[caller], (0, 0, 0, 0.0))[3]

    pre_encode_loudness = via("integrated_loudness", "condition") + via("integrated_loudness", "trim_for_target")
    stages = {
        "synthesis": total("synthesize") + total("station_ident"),
        "programme": total("build_programme"),
        "conditioning": total("condition") - via("integrated_loudness", "condition"),
        "loudness_measurement": pre_encode_loudness + via("measure_pcm", "master_to"),
        "encode": total("encode_pcm"),
        "verify_decode": via("decode_file", "master_to"),
        "tags": total("write_tags"),
        "packaging": total("produce") - total("render_all"),
    }
    detail = {
        "loudness_before_encode": pre_encode_loudness,
        "verify_measure": via("measure_pcm", "master_to"),
        "encode_mp3": total("encode_mp3"), "encode_aac": total("encode_libav"),
        "master_total": total("master"), "render_total": total("render_all"), "produce_total": total("produce"),
        "outside_produce": cpu - total("produce"),    # interpreter start, imports, the profiler's dump
        "masters": stats[keys["master"]][1] if "master" in keys else 0,
    }
    return {"unit": "CPU seconds", "wall_seconds": round(wall, 2), "cpu_seconds": round(cpu, 2),
            "stages": {k: round(v, 2) for k, v in stages.items()},
            "detail": {k: round(v, 2) if isinstance(v, float) else v for k, v in detail.items()}}


def conditioned_programme() -> np.ndarray:
    """What produce hands the MP3 encoder for one announcement: real espeak-ng speech, read
    twice after the ident gap, conditioned for the loudspeaker profile, before its final trim."""
    text = normalize(TEXTS[0].format(d=14))
    wav = subprocess.run(["espeak-ng", "-v", "vi", "-s", "140", "--stdout"], input=text.encode(),
                         capture_output=True, check=True).stdout
    speech, rate = decode_bytes(wav, label="espeak-ng output")
    profile = mastering.PROFILES["loudspeaker"]
    programme = mastering.build_programme(speech, rate, ident=None, ident_rate=None, readings=2, attention=False,
                                          sample_rate=profile.sample_rate)
    pcm, _ = condition(programme, profile)
    return pcm


def bench_encoders(output: Path, repeats: int) -> None:
    """The system's LAME (ctypes, float input, LAME tag frame) against lameenc (int16 input, no
    tag frame) on the same PCM, same settings (CBR 128 kb/s mono, quality 3), CPU seconds of
    this process, interleaved runs, best and median of `repeats`."""
    try:
        import lameenc
    except ImportError:
        raise SystemExit("lameenc is not installed: .venv/bin/pip install 'broadcast[bench]' "
                         "(or 'lameenc>=1.7,<2')") from None
    profile = mastering.PROFILES["loudspeaker"]
    rate, kbps = profile.sample_rate, profile.bitrate_kbps
    with tempfile.TemporaryDirectory(prefix="bench-encoders-") as tmp:
        tmp = Path(tmp)
        pcm = conditioned_programme()
        system_out, lameenc_out = tmp / "system.mp3", tmp / "lameenc.mp3"

        def with_system() -> None:
            encode_mp3(pcm, rate, kbps, system_out)

        def with_lameenc() -> None:
            encoder = lameenc.Encoder()
            encoder.set_bit_rate(kbps)
            encoder.set_in_sample_rate(rate)
            encoder.set_out_sample_rate(rate)
            encoder.set_channels(1)
            encoder.set_quality(3)
            ints = (np.clip(pcm, -1.0, 32767 / 32768) * 32768).astype("<i2")
            lameenc_out.write_bytes(bytes(encoder.encode(ints.tobytes())) + bytes(encoder.flush()))

        times: dict[str, list[float]] = {"system_lame": [], "lameenc": []}
        for _ in range(repeats):
            for name, fn in (("system_lame", with_system), ("lameenc", with_lameenc)):
                t0 = time.process_time()
                fn()
                times[name].append(time.process_time() - t0)
        seconds = len(pcm) / rate
        decoded = {name: len(decode_file(path, rate)[0]) - len(pcm)
                   for name, path in (("system_lame", system_out), ("lameenc", lameenc_out))}
        sizes = {"system_lame": system_out.stat().st_size, "lameenc": lameenc_out.stat().st_size}
    best = {k: min(v) for k, v in times.items()}
    report = {
        "benchmark": "mp3-encoders", "command": "scripts/bench-produce --encoders",
        "pcm_seconds": round(seconds, 2), "repeats": repeats,
        "encoders": {"system_lame": encoder_id("libmp3lame") + " (ctypes)",
                     "lameenc": f"lameenc {importlib.metadata.version('lameenc')}"},
        "cpu_seconds_best": {k: round(v, 4) for k, v in best.items()},
        "cpu_seconds_median": {k: round(statistics.median(v), 4) for k, v in times.items()},
        "realtime_factor_best": {k: round(seconds / v, 1) for k, v in best.items()},
        "lameenc_over_system": round(best["lameenc"] / best["system_lame"], 3),
        "bytes": sizes,
        # samples a decoder returns beyond those encoded: the LAME tag frame (system) tells it
        # the encoder delay and padding; lameenc writes none
        "decoded_extra_samples": decoded,
        "machine": {"cores": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()]},
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(report, indent=2))
    print(f"written {output}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--announcements", type=int, default=40)
    parser.add_argument("--output", type=Path, default=None,
                        help="JSON report (default bench-results/produce.json, or mp3-encoders.json)")
    parser.add_argument("--encoders", action="store_true",
                        help="only time the system's LAME against lameenc on the same PCM")
    parser.add_argument("--repeats", type=int, default=7, help="runs of each encoder (--encoders)")
    parser.add_argument("--stages-only", action="store_true",
                        help="only the per-stage profile of one cold --jobs 1 run (bench-results/produce-stages.json)")
    args = parser.parse_args()
    if args.encoders:
        bench_encoders(args.output or ROOT / "bench-results" / "mp3-encoders.json", args.repeats)
        return
    if args.stages_only:
        with tempfile.TemporaryDirectory(prefix="bench-produce-") as tmp:
            report = {"benchmark": "produce-stages", "command": "scripts/bench-produce --stages-only",
                      "announcements": args.announcements, **profile_stages(Path(tmp) / "ws", args.announcements)}
        output = args.output or ROOT / "bench-results" / "produce-stages.json"
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
        print(json.dumps(report, indent=2))
        return
    args.output = args.output or ROOT / "bench-results" / "produce.json"
    n, cores = args.announcements, os.cpu_count() or 1
    load_before = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="bench-produce-") as tmp:
        tmp = Path(tmp)
        results: dict = {}
        for jobs in (1, 2):
            ws = tmp / f"ws-jobs{jobs}"
            make_workspace(ws, n)
            t, rss, cpu = produce(ws, jobs)
            results[f"cold_jobs{jobs}"] = {"seconds": round(t, 2), "cpu_seconds": round(cpu, 2),
                                           "peak_rss_mib": round(rss / 1024, 1)}
            print(f"produce cold --jobs {jobs}: {t:.1f} s ({cpu:.1f} s CPU), peak {rss / 1024:.0f} MiB", flush=True)
        t_warm, rss_warm, cpu_warm = produce(tmp / "ws-jobs2", 2)
        results["warm_rerun"] = {"seconds": round(t_warm, 2), "cpu_seconds": round(cpu_warm, 2),
                                 "peak_rss_mib": round(rss_warm / 1024, 1)}
        print(f"produce warm rerun: {t_warm:.2f} s ({cpu_warm:.2f} s CPU)", flush=True)
        t_floor, cpu_floor = floor(tmp / "ws-jobs2", n, 2)
        results["floor_jobs2"] = {"seconds": round(t_floor, 2), "cpu_seconds": round(cpu_floor, 2)}
        print(f"floor (espeak-ng + one ffmpeg per output, 2 at a time): {t_floor:.1f} s ({cpu_floor:.1f} s CPU)",
              flush=True)
        files = len(list((tmp / "ws-jobs2" / "output" / DAY).rglob("*.mp3")))
        profile = profile_stages(tmp / "ws-profile", n)
        print("where produce's time goes (cold --jobs 1 under cProfile, seconds): "
              + ", ".join(f"{k} {v:g}" for k, v in profile["stages"].items()), flush=True)
    cold = results["cold_jobs2"]["seconds"]
    ratios = {
        "produce_over_floor": round(cold / t_floor, 2),
        "warm_over_cold": round(t_warm / cold, 3),
        "jobs2_speedup": round(results["cold_jobs1"]["seconds"] / cold, 2),
        # the same ratios in CPU seconds (what the work costs, whatever else the machine runs)
        "produce_over_floor_cpu": round(results["cold_jobs2"]["cpu_seconds"] / cpu_floor, 2),
        "warm_over_cold_cpu": round(cpu_warm / results["cold_jobs2"]["cpu_seconds"], 3),
    }
    report = {
        "benchmark": "produce",
        "command": "scripts/bench-produce",
        "announcements": n, "areas": len(AREAS), "slots": 2, "mp3_files": files,
        "machine": {"cpu": cpu_model(), "cores": cores, "python": platform.python_version(),
                    "platform": platform.platform(),
                    "load_average_before": load_before, "load_average_after": [round(x, 2) for x in os.getloadavg()]},
        "results": results, "ratios": ratios, "profile_jobs1": profile,
        "targets": {"produce_over_floor": "<= 1.3", "warm_over_cold": "<= 0.05", "jobs2_speedup": ">= 1.7"},
    }
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(ratios, indent=2))
    print(f"written {args.output}")


if __name__ == "__main__":
    main()
