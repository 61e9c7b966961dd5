"""The real packaged Whisper base model on Vietnamese speech synthesised with espeak-ng at test
time: transcripts, silence, noise, bad files in a batch, dedupe, both backends agreeing.

The model is joined into a fresh cache folder and loaded once for this module."""

from __future__ import annotations

import hashlib
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
from rapidfuzz.distance import Levenshtein

from broadcast.core import db
from broadcast.feedback import audio, queue
from broadcast.transcription.guard import normalise
from broadcast.transcription.whisper import PACKAGED_SHA256, packaged_model_dir, resolve_model
from broadcast.transcription.models import ModelError
from broadcast.transcription.transcribe import TranscribeOptions, load_backend, transcribe_file

from conftest import read_wav, speak, write_wav

pytestmark = pytest.mark.slow

CLIPS = {
    "mat-dien": ("Nhà tôi bị mất điện từ hôm qua.", ["nhà tôi", "hôm qua"]),
    "tiem-chung": ("Xin chào. Tôi muốn hỏi về lịch tiêm chủng cho trẻ em.", ["xin chào"]),
}
# Whisper base hears espeak-ng's robotic Vietnamese only roughly: a loose bound, plus key words.
MAX_CER = 0.5


def cer(reference: str, hypothesis: str) -> float:
    ref = normalise(reference)
    return Levenshtein.distance(ref, normalise(hypothesis)) / max(1, len(ref))




@pytest.fixture(scope="module")
def model_cache(tmp_path_factory):
    mp = pytest.MonkeyPatch()
    cache = tmp_path_factory.mktemp("model-cache")
    mp.setenv("BROADCAST_MODEL_CACHE", str(cache))
    load_backend.cache_clear()
    yield cache
    load_backend.cache_clear()
    mp.undo()


@pytest.fixture(scope="module")
def fw(model_cache):
    # Same arguments as the CLI passes, so the CLI tests below reuse this loaded model.
    return load_backend("faster-whisper", None, None)


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> dict[str, Path]:
    folder = tmp_path_factory.mktemp("clips")
    out = {}
    for name, (text, _) in CLIPS.items():
        out[name] = speak(folder / f"{name}.wav", text)
    return out


def test_packaged_model_is_joined_once_and_verified(model_cache):
    folder = packaged_model_dir()
    assert folder.parent == model_cache and folder.name == f"whisper-base-{PACKAGED_SHA256[:12]}"
    digest = hashlib.sha256((folder / "model.bin").read_bytes()).hexdigest()
    assert digest == PACKAGED_SHA256
    assert {p.name for p in folder.iterdir()} >= {"model.bin", "config.json", "tokenizer.json", "vocabulary.txt"}
    stamp = (folder / "model.bin").stat().st_mtime_ns
    assert packaged_model_dir() == folder and (folder / "model.bin").stat().st_mtime_ns == stamp
    assert not [p for p in model_cache.iterdir() if p.name.startswith(".")]  # no temp folders left


def test_unknown_model_name_fails_fast_offline(model_cache, monkeypatch, tmp_path):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    started = time.monotonic()
    with pytest.raises(ModelError, match="not on this machine"):
        resolve_model("tiny")
    assert time.monotonic() - started < 10
    with pytest.raises(ModelError, match="no such model folder"):
        resolve_model("./no/such/folder")


def test_transcribes_vietnamese_speech(fw, clips):
    for name, path in clips.items():
        text, keywords = CLIPS[name]
        t = transcribe_file(path, fw)
        assert t.language == "vi" and t.backend == "faster-whisper"
        assert cer(text, t.text) < MAX_CER, t.text
        for word in keywords:
            assert word in normalise(t.text), t.text
        s = t.kept[0]
        assert 0 <= s.start < s.end <= t.duration + 0.5 and s.avg_logprob < 0 and 0 <= s.no_speech_prob <= 1


def test_silence_and_noise_give_an_empty_transcript(fw, tmp_path):
    rng = np.random.default_rng(7)
    silence = write_wav(tmp_path / "silence.wav", np.zeros(16000 * 8), 16000)
    hiss = write_wav(tmp_path / "hiss.wav", rng.standard_normal(16000 * 8) * 0.01, 16000)
    for path in (silence, hiss):
        t = transcribe_file(path, fw)
        assert t.text == "" and not t.kept, t.segments


def test_noise_padded_speech_gives_the_speech_only(fw, clips, tmp_path):
    speech, rate = read_wav(clips["mat-dien"])
    rng = np.random.default_rng(3)
    pad = rng.standard_normal(rate * 4) * 0.01
    padded = write_wav(tmp_path / "padded.wav", np.concatenate([pad, speech, pad]), rate)
    t = transcribe_file(padded, fw)
    text, _ = CLIPS["mat-dien"]
    assert cer(text, t.text) < MAX_CER, t.text
    assert "hôm qua" in normalise(t.text), t.text
    assert len(t.kept) == 1, t.segments  # nothing invented in the noise before or after
    assert t.kept[0].start >= 3.0 and t.kept[-1].end <= 4 + speech.size / rate + 1.0


def test_long_recording_in_blocks_with_progress(fw, clips, tmp_path):
    speech, rate = read_wav(clips["mat-dien"])
    gap = np.zeros(rate * 9)
    long = write_wav(tmp_path / "long.wav", np.concatenate([speech, gap, speech, gap]), rate)
    seen: list[float] = []
    t = transcribe_file(long, fw, TranscribeOptions(block_seconds=10), on_progress=lambda done, total: seen.append(done))
    assert seen == sorted(seen) and seen[-1] == pytest.approx(t.duration, abs=0.1)
    assert normalise(t.text).count("hôm qua") == 2, t.text
    assert t.kept[-1].start > 9.0


def test_cli_batch_reports_bad_files_and_dedupes(ws, model_cache, fw, clips):
    inbox = ws.root / "inbox"
    inbox.mkdir()
    good = inbox / "mat-dien.wav"
    good.write_bytes(clips["mat-dien"].read_bytes())
    m4a = inbox / "tiem-chung.m4a"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-i", str(clips["tiem-chung"]), "-c:a", "aac", str(m4a)], check=True)
    (inbox / "empty.ogg").write_bytes(b"")
    (inbox / "garbage.mp3").write_bytes(np.random.default_rng(0).bytes(3000))
    (inbox / "cut.wav").write_bytes(good.read_bytes()[:20000])
    (inbox / "letter.wav").write_text("Kính gửi UBND xã", encoding="utf-8")

    r = ws.run("transcribe", str(inbox), "--area", "men", "--announcement", "tiem-chung")
    assert r.exit_code == 1, r.output
    for name, why in [("empty.ogg", "empty file"), ("garbage.mp3", "not an audio file"),
                      ("cut.wav", "truncated"), ("letter.wav", "not an audio file")]:
        assert any(name in line and why in line for line in r.output.splitlines()), (name, r.output)
    assert "2 added, 0 already queued, 4 failed" in r.output

    w = ws.load()
    conn = db.connect(w.db_path)
    items = queue.list_items(conn).items
    assert sorted(i.source_name for i in items) == ["mat-dien.wav", "tiem-chung.m4a"]
    for it in items:
        assert (w.feedback_dir / it.stored_path).read_bytes() == (inbox / it.source_name).read_bytes()
        assert it.area == "men" and it.announcement_id == "tiem-chung" and it.status == "new"
        assert it.sha256 == audio.sha256_file(inbox / it.source_name) and it.duration > 2
    assert "hôm qua" in normalise(next(i for i in items if i.source_name == "mat-dien.wav").transcript)

    again = ws.run("transcribe", str(inbox))
    assert again.exit_code == 1 and "0 added, 2 already queued, 4 failed" in again.output
    ok = ws.run("transcribe", str(good))
    assert ok.exit_code == 0 and "already queued as #" in ok.output
    assert queue.list_items(conn).total == 2

    bad = ws.run("transcribe", str(good), "--area", "nowhere")
    assert bad.exit_code == 2 and "unknown area" in bad.output
    bad = ws.run("transcribe", str(good), "--language", "xx")
    assert bad.exit_code == 1 and "cannot transcribe language" in bad.output


def test_cli_device_auto_is_the_cpu_here_and_cuda_without_a_gpu_is_one_clear_line(ws, model_cache, fw, clips):
    from broadcast.transcription.transcribe import cuda_available, resolve_device

    if cuda_available() or cuda_available("openai-whisper"):
        pytest.skip("this machine has a CUDA GPU")
    assert resolve_device("auto") == "cpu" and resolve_device("auto", "openai-whisper") == "cpu"
    assert fw.device == "cpu" and fw.compute_type == "int8"

    r = ws.run("transcribe", str(clips["mat-dien"]), "--device", "cuda")
    assert r.exit_code == 1, r.output
    lines = [ln for ln in r.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "--device cuda" in lines[0] \
        and "no CUDA GPU" in lines[0], r.output
    assert "Traceback" not in r.output
    assert queue.list_items(db.connect(ws.load().db_path)).total == 0      # stopped before any work

    ok = ws.run("transcribe", str(clips["mat-dien"]), "--device", "auto")
    assert ok.exit_code == 0, ok.output
    (item,) = queue.list_items(db.connect(ws.load().db_path)).items
    assert item.model.endswith("[int8]")


def test_conversion_is_exact(model_cache):
    import ctranslate2
    import torch
    from faster_whisper.feature_extractor import FeatureExtractor

    m = resolve_model()
    # The openai-whisper backend's model: load_openai_whisper(m.path, <cache>/converted, m.sha256),
    # loaded once for this test and test_both_backends_agree.
    backend = load_backend("openai-whisper", None, None)
    assert backend.model_info.path == m.path and list((model_cache / "converted").glob("openai-whisper-*.pt"))
    openai_model = backend.model
    features = FeatureExtractor(feature_size=80)(np.random.default_rng(0).standard_normal(16000 * 3).astype(np.float32) * 0.1)
    features = np.pad(features, ((0, 0), (0, 3000 - features.shape[1])))[None].astype(np.float32)
    ct2 = ctranslate2.models.Whisper(str(m.path), device="cpu", compute_type="float32")
    ours = np.array(ct2.encode(ctranslate2.StorageView.from_array(features)))
    with torch.no_grad():
        theirs = openai_model.encoder(torch.from_numpy(features)).numpy()
    # Same weights, two float32 implementations: differences are rounding only.
    assert np.abs(ours - theirs).max() < 1e-2 * np.abs(theirs).max()


def test_both_backends_agree(model_cache, fw, clips):
    ow = load_backend("openai-whisper", None, None)
    fw32 = load_backend("faster-whisper", None, "float32")
    text, keywords = CLIPS["mat-dien"]
    a = transcribe_file(clips["mat-dien"], ow)
    b = transcribe_file(clips["mat-dien"], fw32)
    c = transcribe_file(clips["mat-dien"], fw)
    assert a.backend == "openai-whisper" and "float32" in a.model
    # Same weights at the same precision: the same words.
    assert normalise(a.text) == normalise(b.text), (a.text, b.text)
    # int8 quantisation moves a letter or two at most.
    assert cer(a.text, c.text) < 0.15, (a.text, c.text)
    assert all(k in normalise(a.text) for k in keywords)
