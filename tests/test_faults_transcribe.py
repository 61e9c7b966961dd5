"""`broadcast transcribe` under faults: killed mid-batch then rerun, and two runs at once on the
same folder and workspace. Real processes, the real packaged model, espeak-ng clips."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from broadcast.core import db
from broadcast.core.config import load_workspace
from broadcast.feedback.audio import sha256_file
from conftest import CONFIG, write_wav

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


def new_workspace(root: Path) -> Path:
    for sub in ("announcements", "translations", "voices", "feedback", "output"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "broadcast.toml").write_text(CONFIG, encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory) -> Path:
    """A model cache of this module's own, joined once here (the children inherit it)."""
    cache = tmp_path_factory.mktemp("model-cache")
    subprocess.run([sys.executable, "-c", "from broadcast.transcription.whisper import packaged_model_dir; "
                    "packaged_model_dir()"], check=True, env={**os.environ, "BROADCAST_MODEL_CACHE": str(cache)})
    return cache


def start(root: Path, folder: Path, cache: Path) -> subprocess.Popen:
    return subprocess.Popen([*BROADCAST, "--workspace", str(root), "transcribe", str(folder)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
                            env={**os.environ, "CI": "1", "BROADCAST_MODEL_CACHE": str(cache)})


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


def test_transcribe_killed_mid_batch_then_rerun_completes(tmp_path, model_cache):
    root = new_workspace(tmp_path / "ws")
    files = speech_folder(tmp_path / "inbox", 12, seed=1)
    store = load_workspace(root).feedback_dir / "store"
    rng = random.Random(8)
    kills, seen = 0, []
    for _ in range(6):
        proc = start(root, tmp_path / "inbox", model_cache)
        # Kill points keyed to progress, not to the clock (start-up takes 3–8 s on a busy PC):
        # during start-up or the first file, or a moment after the 1st or 2nd item was queued
        # (inside the next one's decode, transcription, store copy or database insert).
        after = rng.choice([0, 1, 1, 2])
        added = 0
        while added < after:
            line = proc.stdout.readline()
            if not line:
                break
            added += line.startswith(b"#")
        time.sleep(rng.uniform(0.5, 4.0) if after == 0 else rng.uniform(0.0, 0.9))
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)  # the whole group, as in a power cut
            kills += 1
        proc.wait()
        proc.stdout.close()
        seen.append(len(check_queue(root)))  # consistent after every kill, not only at the end
    assert kills >= 4, f"the batch finished before most kill points ({seen}); make it bigger"
    assert 0 < seen[-1] < len(files), f"the kills did not land inside the batch ({seen})"
    print(f"items queued after each kill: {seen}")

    # A writer killed while copying into the store leaves a temp file named after its dead pid.
    store.mkdir(parents=True, exist_ok=True)
    (store / f".{'0' * 12}.999999.x1y2.part").write_bytes(b"half a recording")

    final = start(root, tmp_path / "inbox", model_cache)
    out = final.communicate(timeout=300)[0].decode()
    assert final.returncode == 0, out
    assert "0 failed" in out, out
    rows = check_queue(root)
    assert sorted(r["sha256"] for r in rows) == sorted(sha256_file(f) for f in files)
    assert sorted(r["source_name"] for r in rows) == sorted(f.name for f in files)
    assert temp_files(store) == []
    assert sorted(p.name for p in store.iterdir()) == sorted(f"{r['sha256']}.wav" for r in rows)
    # Nothing left to do: a further run only skips.
    again = start(root, tmp_path / "inbox", model_cache)
    out = again.communicate(timeout=120)[0].decode()
    assert again.returncode == 0 and f"0 added, {len(files)} already queued, 0 failed" in out, out


def test_two_transcribe_runs_at_once(tmp_path):
    # A fresh workspace (no database yet) and a fresh model cache: both runs create the database,
    # migrate it and join the packaged model at the same moment.
    root = new_workspace(tmp_path / "ws")
    files = speech_folder(tmp_path / "inbox", 8, seed=2)
    cache = tmp_path / "model-cache"
    first = start(root, tmp_path / "inbox", cache)
    second = start(root, tmp_path / "inbox", cache)
    out1 = first.communicate(timeout=300)[0].decode()
    out2 = second.communicate(timeout=300)[0].decode()
    assert first.returncode == 0, out1
    assert second.returncode == 0, out2
    for out in (out1, out2):
        assert "locked" not in out and "Traceback" not in out, out
    rows = check_queue(root)
    assert sorted(r["sha256"] for r in rows) == sorted(sha256_file(f) for f in files)
    # Each file was added by exactly one of the two runs; the other skipped it.
    added = [int(out.rsplit(" added,", 1)[0].split()[-1]) for out in (out1, out2)]
    assert sum(added) == len(files), (out1, out2)
    assert temp_files(load_workspace(root).feedback_dir / "store") == []
