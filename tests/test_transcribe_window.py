"""The fitted encoder window: `broadcast transcribe` encodes a short recording as its speech plus
FEEDBACK_ENCODER_MARGIN seconds instead of Whisper's padded 30 s window; `--full-window` and
`check`'s options keep the full window. Real packaged model, espeak-ng clips made here."""

from __future__ import annotations

import pytest
from faster_whisper import WhisperModel

from broadcast.check.hearing import speech_options
from broadcast.core import db
from broadcast.feedback import queue
from broadcast.transcription.transcribe import (FEEDBACK_ENCODER_MARGIN, WINDOW_FRAMES, TranscribeOptions,
                                                encoder_frames, load_backend, transcribe_file)

from conftest import speak

pytestmark = pytest.mark.slow

RATE = 16000
TEXT = "Nhà tôi bị mất điện từ hôm qua, xin xã cho người đến sửa."


def test_encoder_frames_fit_the_speech_in_whole_seconds():
    fitted = TranscribeOptions(language="vi", encoder_margin=5.0)
    assert encoder_frames(int(4.2 * RATE), fitted) == 1000          # ceil(4.2 + 5) s of 10 ms frames
    assert encoder_frames(RATE * 3, fitted) == 800
    assert encoder_frames(0, fitted) == 500
    assert encoder_frames(RATE * 25, fitted) is None                 # 30 s: no shorter than the window
    assert encoder_frames(RATE * 60, fitted) is None
    assert encoder_frames(RATE * 3, TranscribeOptions(language="vi")) is None          # no margin: full
    assert encoder_frames(RATE * 3, TranscribeOptions(language=None, encoder_margin=5.0)) is None  # detection
    assert speech_options("vi").encoder_margin is None               # check's calibration: full window


@pytest.fixture
def encoded(monkeypatch) -> list[int]:
    """Frames of every batch the encoder was really given (below our trimming subclass)."""
    seen: list[int] = []
    original = WhisperModel.encode

    def spy(self, features):
        seen.append(features.shape[-1])
        return original(self, features)

    monkeypatch.setattr(WhisperModel, "encode", spy)
    return seen


def test_fitted_window_encodes_fewer_frames_and_hears_the_same(tmp_path, encoded):
    clip = speak(tmp_path / "goi.wav", TEXT)
    backend = load_backend("faster-whisper", None, None, 1, "cpu")
    full = transcribe_file(clip, backend, TranscribeOptions(language="vi"))
    assert encoded and set(encoded) == {WINDOW_FRAMES}
    encoded.clear()
    fitted = transcribe_file(clip, backend, TranscribeOptions(language="vi", encoder_margin=FEEDBACK_ENCODER_MARGIN))
    assert encoded and max(encoded) < WINDOW_FRAMES
    assert max(encoded) <= (fitted.duration + FEEDBACK_ENCODER_MARGIN + 1) * 100
    assert backend.model.encode_frames is None                       # reset after the call
    words = set(full.text.lower().split())
    assert fitted.text and len(words & set(fitted.text.lower().split())) >= len(words) // 2, (full.text, fitted.text)


def test_transcribe_command_fits_by_default_and_full_window_keeps_30_s(ws, encoded):
    clip = speak(ws.root / "feedback" / "goi.wav", TEXT)
    r = ws.run("transcribe", str(clip), "--jobs", "1")
    assert r.exit_code == 0, r.output
    assert encoded and max(encoded) < WINDOW_FRAMES
    encoded.clear()
    other = ws.root / "feedback" / "goi-lai.wav"
    speak(other, TEXT + " Cảm ơn.")
    r = ws.run("transcribe", str(other), "--jobs", "1", "--full-window")
    assert r.exit_code == 0, r.output
    assert encoded and set(encoded) == {WINDOW_FRAMES}
    items = {it.source_name: it for it in queue.iter_all(db.connect(ws.load().db_path))}
    assert items["goi.wav"].transcript and items["goi-lai.wav"].transcript
    # transcribe admits what it queued as cases: each has its due date before anyone looks
    assert items["goi.wav"].due_date and items["goi-lai.wav"].due_date
