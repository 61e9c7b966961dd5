"""The speech side of `broadcast check`: the first reading of a file cut out, transcribed in the
rendition's language, and judged against the approved text (CER, WER, numbers, speech rate)."""

from __future__ import annotations

import numpy as np

from broadcast.check.compare import compare_form, error_rates, heard_text, number_found, number_mentions, tokens
from broadcast.check.models import FileCheck
from broadcast.check.signal import sound_span
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


def check_speech(result: FileCheck, samples: np.ndarray, rate: int, first: list[float], text: str,
                  lang: str, code: str, backend, th: Thresholds) -> None:
    """The speech checks of one file, transcribed here with `backend`."""
    audio = speech_input(result, samples, rate, first, text, lang, th)
    if audio is not None:
        segments, _lang = transcribe_audio(audio, backend, speech_options(code))
        judge_speech(result, segments, text, lang, th)


def speech_input(result: FileCheck, samples: np.ndarray, rate: int, first: list[float], text: str,
                  lang: str, th: Thresholds) -> np.ndarray | None:
    """Everything before the transcription: the reference, the speech rate, and the first
    reading cut out, at 16 kHz and padded (None: no sound there, already judged)."""
    start, end = (max(0, int(round(x * rate))) for x in first)
    cut = samples[start:min(end, len(samples))]
    reference = compare_form(text, lang)
    words = tokens(reference)
    result.reference = reference
    result.syllables = len(words)
    span = sound_span(cut, rate) if cut.size else None
    if span is None:
        result.add("speech", "fail", "no sound where the first reading should be")
        result.cer, result.wer = 1.0, 1.0
        result.missing_numbers = [n.written for n in number_mentions(text, lang)]
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


def judge_speech(result: FileCheck, segments, text: str, lang: str, th: Thresholds) -> None:
    """The transcript of the first reading against the approved text: CER, WER, numbers."""
    reference = result.reference
    raw = heard_text(segments)
    hypothesis = compare_form(raw, lang)
    result.transcribed = True
    result.transcript = raw
    cer, wer = error_rates(reference, hypothesis)
    result.cer, result.wer = round(cer, 3), round(wer, 3)
    for name, value, ok, review in (("cer", cer, th.cer_ok, th.cer_review), ("wer", wer, th.wer_ok, th.wer_review)):
        if value > review:
            result.add(name, "fail", f"{name.upper()} {value:.0%} (fail above {review:.0%}): the speech "
                       f"does not say the approved text")
        elif value > ok:
            result.add(name, "review", f"{name.upper()} {value:.0%} (ok up to {ok:.0%}): listen to it")
    for mention in number_mentions(text, lang):
        found = number_found(mention, hypothesis, raw, th.number_similarity)
        result.numbers.append({"written": mention.written, "spoken": mention.spoken, "found": found})
        if not found:
            result.missing_numbers.append(mention.written)
            result.add("number", th.missing_number,
                       f"\u201c{mention.written}\u201d (said \u201c{mention.spoken}\u201d) is not in the transcript")
