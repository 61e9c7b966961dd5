"""`broadcast transcribe --jobs N`: recordings transcribed in spawned worker processes with the
real packaged Whisper model on espeak-ng clips made here. The transcripts equal those of one
worker (in the queue, in input order); a worker that crashes on a recording gets that recording
named and the rest completed; the workers die with a SIGKILLed `transcribe`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

from broadcast.core import db
from broadcast.feedback import queue
from broadcast.media.errors import AudioError
from broadcast.transcription.pool import EngineSpec, available_cores, die_with_parent, transcribe_many
from broadcast.transcription.transcribe import (FEEDBACK_ENCODER_MARGIN, TranscribeOptions, load_backend,
                                                transcribe_file)

import jobs_support
from conftest import WorkspaceHelper, make_workspace, read_wav, speak, spoken_clips, write_wav

TEXTS = {
    "a-mat-dien": "Nhà tôi bị mất điện từ hôm qua.",
    "b-tiem-chung": "Xin chào. Tôi muốn hỏi về lịch tiêm chủng cho trẻ em.",
    "c-duong": "Đường vào bản bị sạt lở, xin xã cho người đến sửa.",
    "d-nuoc": "Bản tôi thiếu nước sạch đã ba ngày nay.",
    "e-loa": "Loa ở đầu bản bị hỏng, chúng tôi không nghe được thông báo.",
}
EN_TEXTS = [
    "My house has had no electricity since yesterday.",
    "The road into the village is flooded, please send someone to help.",
    "When will the commune hold the meeting about the new school?",
]
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    mp.setenv("BROADCAST_MODEL_CACHE", str(tmp_path_factory.mktemp("model-cache")))   # workers inherit it
    load_backend.cache_clear()
    yield
    load_backend.cache_clear()
    mp.undo()


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    return spoken_clips(tmp_path_factory.mktemp("clips"), TEXTS)


def workspace(root: Path) -> WorkspaceHelper:
    return WorkspaceHelper(make_workspace(root))


def queued(ws: WorkspaceHelper) -> list[tuple]:
    """The queue in id order: (file, transcript, segments, duration, model)."""
    conn = db.connect(ws.load().db_path)
    items = sorted(queue.iter_all(conn), key=lambda it: it.id)
    return [(it.source_name, it.transcript, [(s["start"], s["end"], s["text"], s.get("dropped")) for s in it.segments],
             it.duration, it.model) for it in items]


def test_available_cores_and_jobs_validation(ws):
    assert 1 <= available_cores() <= (os.cpu_count() or 1)
    r = ws.run("transcribe", str(ws.root), "--jobs", "0")
    assert r.exit_code == 2 and "--jobs" in r.output, r.output


def test_a_worker_whose_parent_is_gone_exits_at_once():
    # The race prctl cannot cover: the parent died before the child asked to die with it.
    code = "import os; from broadcast.transcription.pool import die_with_parent; die_with_parent(os.getppid() + 1)"
    r = subprocess.run([sys.executable, "-c", code], cwd=ROOT, timeout=60)
    assert r.returncode == 1
    die_with_parent(os.getppid())        # the right parent: returns, and this process goes on


@pytest.mark.slow
def test_jobs_1_and_jobs_2_queue_the_same_transcripts(model_cache, clips, tmp_path):
    batch = tmp_path / "batch"
    batch.mkdir()
    for f in sorted(clips.iterdir()):
        (batch / f.name).write_bytes(f.read_bytes())
    (batch / "c-cut.wav").write_bytes((clips / "c-duong.wav").read_bytes()[:20000])   # fails, in the middle
    (batch / "f-same.wav").write_bytes((clips / "a-mat-dien.wav").read_bytes())        # a repeat: one item
    runs = {}
    for jobs in ("1", "2"):
        ws = workspace(tmp_path / f"ws-{jobs}")
        r = ws.run("transcribe", str(batch), "--jobs", jobs)
        assert r.exit_code == 1, r.output
        assert "5 added, 1 already queued, 1 failed" in r.output, r.output
        assert any("c-cut.wav" in line and "truncated" in line for line in r.output.splitlines()), r.output
        runs[jobs] = queued(ws)
    assert [name for name, *_ in runs["2"]] == [f"{n}.wav" for n in TEXTS]      # input order
    assert all(text for _, text, *_ in runs["2"])
    assert runs["1"] == runs["2"]


@pytest.mark.slow
def test_batched_long_recordings_are_the_same_in_workers_and_here(model_cache, tmp_path):
    # Every recording batched (threshold lowered): the BatchedInferencePipeline path, one thread
    # in each of two workers, against one process on all cores. English espeak-ng: Whisper base
    # hears its voice well enough for whole sentences in one 30 s window.
    sentences = []
    for i, text in enumerate(EN_TEXTS):
        sentences.append(read_wav(speak(tmp_path / f"s{i}.wav", text, "en", 150)))
    rate = sentences[0][1]
    gap = np.zeros(rate * 2)
    paths = []
    for n in range(2):   # about 40 s each: two chunks, decoded as one batch; one for each worker
        order = [sentences[(n + k) % len(sentences)][0] for k in range(7)]
        paths.append(write_wav(tmp_path / f"long{n}.wav", np.concatenate([x for s in order for x in (s, gap)]), rate))
    options = TranscribeOptions(language="en", batched_from=5.0)
    here = list(transcribe_many(paths, EngineSpec(), options, jobs=1))
    there = list(transcribe_many(paths, EngineSpec(), options, jobs=2))
    assert [p for p, _ in there] == paths
    assert [(t.text, t.segments, t.duration) for _, t in here] == [(t.text, t.segments, t.duration) for _, t in there]
    for _, t in here:
        assert t.duration > 35 and len(t.kept) >= 5, t.segments
        assert "electricity" in t.text.lower() and "flooded" in t.text.lower(), t.text
    fw = load_backend("faster-whisper", None, None)
    sequential = transcribe_file(paths[0], fw, TranscribeOptions(language="en", batched_from=None))
    assert sequential.text.lower().count("electricity") == here[0][1].text.lower().count("electricity")


@pytest.mark.slow
def test_a_worker_crash_names_its_recording_and_the_rest_complete(model_cache, clips, tmp_path):
    files = [clips / "a-mat-dien.wav", clips / "b-tiem-chung.wav", tmp_path / "crash.wav", clips / "d-nuoc.wav",
             clips / "e-loa.wav"]
    files[2].write_bytes(files[1].read_bytes())
    options = TranscribeOptions(encoder_margin=FEEDBACK_ENCODER_MARGIN)    # as `transcribe` decodes
    with jobs_support.CrashingPool(EngineSpec(), options, 2) as pool:
        got = list(pool.run(files))
    assert [p for p, _ in got] == files
    crashed = got[2][1]
    assert isinstance(crashed, AudioError) and crashed.path == files[2] and "crashed" in str(crashed)
    fw = load_backend("faster-whisper", None, None)
    for path, outcome in got[:2] + got[3:]:
        assert not isinstance(outcome, Exception), outcome
        assert outcome.text == transcribe_file(path, fw, options).text
    assert not pool.pools


def _children(pid: int) -> set[int]:
    out = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        out |= {int(c) for c in (task / "children").read_text().split()}
    return out


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


@pytest.mark.slow
@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux's")
def test_no_worker_outlives_a_sigkilled_transcribe(model_cache, clips, tmp_path):
    # Two long recordings keep both workers busy for many seconds: without PR_SET_PDEATHSIG they
    # would go on transcribing long after their parent is gone.
    speech, rate = read_wav(clips / "e-loa.wav")
    batch = tmp_path / "batch"
    batch.mkdir()
    for i in range(2):
        write_wav(batch / f"long{i}.wav", np.concatenate([speech, np.zeros(rate // 2)] * (24 + i)), rate)
    ws = workspace(tmp_path / "ws")
    proc = subprocess.Popen([sys.executable, "-m", "broadcast", "--workspace", str(ws.root), "transcribe",
                             str(batch), "--jobs", "2"], cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 240
        workers: set[int] = set()
        while time.monotonic() < deadline and proc.poll() is None:
            workers = {c for c in _children(proc.pid) if "spawn_main" in Path(f"/proc/{c}/cmdline").read_text()
                       and "resource_tracker" not in Path(f"/proc/{c}/cmdline").read_text()}
            if len(workers) == 2 and all(_cpu_seconds(w) > 4 for w in workers):   # model loaded, decoding
                break
            time.sleep(0.2)
        assert proc.poll() is None and len(workers) == 2, "the workers were not seen busy"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline and any(_alive(w) for w in workers):
            time.sleep(0.1)
        left = [w for w in workers if _alive(w)]
        assert not left, f"workers {left} outlived their parent"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for w in workers:
            if _alive(w):
                os.kill(w, signal.SIGKILL)
