"""The speech side of `broadcast check`: the first reading of a file cut out, transcribed in the
rendition's language, and judged against the approved text (CER, WER, numbers, speech rate)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from broadcast.check.compare import judge_reading
from broadcast.check.models import FileCheck
from broadcast.check.signal import pieces, sound_span
from broadcast.check.spoken import spoken_text
from broadcast.check.thresholds import Thresholds
from broadcast.core.languages import WHISPER_LANGUAGES
from broadcast.media.decode import RECOGNITION_RATE
from broadcast.media.filters import resample
from broadcast.transcription.transcribe import TranscribeOptions, transcribe_audio

# Whisper language codes where ours differ.
WHISPER_CODE = {"cmn": "zh"}


def whisper_language(lang: str) -> str | None:
    """The Whisper code for a rendition's language, or None where Whisper does not cover it."""
    if lang not in WHISPER_LANGUAGES and lang not in WHISPER_CODE:
        return None
    code = WHISPER_CODE.get(lang, lang)
    try:
        from faster_whisper.tokenizer import _LANGUAGE_CODES
    except ImportError:  # pragma: no cover - faster-whisper is a dependency
        return code
    return code if code in _LANGUAGE_CODES else None


READING_PAD_SECONDS = 0.5
# A reading heard again is cut into pieces this long at most, at pauses of this length.
PIECE_SECONDS = 12.0
PIECE_PAUSE_SECONDS = 0.25
# Decoding at temperature 0 only: Whisper's fallback to hotter temperatures samples at random
# (CTranslate2's generator is per thread and cannot be reseeded per call), and on espeak-ng speech
# it is taken often: the same file gave CER 0.39–0.45 from run to run, and a Ray actor could never
# agree with a local run. Beam search at temperature 0 gives the same transcript every time.
CHECK_TEMPERATURES = (0.0,)


def speech_options(code: str) -> TranscribeOptions:
    """How check has Whisper decode a first reading in language `code`."""
    # A loop at temperature 0 ("5,000,000,000,…") is decoded again with a repetition penalty:
    # seen on a correct reading of a date and a phone number, which otherwise failed at CER 9.7.
    return TranscribeOptions(language=code, temperatures=CHECK_TEMPERATURES, loop_retry_penalty=1.2)


def piece_options(code: str) -> TranscribeOptions:
    """How a piece of a reading heard again is decoded: as a first reading, without VAD (the
    piece is cut at pauses and padded already; VAD's re-joined chunks are what Whisper base
    sometimes hears nothing in: seen on a correct 9-second reading with one OpenMP thread)."""
    return replace(speech_options(code), vad=False)


def reading_pieces(audio: np.ndarray) -> list[np.ndarray]:
    """A first reading (speech_input's) cut at its pauses into pieces of at most PIECE_SECONDS,
    each padded as the whole was."""
    pad = np.zeros(int(READING_PAD_SECONDS * RECOGNITION_RATE), dtype=np.float32)
    return [np.concatenate((pad, audio[a:b], pad))
            for a, b in pieces(audio, RECOGNITION_RATE, PIECE_SECONDS, PIECE_PAUSE_SECONDS)]


def check_speech(result: FileCheck, samples: np.ndarray, rate: int, first: list[float], text: str,
                 lang: str, code: str, backend, th: Thresholds) -> None:
    """The speech checks of one file, transcribed here with `backend`."""
    audio = speech_input(result, samples, rate, first, text, lang, th)
    if audio is None:
        return
    segments, _lang = transcribe_audio(audio, backend, speech_options(code))

    def again() -> list:
        return [s for piece in reading_pieces(audio)
                for s in transcribe_audio(piece, backend, piece_options(code))[0]]

    judge_speech(result, segments, text, lang, th, again)


def speech_input(result: FileCheck, samples: np.ndarray, rate: int, first: list[float], text: str,
                  lang: str, th: Thresholds) -> np.ndarray | None:
    """Everything before the transcription: the reference, the speech rate, and the first
    reading cut out, at 16 kHz and padded (None: no sound there, already judged)."""
    start, end = (max(0, int(round(x * rate))) for x in first)
    cut = samples[start:min(end, len(samples))]
    spoken = spoken_text(text, lang)
    words = spoken.words
    result.reference = spoken.reference
    result.syllables = len(words)
    span = sound_span(cut, rate) if cut.size else None
    if span is None:
        result.add("speech", "fail", "no sound where the first reading should be")
        result.cer, result.wer, result.coverage, result.heard = 1.0, 1.0, 0.0, 0.0
        result.missing_numbers = [n.written for n in spoken.numbers]
        return None
    result.speech_seconds = round(span[1] - span[0], 2)
    rate_sps = len(words) / max(0.1, span[1] - span[0])
    result.speech_rate = round(rate_sps, 2)
    if not th.rate_fail_min <= rate_sps <= th.rate_fail_max:
        result.add("rate", "fail", f"{rate_sps:.1f} syllables/s: not a reading of this text at a sane pace")
    elif not th.rate_min <= rate_sps <= th.rate_max:
        result.add("rate", "review", f"{rate_sps:.1f} syllables/s, outside the comfortable "
                   f"{th.rate_min:g}–{th.rate_max:g} for outdoor horns")

    audio = resample(cut, rate, RECOGNITION_RATE)
    # Whisper often returns nothing for audio that starts exactly at the first syllable (it
    # predicts end-of-text at once); half a second of silence each side, as in the real file's
    # pauses, gives it the onset it expects. Measured: an empty transcript became a full one.
    pad = np.zeros(int(READING_PAD_SECONDS * RECOGNITION_RATE), dtype=np.float32)
    return np.concatenate((pad, audio.astype(np.float32, copy=False), pad))


def judge_speech(result: FileCheck, segments, text: str, lang: str, th: Thresholds,
                 again: Callable[[], list] | None = None) -> None:
    """The transcript of the first reading against the approved text (compare.judge_reading).
    A transcript that covers less than `coverage_min` of the text is heard once more, in pieces
    cut at the pauses (`again`: their segments, in order), and the better hearing is judged:
    Whisper base decodes 30-second windows and sometimes stops early in one, or hears nothing
    at all, which must not pass for speech that is not there."""
    verdict = judge_reading(text, lang, segments, th)
    if again is not None and verdict.coverage < th.coverage_min:
        second = judge_reading(text, lang, again(), th)
        if (second.coverage, second.heard) > (verdict.coverage, verdict.heard):
            result.note = (f"heard again in pieces cut at its pauses: the whole reading's transcript "
                           f"covered {verdict.coverage:.0%} of the text")
            verdict = second
    result.transcribed = True
    result.transcript = verdict.transcript
    result.cer, result.wer, result.coverage, result.heard = verdict.cer, verdict.wer, verdict.coverage, verdict.heard
    result.numbers = [{"written": n.written, "spoken": n.spoken, "heard": n.heard, "heard_as": n.heard_as,
                       "found": n.found} for n in verdict.numbers]
    result.missing_numbers = [n.written for n in verdict.missing_numbers]
    result.missing_sentences = [s.text for s in verdict.missing_sentences]
    for issue in verdict.issues:
        result.add(issue.check, issue.level, issue.message)
