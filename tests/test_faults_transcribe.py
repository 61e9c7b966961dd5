"""`broadcast transcribe` under faults: killed mid-batch then rerun, and two runs at once on the
same folder and workspace. Real processes, the real packaged model, espeak-ng clips.

Each run is stopped at a definite step by the pause-point test hook (broadcast.core.processes,
off by default), then killed there or held while the other run goes on: no sleeps, no races
that a faster or slower machine decides."""

from __future__ import annotations

import os
import subprocess
import sys
import wave
from pathlib import Path

import numpy as np
import pytest

from broadcast.core import db
from broadcast.core.config import load_workspace
from broadcast.feedback.audio import sha256_file
from conftest import make_workspace, write_wav
from test_faults import Pause, runs  # noqa: F401  (runs: the fixture)

pytestmark = pytest.mark.slow
BROADCAST = [sys.executable, "-m", "broadcast"]
SENTENCES = ("Nhà tôi bị mất điện.", "Xin hỏi lịch tiêm chủng.",
             "Đường vào bản bị sạt lở.")


def speech_folder(folder: Path, count: int, seed: int) -> list[Path]:
    """`count` short espeak-ng clips; each a sentence plus a little noise of its own, so every
    file has a different sha256 (the queue's identity)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(seed)
    spoken = []
    for i, text in enumerate(SENTENCES):
        raw = folder / f".raw-{i}.wav"
        subprocess.run(["espeak-ng", "-v", "vi", "-s", "150", "-w", str(raw), text], check=True)
        with wave.open(str(raw)) as w:
            spoken.append((np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768, w.getframerate()))
        raw.unlink()
    files = []
    for i in range(count):
        samples, rate = spoken[i % len(spoken)]
        noisy = samples + rng.standard_normal(samples.size) * 0.002
        files.append(write_wav(folder / f"note-{i:02d}.wav", noisy, rate))
    return files


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory) -> Path:
    """A model cache of this module's own, joined once here (the children inherit it)."""
    cache = tmp_path_factory.mktemp("model-cache")
    subprocess.run([sys.executable, "-c", "from broadcast.transcription.whisper import packaged_model_dir; "
                    "packaged_model_dir()"], check=True, env={**os.environ, "BROADCAST_MODEL_CACHE": str(cache)})
    return cache


def transcribe(root: Path, folder: Path) -> list[str]:
    return [*BROADCAST, "--workspace", str(root), "transcribe", str(folder)]


def queue_rows(root: Path) -> list:
    path = load_workspace(root).db_path
    if not path.exists():
        return []
    conn = db.connect(path)
    try:
        return conn.execute("SELECT * FROM feedback_items ORDER BY id").fetchall()
    finally:
        conn.close()


def check_queue(root: Path) -> list:
    """Every queued item is whole: its stored original exists, has its sha256, and it has a transcript."""
    feedback = load_workspace(root).feedback_dir
    rows = queue_rows(root)
    shas = [r["sha256"] for r in rows]
    assert len(shas) == len(set(shas)), "a recording is queued twice"
    for r in rows:
        stored = feedback / r["stored_path"]
        assert stored == feedback / "store" / f"{r['sha256']}{stored.suffix}", r["stored_path"]
        assert stored.is_file() and sha256_file(stored) == r["sha256"], f"#{r['id']}: stored copy missing or wrong"
        assert r["transcript"] is not None and r["duration"] > 0.5
    return rows


def temp_files(store: Path) -> list[Path]:
    return [p for p in store.iterdir() if p.name.startswith(".") or p.suffix == ".part"] if store.exists() else []


# (--jobs, step, rows in the queue once the run is killed there, counting the runs before).
# --jobs 2: the recordings are transcribed in worker processes, which die with the run's group.
KILL_POINTS = [
    (2, "transcribe.store-written:1", 0),   # the first original copied into the store, under a temp name
    (1, "transcribe.stored:1", 0),          # …renamed to its final name, not queued yet
    (1, "transcribe.inserted:1", 0),        # inside the queue's transaction, before its COMMIT
    (1, "transcribe.queued:2", 2),          # two committed
    (2, "transcribe.inserted:2", 3),        # one more, and the next one's transaction cut short
]


def test_transcribe_killed_mid_batch_then_rerun_completes(tmp_path, model_cache, runs):
    root = make_workspace(tmp_path / "ws")
    files = speech_folder(tmp_path / "inbox", 12, seed=1)
    store = load_workspace(root).feedback_dir / "store"
    env = {"BROADCAST_MODEL_CACHE": str(model_cache)}
    seen = []
    for n, (jobs, step, _rows) in enumerate(KILL_POINTS):
        pause = Pause(tmp_path / f"pause-{n}")
        proc = runs([*transcribe(root, tmp_path / "inbox"), "--jobs", str(jobs)], {**env, **pause.env(step)})
        pause.wait(proc, step)
        proc.kill_group()
        seen.append(len(check_queue(root)))  # consistent after every kill, not only at the end
        if step == "transcribe.store-written:1":   # the copy cut short: a temp file of the dead pid
            assert [p.name.split(".")[2] for p in temp_files(store)] == [str(proc.pid)]
        else:
            assert temp_files(store) == [], step  # the previous run's was removed at start
    assert seen == [rows for _, _, rows in KILL_POINTS]
    assert len(list(store.iterdir())) == 4    # the three queued, and the fourth stored, its insert undone

    final = runs(transcribe(root, tmp_path / "inbox"), env)
    out = final.finish()
    assert final.returncode == 0, out
    assert f"{len(files) - 3} added, 3 already queued, 0 failed" in out, out
    rows = check_queue(root)
    assert sorted(r["sha256"] for r in rows) == sorted(sha256_file(f) for f in files)
    assert sorted(r["source_name"] for r in rows) == sorted(f.name for f in files)
    assert temp_files(store) == []
    assert sorted(p.name for p in store.iterdir()) == sorted(f"{r['sha256']}.wav" for r in rows)
    # Nothing left to do: a further run only skips.
    again = runs(transcribe(root, tmp_path / "inbox"), env)
    out = again.finish(timeout=120)
    assert again.returncode == 0 and f"0 added, {len(files)} already queued, 0 failed" in out, out


def test_two_transcribe_runs_at_once(tmp_path, runs):
    # A fresh workspace (no database yet) and a fresh model cache: both runs are held at the start
    # and let go together, so they create the database, migrate it and join the packaged model
    # at the same moment.
    root = make_workspace(tmp_path / "ws")
    files = speech_folder(tmp_path / "inbox", 8, seed=2)
    env = {"BROADCAST_MODEL_CACHE": str(tmp_path / "model-cache")}
    hold_a, hold_b = Pause(tmp_path / "pause-a"), Pause(tmp_path / "pause-b")
    a = runs(transcribe(root, tmp_path / "inbox"), {**env, **hold_a.env("transcribe.start:1", "transcribe.stored:1")})
    b = runs(transcribe(root, tmp_path / "inbox"), {**env, **hold_b.env("transcribe.start:1", "transcribe.stored:1")})
    hold_a.wait(a, "transcribe.start:1")
    hold_b.wait(b, "transcribe.start:1")
    hold_a.release("transcribe.start:1")
    hold_b.release("transcribe.start:1")
    # Both stop with the first recording transcribed and stored but not queued (neither has
    # queued anything yet, so neither can skip it). B goes on and queues all of them; then A,
    # let go, finds the first queued inside its own insert and the rest queued before it looks:
    # each file is added by exactly one of the two runs.
    hold_a.wait(a, "transcribe.stored:1")
    hold_b.wait(b, "transcribe.stored:1")
    hold_b.release("transcribe.stored:1")
    out_b = b.finish()
    assert b.returncode == 0 and f"{len(files)} added, 0 already queued, 0 failed" in out_b, out_b
    hold_a.release("transcribe.stored:1")
    out_a = a.finish()
    assert a.returncode == 0 and f"0 added, {len(files)} already queued, 0 failed" in out_a, out_a
    for out in (out_a, out_b):
        assert "locked" not in out and "Traceback" not in out, out
    rows = check_queue(root)
    assert sorted(r["sha256"] for r in rows) == sorted(sha256_file(f) for f in files)
    assert temp_files(load_workspace(root).feedback_dir / "store") == []
