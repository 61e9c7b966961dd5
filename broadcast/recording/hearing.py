"""A cleaned take → what Whisper heard, for the languages it covers.

The take is cut at its pauses into pieces of at most PIECE_SECONDS and each piece is decoded on
its own (language forced, VAD, temperature 0, a loop decoded again with a repetition penalty:
`broadcast check`'s settings). Whisper base decodes 30-second windows; on a long window it
sometimes stops early or loops ("yô yô yô …") and drops the rest of the window, which would
make a correct reading look as if whole sentences were skipped. Pieces cut at pauses keep such
a failure to one piece, and a reader's pauses fall between sentences."""

from __future__ import annotations

import numpy as np

from broadcast.check.compare import heard_text
from broadcast.check.hearing import READING_PAD_SECONDS, speech_options, whisper_language
from broadcast.media.decode import RECOGNITION_RATE
from broadcast.media.filters import resample
from broadcast.recording.cleanup import frame_db, trim_threshold
from broadcast.transcription.transcribe import transcribe_audio

PIECE_SECONDS = 12.0
PAUSE_SECONDS = 0.25      # this much below the take's silence threshold is a pause to cut at
FRAME_S = 0.02


def pieces(audio: np.ndarray, rate: int = RECOGNITION_RATE) -> list[tuple[int, int]]:
    """Sample ranges covering `audio`, each at most PIECE_SECONDS, cut in the middle of pauses
    (the quietest frame where a stretch has none)."""
    levels = frame_db(audio, rate)
    frame = int(FRAME_S * rate)
    quiet = levels < trim_threshold(audio, rate)
    need = int(PAUSE_SECONDS / FRAME_S)
    cuts_at: list[int] = []          # frame index of each pause's middle
    k = 0
    while k < len(quiet):
        if quiet[k]:
            j = k
            while j < len(quiet) and quiet[j]:
                j += 1
            if j - k >= need and k > 0 and j < len(quiet):
                cuts_at.append((k + j) // 2)
            k = j
        else:
            k += 1
    longest = int(PIECE_SECONDS / FRAME_S)
    out: list[tuple[int, int]] = []
    start = 0
    total = len(levels)
    while total - start > longest:
        inside = [c for c in cuts_at if start < c <= start + longest]
        if inside:
            cut = inside[-1]
        else:  # no pause: the quietest frame of the last third of the stretch
            lo = start + longest * 2 // 3
            cut = lo + int(np.argmin(levels[lo:start + longest]))
        out.append((start * frame, cut * frame))
        start = cut
    out.append((start * frame, len(audio)))
    return [(a, b) for a, b in out if b > a]


def hear(samples: np.ndarray, rate: int, lang: str, backend) -> tuple[str, list]:
    """(transcript, segments) of a cleaned take in `lang` (a Whisper language: see
    broadcast.check.hearing.whisper_language)."""
    code = whisper_language(lang)
    if code is None:
        raise ValueError(f"Whisper does not cover {lang}")
    audio = resample(samples, rate, RECOGNITION_RATE)
    pad = np.zeros(int(READING_PAD_SECONDS * RECOGNITION_RATE), dtype=np.float32)
    texts: list[str] = []
    segments: list = []
    for a, b in pieces(audio):
        got, _lang = transcribe_audio(np.concatenate((pad, audio[a:b], pad)), backend, speech_options(code),
                                      offset=a / RECOGNITION_RATE - READING_PAD_SECONDS)
        segments += got
        text = heard_text(got)
        if text:
            texts.append(text)
    return " ".join(texts), segments
