"""Decoding feedback audio, typed errors for each kind of bad file, the store, and the
hallucination guard (no model needed)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np
import pytest

from conftest import write_tone

from broadcast.feedback import audio
from broadcast.feedback.models import AudioError, Segment
from broadcast.media import decode as media
from broadcast.transcription.guard import apply_guard, collapse_loops, known_phrase, transcript_text
from broadcast.transcription.transcribe import _cut_blocks


RATE = 22050   # recordings here are not at the recogniser's rate


def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", *args], check=True)


def test_decodes_to_16k_mono_float32(tmp_path):
    wav = write_tone(tmp_path / "a.wav", 2.0, rate=RATE)
    m4a = tmp_path / "a.m4a"
    ffmpeg("-i", str(wav), "-ac", "2", "-c:a", "aac", "-b:a", "48k", str(m4a))
    for path in (wav, m4a):
        data = np.concatenate(list(media.iter_blocks(path)))
        assert data.dtype == np.float32
        assert abs(data.size / media.RECOGNITION_RATE - 2.0) < 0.1
        assert 0.15 < float(np.sqrt(np.mean(data ** 2))) < 0.3
    assert media.probe(m4a).codec == "aac"


def test_blocks_are_bounded_and_cut_at_quiet_points(tmp_path):
    wav = write_tone(tmp_path / "long.wav", 25.0, rate=16000)
    blocks = list(media.iter_blocks(wav, block_seconds=10))
    assert [b.size for b in blocks] == [160000, 160000, 80000]
    rng = np.random.default_rng(1)
    speechy = (rng.standard_normal(16000 * 30) * 0.2).astype(np.float32)
    speechy[16000 * 8:16000 * 8 + 1600] = 0  # a pause at 8.0–8.1 s, inside the search window of block 1
    pieces = list(_cut_blocks(iter([speechy[:160000], speechy[160000:320000], speechy[320000:]])))
    assert abs(pieces[1][0] - 8.05) < 0.06  # the first cut lands in the pause
    assert sum(p.size for _, p in pieces) == speechy.size


@pytest.fixture
def bad_files(tmp_path) -> dict[str, tuple[Path, str]]:
    good = write_tone(tmp_path / "good.wav", 3.0, rate=RATE)
    m4a = tmp_path / "good.m4a"
    ffmpeg("-i", str(good), "-c:a", "aac", str(m4a))
    files = {}
    (tmp_path / "empty.m4a").write_bytes(b"")
    files["empty"] = (tmp_path / "empty.m4a", "empty file")
    (tmp_path / "garbage.mp3").write_bytes(np.random.default_rng(0).bytes(4000))
    files["garbage"] = (tmp_path / "garbage.mp3", "not an audio file ffmpeg can read")
    (tmp_path / "cut.wav").write_bytes(good.read_bytes()[:30000])
    files["truncated wav"] = (tmp_path / "cut.wav", "truncated")
    (tmp_path / "cut.m4a").write_bytes(m4a.read_bytes()[: m4a.stat().st_size // 2])
    files["truncated m4a"] = (tmp_path / "cut.m4a", "truncated")
    (tmp_path / "notes.txt").write_text("Biên bản họp thôn\n", encoding="utf-8")
    files["text"] = (tmp_path / "notes.txt", "not an audio file")
    png = tmp_path / "photo.png"
    ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x32:rate=1", "-frames:v", "1", str(png))
    files["image"] = (png, "no audio stream")
    return files


@pytest.mark.parametrize("kind", ["empty", "garbage", "truncated wav", "truncated m4a", "text", "image"])
def test_each_bad_file_gets_its_error(bad_files, kind):
    path, message = bad_files[kind]
    with pytest.raises(AudioError) as info:
        list(media.iter_blocks(path))
    assert message in str(info.value) and path.name in str(info.value)
    assert "\n" not in str(info.value)


def test_collect_files_walks_folders(tmp_path):
    (tmp_path / "in" / "sub").mkdir(parents=True)
    write_tone(tmp_path / "in" / "b.wav", 2.0, rate=RATE)
    write_tone(tmp_path / "in" / "sub" / "a.WAV", 2.0, rate=RATE)
    (tmp_path / "in" / "readme.txt").write_text("x")
    (tmp_path / "in" / ".hidden.wav").write_bytes(b"")
    files, missing = audio.collect_files([tmp_path / "in", tmp_path / "in" / "b.wav", tmp_path / "nope.wav"])
    assert [f.name for f in files] == ["b.wav", "a.WAV"]
    assert len(missing) == 1 and "no such file" in str(missing[0])


def test_store_is_atomic_and_idempotent(tmp_path):
    src = write_tone(tmp_path / "voice.WAV", 2.0, rate=RATE)
    sha = audio.sha256_file(src)
    stored = audio.store_original(src, tmp_path / "store", sha)
    assert stored.name == f"{sha}.wav" and stored.read_bytes() == src.read_bytes()
    assert audio.store_original(src, tmp_path / "store", sha) == stored
    assert [p.name for p in (tmp_path / "store").iterdir()] == [stored.name]  # no temp files left


def seg(text: str, logprob: float = -0.3, nospeech: float = 0.05, cr: float = 1.2) -> Segment:
    return Segment(0.0, 1.0, text, logprob, nospeech, cr)


def test_guard_drops_hallucinations_and_keeps_speech():
    segments = apply_guard([
        seg("Đường vào bản bị sạt lở."),
        seg("Hãy subscribe cho kênh Ghiền Mì Gõ để không bỏ lỡ những video hấp dẫn"),
        seg("Cảm ơn các bạn đã theo dõi!"),
        seg("Ừ ừ", logprob=-1.2, nospeech=0.8),
        seg("...", ),
        seg("Xin cảm ơn ủy ban xã."),
    ])
    kept = [s.text for s in segments if s.dropped is None]
    assert kept == ["Đường vào bản bị sạt lở.", "Xin cảm ơn ủy ban xã."]
    assert "known hallucination" in segments[1].dropped and "no speech" in segments[3].dropped
    assert transcript_text(segments) == "Đường vào bản bị sạt lở. Xin cảm ơn ủy ban xã."


def test_guard_loops():
    text, looped = collapse_loops("nước ngập nước ngập nước ngập nước ngập nước ngập rồi")
    assert looped and text == "nước ngập rồi"
    assert collapse_loops("một hai ba")[1] is False
    same = apply_guard([seg("Alo alo."), seg("Alo alo."), seg("Alo alo."), seg("Alo alo.")])
    assert [s.dropped is None for s in same] == [True, True, False, False]
    assert known_phrase("Nhà tôi cảm ơn các bạn đã theo dõi việc sửa đường rất nhiều lần trong năm qua") is None
