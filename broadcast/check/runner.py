"""`broadcast check`: does the produced audio say what was approved?

For every loudspeaker file of a date (one analysis per distinct file content: the same master is
copied under several names), decode the file itself — exactly what will be played — and:
  signal    leading/trailing silence of the whole file, clipping, total duration against what
            the manifest's first reading and the announcement's readings imply;
  speech    cut out the first reading (the manifest's offsets; ident, tones and repeats left
            out), transcribe it with the feedback backend (language forced, VAD on), normalise
            both sides the same way (speech normalisation, lower case, no punctuation), then
            CER, WER, every number/date/time/phone number of the approved text that the
            transcript lacks, and the speech rate (syllables a second).
Languages Whisper does not cover (hmn, blt, …) get the signal checks only, and the result says so.
Each file gets a flag, ok / review / fail, the worst of its checks; `check.json` beside the
manifest keeps every figure. Thresholds come from `[check]` in broadcast.toml; the defaults were
measured on the embedded voice (espeak-ng vi, rate 140) with the packaged Whisper base model
(see README, "Checking produced speech")."""

from __future__ import annotations

import contextlib
import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime, timezone
from pathlib import Path

import numpy as np

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_bytes, sha256_file
from broadcast.core.languages import SOURCE_LANGUAGE, WHISPER_LANGUAGES, language_name
from broadcast.media.levels import CLIP_LEVEL, SILENCE_DBFS
from broadcast.produce.checkmarks import CHECK_FORMAT, CHECK_NAME, FLAGS, RUNDOWN_STATUS, rundown_statuses
from broadcast.produce.manifest import ManifestError
from broadcast.produce.manifest import read_manifest as _read_manifest

CHECKED_PROFILE = "loudspeaker"

# Signal analysis: 20 ms frames; a frame quieter than this (RMS) is silence. Mastered speech sits
# around -14 LUFS, its pauses far below -50 dBFS.
FRAME_SECONDS = 0.02
WHISPER_RATE = 16000
# Whisper language codes where ours differ.
WHISPER_CODE = {"cmn": "zh"}

_HAN = re.compile(r"[\u3400-\u9fff]")
# A number as written: digits with inner separators (15/12/2026, 38,5, 7:30, 7h30, 50.000), and
# phone numbers written in spaced groups (0212 3845 123).
_WRITTEN_NUMBER = re.compile(r"(?<![\w])\+?\d+(?:(?:[.,:/-]|[hHg])\d+)*(?:[ .]\d{3,4}(?![.,]?\d))*")
_CONTEXT_WORDS = 3


class CheckError(BroadcastError):
    """A date that cannot be checked (no manifest, bad [check] settings)."""


# ---------------------------------------------------------------- thresholds


@dataclass(frozen=True)
class Thresholds:
    """Limits for one file; `[check]` in broadcast.toml overrides any of them by name.
    Error rates are fractions of the approved text (0.10 = 10 %)."""

    cer_ok: float = 0.55
    """Character error rate up to this is ok. Whisper base on espeak-ng vi is a weak listener:
    0.28–0.41 on correct readings of the example announcements, up to 0.50 on one-sentence texts;
    0.67 and more on another announcement's audio (README, "Checking produced speech")."""
    cer_review: float = 0.65
    """Above cer_ok and up to this: review; above: fail."""
    wer_ok: float = 1.0
    """Word (syllable) error rate up to this is ok. Reported, but nearly useless with this model
    (0.60–0.96 on correct readings: most tones misheard); it only flags a transcript much longer
    than the text."""
    wer_review: float = 1.2
    """Above wer_ok and up to this: review; above: fail."""
    number_similarity: float = 0.75
    """How alike (0–1, toneless) a stretch of the transcript must be to a number's spoken form of
    three syllables or more to count as that number; shorter forms must appear as words."""
    missing_number: str = "review"
    """Flag for a number, date, time or phone number of the text that the transcript lacks
    ("review" or "fail"). Review by default: the base model mishears some numbers of correct
    readings (about one in six in the calibration), so a miss asks for a listen."""
    rate_min: float = 2.0
    """Comfortable speech rate for outdoor horns, syllables a second (pauses included)."""
    rate_max: float = 4.5
    rate_fail_min: float = 1.0
    """Outside these the reading cannot be the text at a sane pace: fail."""
    rate_fail_max: float = 7.0
    max_leading_silence: float = 1.0
    """Seconds of silence before the first sound of the file (review above)."""
    max_trailing_silence: float = 2.0
    """Seconds of silence after the last sound of the file (review above)."""
    max_clipped_share: float = 0.0001
    """Share of samples at full scale (|x| ≥ 0.999) allowed before review."""
    duration_tolerance: float = 1.0
    """Seconds the file may differ from its expected length (plus duration_tolerance_share)."""
    duration_tolerance_share: float = 0.05
    """… plus this share of the expected length; beyond both: fail (truncated or wrong file)."""

    @classmethod
    def from_config(cls, section: dict, source: Path | None = None) -> Thresholds:
        known = {f.name: f for f in fields(cls)}
        values: dict = {}
        for key, value in section.items():
            if key not in known:
                raise CheckError(f"unknown setting {key!r} in [check]", source, field=f"check.{key}",
                                 hint=f"known: {', '.join(known)}")
            if key == "missing_number":
                if value not in ("review", "fail"):
                    raise CheckError("must be \"review\" or \"fail\"", source, field="check.missing_number")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise CheckError(f"must be a non-negative number, not {value!r}", source, field=f"check.{key}")
            values[key] = value if key == "missing_number" else float(value)
        out = cls(**values)
        if out.cer_review < out.cer_ok or out.wer_review < out.wer_ok or out.rate_max < out.rate_min:
            raise CheckError("a review limit is below its ok limit", source, field="check",
                             hint="cer_ok ≤ cer_review, wer_ok ≤ wer_review, rate_min ≤ rate_max")
        return out


# ---------------------------------------------------------------- results


@dataclass
class Issue:
    check: str        # "cer" | "wer" | "number" | "rate" | "silence" | "clipping" | "duration" | "text" | "speech"
    level: str        # "review" | "fail"
    message: str


@dataclass
class SignalReport:
    duration: float
    leading_silence: float
    trailing_silence: float
    clipped_samples: int
    clipped_share: float
    peak_dbfs: float


@dataclass
class FileCheck:
    """The result for one produced file (files with the same bytes share the analysis)."""

    path: str
    announcement: str
    language: str
    area: str | None
    slot: str | None
    sha256: str
    engine: str | None
    voice: str | None
    flag: str = "ok"
    transcribed: bool = False
    note: str = ""
    reference: str = ""
    transcript: str = ""
    cer: float | None = None
    wer: float | None = None
    numbers: list[dict] = field(default_factory=list)          # every number: written, spoken, found
    missing_numbers: list[str] = field(default_factory=list)   # the written forms not found
    syllables: int | None = None
    speech_seconds: float | None = None
    speech_rate: float | None = None
    duration: float | None = None
    expected_duration: float | None = None
    leading_silence: float | None = None
    trailing_silence: float | None = None
    clipped_samples: int | None = None
    issues: list[Issue] = field(default_factory=list)

    def add(self, check: str, level: str, message: str) -> None:
        self.issues.append(Issue(check, level, message))
        if FLAGS.index(level) > FLAGS.index(self.flag):
            self.flag = level


@dataclass
class CheckReport:
    day: date
    folder: Path
    backend: str | None
    model: str | None
    thresholds: Thresholds
    files: list[FileCheck] = field(default_factory=list)
    errors: list[BroadcastError] = field(default_factory=list)

    def count(self, flag: str) -> int:
        return sum(1 for f in self.files if f.flag == flag)

    @property
    def failed(self) -> bool:
        return bool(self.errors) or any(f.flag == "fail" for f in self.files)

    def to_json(self) -> dict:
        return {
            "format": CHECK_FORMAT,
            "date": self.day.isoformat(),
            "checked_at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
            "backend": self.backend, "model": self.model,
            "thresholds": asdict(self.thresholds),
            "summary": {flag: self.count(flag) for flag in FLAGS},
            "errors": [str(e) for e in self.errors],
            "files": [asdict(f) for f in self.files],
        }


# ---------------------------------------------------------------- text side


def compare_form(text: str, lang: str) -> str:
    """What both sides are compared as: the words a reader says (speech normalisation: numbers,
    dates, abbreviations spelled out), lower case, punctuation removed, spaces collapsed."""
    from broadcast.transcription.guard import normalise
    from broadcast.speech.normalize import normalize
    from broadcast.speech.shaping import clean_markdown

    return normalise(normalize(clean_markdown(text), lang))


def tokens(text: str) -> list[str]:
    """Words (Vietnamese: syllables); each Han character counts as one."""
    return _HAN.sub(lambda m: f" {m.group(0)} ", text).split()


def error_rates(reference: str, hypothesis: str) -> tuple[float, float]:
    """(CER, WER): edit distance over the reference length, on characters and on words."""
    from rapidfuzz.distance import Levenshtein

    ref_words, hyp_words = tokens(reference), tokens(hypothesis)
    ref_chars, hyp_chars = " ".join(ref_words), " ".join(hyp_words)
    if not ref_words:
        return (0.0, 0.0) if not hyp_words else (1.0, 1.0)
    cer = Levenshtein.distance(ref_chars, hyp_chars) / len(ref_chars)
    wer = Levenshtein.distance(ref_words, hyp_words) / len(ref_words)
    return cer, wer


@dataclass(frozen=True)
class NumberMention:
    written: str     # as in the approved text: "0212 3845 123"
    spoken: str      # what the reader says for it, compare form: "không hai một hai ba tám bốn năm một hai ba"


def number_mentions(text: str, lang: str) -> list[NumberMention]:
    """Every number, date, time and phone number in the raw approved text, with its spoken form.
    The spoken form is read in context (a few words before it: "số 112" is dialled digit by digit,
    "ngày 15/12" is a date), then the context's own words are taken off again."""
    from broadcast.speech.shaping import clean_markdown

    raw = clean_markdown(text)
    out: list[NumberMention] = []
    seen: set[str] = set()
    for m in _WRITTEN_NUMBER.finditer(raw):
        written = m.group(0).rstrip(" .")
        before = raw[:m.start()]
        # Context stays within the sentence/line.
        sentence = re.split(r"[.!?;:\n]\s", before)[-1]
        context = " ".join(sentence.split()[-_CONTEXT_WORDS:])
        after = raw[m.start() + len(written):m.start() + len(written) + 12]
        unit = re.match(r"\s*(?:%|độ C|°C)", after)
        whole = compare_form(f"{context} {written}{unit.group(0) if unit else ''}", lang)
        lead = compare_form(context, lang)
        spoken = whole[len(lead):].strip() if lead and whole.startswith(lead + " ") else whole
        if not spoken:
            spoken = compare_form(written, lang)
        if spoken and spoken not in seen:
            seen.add(spoken)
            out.append(NumberMention(written, spoken))
    return out


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def fold(text: str) -> str:
    """Without tones and diacritics (đ → d): Whisper base on synthetic speech gets the syllable
    right far more often than its tone ("mười hai" heard as "mươi hài")."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def number_found(mention: NumberMention, transcript_compare: str, transcript_raw: str,
                 similarity: float = 0.75) -> bool:
    """Is the number in the transcript? Its spoken form as whole words (toneless), or — for
    forms of three syllables and more — a stretch of the toneless transcript at least
    `similarity` alike (rapidfuzz partial_ratio), or the same digits written as one number
    (Whisper often writes digits)."""
    from rapidfuzz import fuzz

    spoken, heard = fold(mention.spoken), fold(transcript_compare)
    if f" {spoken} " in f" {heard} ":
        return True
    want = _digits(mention.written)
    if want and any(_digits(m.group(0)) == want for m in _WRITTEN_NUMBER.finditer(transcript_raw)):
        return True
    return len(spoken.split()) >= 3 and fuzz.partial_ratio(spoken, heard) >= similarity * 100


# ---------------------------------------------------------------- signal side


def _frame_levels(samples: np.ndarray, rate: int) -> np.ndarray:
    n = max(1, int(FRAME_SECONDS * rate))
    frames = len(samples) // n
    if frames == 0:
        return np.full(1, -np.inf)
    x = samples[:frames * n].astype(np.float64).reshape(frames, n)
    rms = np.sqrt(np.mean(x * x, axis=1))
    with np.errstate(divide="ignore"):
        return 20 * np.log10(rms)


def sound_span(samples: np.ndarray, rate: int) -> tuple[float, float] | None:
    """(first, last) second with sound, or None for silence."""
    loud = np.flatnonzero(_frame_levels(samples, rate) > SILENCE_DBFS)
    if loud.size == 0:
        return None
    step = max(1, int(FRAME_SECONDS * rate)) / rate
    return float(loud[0] * step), float((loud[-1] + 1) * step)


def analyse_signal(samples: np.ndarray, rate: int) -> SignalReport:
    duration = len(samples) / rate if rate else 0.0
    span = sound_span(samples, rate)
    lead, trail = (duration, duration) if span is None else (span[0], max(0.0, duration - span[1]))
    clipped = int(np.count_nonzero(np.abs(samples) >= CLIP_LEVEL))
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    return SignalReport(duration=round(duration, 3), leading_silence=round(lead, 2),
                        trailing_silence=round(trail, 2), clipped_samples=clipped,
                        clipped_share=clipped / max(1, samples.size),
                        peak_dbfs=round(20 * np.log10(peak), 2) if peak > 0 else float("-inf"))


def expected_duration(first_reading: list[float], readings: int) -> float:
    """What the file's length must be: everything before the first reading (tones, ident) as
    made, then the readings with their gaps, then the tail (mastering's programme layout)."""
    from broadcast.mastering.master import GAP_BETWEEN_READINGS, TAIL_SILENCE

    start, end = first_reading
    return start + readings * (end - start) + (readings - 1) * GAP_BETWEEN_READINGS + TAIL_SILENCE


# ---------------------------------------------------------------- the check


@dataclass(frozen=True)
class Target:
    """A produced loudspeaker file and what it should say."""

    entry: dict                 # its manifest entry
    text: str | None            # the approved text it was made from (None: see problem)
    readings: int | None
    problem: str | None = None


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


def read_manifest(folder: Path) -> dict:
    try:
        return _read_manifest(folder)
    except ManifestError as exc:
        raise CheckError(exc.problem.message, exc.path, hint=exc.problem.hint) from None


def targets(ws: Workspace, manifest: dict, ids: list[str] | None) -> list[Target]:
    """The loudspeaker files of the manifest, each with the approved text it must say. A text
    that changed since production (sha256 differs) cannot vouch for the file: it is a problem."""
    from broadcast.core import db
    from broadcast.intake.announcements import load_announcements

    entries = [e for e in manifest.get("files", []) if e.get("kind") == "audio"
               and e.get("profile") == CHECKED_PROFILE and (not ids or e.get("announcement") in ids)]
    if not entries:
        return []
    good, _bad = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
    anns = {a.id: a for a in good}
    conn = db.connect(ws.db_path)
    texts: dict[tuple[str, str], tuple[str | None, str | None]] = {}
    out: list[Target] = []
    for e in entries:
        ann = anns.get(e["announcement"])
        key = (e["announcement"], e["language"])
        if ann is None:
            out.append(Target(e, None, None, "the announcement file is gone or invalid now"))
            continue
        if key not in texts:
            if e["language"] == SOURCE_LANGUAGE:
                texts[key] = (ann.body, ann.text_sha256)
            else:
                from broadcast.translations import translation_state

                st = translation_state(ws, conn, ann, e["language"])
                texts[key] = (st.text if st.approved else None, st.text_sha256)
        text, sha = texts[key]
        if text is None or sha != e.get("approved_text_sha256"):
            out.append(Target(e, None, ann.readings, "the approved text changed since this file was "
                              "produced (produce again)"))
        else:
            out.append(Target(e, text, ann.readings))
    return out


# What a file sharing another's bytes takes over from that one's analysis.
SHARED_FIELDS = ("transcribed", "note", "reference", "transcript", "cer", "wer", "numbers", "missing_numbers",
                 "syllables", "speech_seconds", "speech_rate", "duration", "expected_duration",
                 "leading_silence", "trailing_silence", "clipped_samples")


def _copy_analysis(result: FileCheck, shared: FileCheck) -> None:
    for name in SHARED_FIELDS:
        setattr(result, name, getattr(shared, name))
    for issue in shared.issues:     # the flag follows: the worst of its own issues and these
        result.add(issue.check, issue.level, issue.message)


class RemoteSpeech:
    """First readings transcribed on a Ray actor pool (executors.WhisperPool) instead of here:
    check_one sends each one's samples by value and goes on with the next file; `finish`
    collects the transcripts in order, judges them and completes the files that share bytes."""

    def __init__(self, pool) -> None:
        self.pool = pool
        self.pending: list[tuple[FileCheck, object, str, str]] = []   # (result, ref, text, lang)
        self.copies: list[tuple[FileCheck, FileCheck]] = []          # (result, the analysis it shares)

    def submit(self, result: FileCheck, audio: np.ndarray, code: str, text: str, lang: str) -> None:
        ref = self.pool.submit("transcribe_samples", audio, speech_options(code))
        self.pending.append((result, ref, text, lang))

    def finish(self, th: Thresholds, advance: Callable[[str], None], errors: list[BroadcastError]) -> None:
        for result, ref, text, lang in self.pending:
            try:
                payload = self.pool.get(ref)
            except BroadcastError as exc:   # the actor kept dying: this file's speech is unchecked
                if str(exc) not in map(str, errors):
                    errors.append(exc)
                payload = {"error": (exc.reason, None)}
            if "error" in payload:
                result.add("speech", "review", f"not transcribed: {payload['error'][0]}")
            else:
                _judge_speech(result, payload["segments"], text, lang, th)
            advance(Path(result.path).name)
        for result, shared in self.copies:
            _copy_analysis(result, shared)


def check_one(folder: Path, target: Target, backend, th: Thresholds, transcripts: dict,
              speech: RemoteSpeech | None = None) -> FileCheck:
    """All checks of one file. `transcripts` caches (sha256, text sha) → analysis across names.
    With `speech`, the first reading is transcribed remotely: the speech verdict (and what files
    sharing these bytes take over) is filled in by `speech.finish()`."""
    from broadcast.mastering import master as mastering

    e = target.entry
    path = folder / e["path"]
    result = FileCheck(path=e["path"], announcement=e["announcement"], language=e["language"],
                       area=e.get("area"), slot=e.get("slot"), sha256="", engine=e.get("engine"),
                       voice=e.get("voice"))
    if not path.is_file():
        result.add("file", "fail", "the file is missing")
        return result
    result.sha256 = sha256_file(path)
    if result.sha256 != e.get("sha256"):
        result.add("file", "fail", "the file changed after production (sha256 differs from the manifest)")
    memo_key = (result.sha256, e.get("approved_text_sha256"), target.problem)
    if memo_key in transcripts:
        if speech is not None:
            speech.copies.append((result, transcripts[memo_key]))
        else:
            _copy_analysis(result, transcripts[memo_key])
        return result

    try:
        samples, rate = mastering.decode(path)
    except BroadcastError as exc:
        result.add("file", "fail", f"cannot decode: {exc.reason}")
        transcripts[memo_key] = result
        return result

    # ---- signal: the whole file, as it will be played
    sig = analyse_signal(samples, rate)
    result.duration, result.leading_silence, result.trailing_silence = \
        sig.duration, sig.leading_silence, sig.trailing_silence
    result.clipped_samples = sig.clipped_samples
    silent = sound_span(samples, rate) is None
    if silent:
        result.add("silence", "fail", "the file is silent")
    else:
        if sig.leading_silence > th.max_leading_silence:
            result.add("silence", "review", f"{sig.leading_silence:.1f} s of silence at the start "
                       f"(limit {th.max_leading_silence:g} s)")
        if sig.trailing_silence > th.max_trailing_silence:
            result.add("silence", "review", f"{sig.trailing_silence:.1f} s of silence at the end "
                       f"(limit {th.max_trailing_silence:g} s)")
    if sig.clipped_share > th.max_clipped_share:
        result.add("clipping", "review", f"{sig.clipped_samples} samples at full scale "
                   f"({sig.clipped_share:.3%}): distortion on the horns")
    first = e.get("first_reading")
    if target.readings and first and len(first) == 2:
        expected = expected_duration(first, target.readings)
        result.expected_duration = round(expected, 2)
        allowed = th.duration_tolerance + th.duration_tolerance_share * expected
        if abs(sig.duration - expected) > allowed:
            result.add("duration", "fail", f"{sig.duration:.1f} s long, expected {expected:.1f} s for "
                       f"{target.readings} reading(s) of the text (truncated or the wrong file?)")

    # ---- speech: the first reading, against the approved text
    if target.problem:
        result.add("text", "fail", target.problem)
    code = whisper_language(e["language"])
    if code is None:
        result.note = (f"speech not transcribed: Whisper does not cover {language_name(e['language'])}; "
                       f"signal checks only")
    elif target.text is not None and speech is not None and first and not silent:
        audio = _speech_input(result, samples, rate, first, target.text, e["language"], th)
        if audio is not None:
            speech.submit(result, audio, code, target.text, e["language"])
    elif target.text is not None and backend is not None and first and not silent:
        _check_speech(result, samples, rate, first, target.text, e["language"], code, backend, th)
    transcripts[memo_key] = result
    return result


READING_PAD_SECONDS = 0.5
# Decoding at temperature 0 only: Whisper's fallback to hotter temperatures samples at random
# (CTranslate2's generator is per thread and cannot be reseeded per call), and on espeak-ng speech
# it is taken often: the same file gave CER 0.39–0.45 from run to run, and a Ray actor could never
# agree with a local run. Beam search at temperature 0 gives the same transcript every time.
CHECK_TEMPERATURES = (0.0,)


def speech_options(code: str):
    from broadcast.transcription.transcribe import TranscribeOptions

    # A loop at temperature 0 ("5,000,000,000,…") is decoded again with a repetition penalty:
    # seen on a correct reading of a date and a phone number, which otherwise failed at CER 9.7.
    return TranscribeOptions(language=code, temperatures=CHECK_TEMPERATURES, loop_retry_penalty=1.2)


def _check_speech(result: FileCheck, samples: np.ndarray, rate: int, first: list[float], text: str,
                  lang: str, code: str, backend, th: Thresholds) -> None:
    """The speech checks of one file, transcribed here with `backend`."""
    from broadcast.transcription.transcribe import transcribe_audio

    audio = _speech_input(result, samples, rate, first, text, lang, th)
    if audio is not None:
        segments, _lang = transcribe_audio(audio, backend, speech_options(code))
        _judge_speech(result, segments, text, lang, th)


def _speech_input(result: FileCheck, samples: np.ndarray, rate: int, first: list[float], text: str,
                  lang: str, th: Thresholds) -> np.ndarray | None:
    """Everything before the transcription: the reference, the speech rate, and the first
    reading cut out, at 16 kHz and padded (None: no sound there, already judged)."""
    from broadcast.mastering import master as mastering

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

    audio = mastering.resample(cut, rate, WHISPER_RATE)
    # Whisper often returns nothing for audio that starts exactly at the first syllable (it
    # predicts end-of-text at once); half a second of silence each side, as in the real file's
    # pauses, gives it the onset it expects. Measured: an empty transcript became a full one.
    pad = np.zeros(int(READING_PAD_SECONDS * WHISPER_RATE), dtype=np.float32)
    return np.concatenate((pad, audio.astype(np.float32, copy=False), pad))


def _judge_speech(result: FileCheck, segments, text: str, lang: str, th: Thresholds) -> None:
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


def heard_text(segments) -> str:
    """The transcript as check reads it. Not the feedback guard: Whisper gives espeak-ng speech a
    high no-speech probability (0.85 throughout), so the guard would drop correct readings; silence
    is caught by the signal checks and VAD instead. Known hallucinated phrases still go, and a
    decoding loop counts once."""
    from broadcast.transcription.guard import collapse_loops, known_phrase

    kept = [collapse_loops(s.text.strip())[0] for s in segments if s.text.strip() and not known_phrase(s.text)]
    return " ".join(kept).strip()


def run_check(ws: Workspace, *, day: date, ids: list[str] | None = None, backend_name: str | None = None,
              model: str | None = None, progress: Callable[[int], Callable[[str], None]] | None = None,
              backend=None, executor=None, device: str | None = "auto") -> CheckReport:
    """Check every loudspeaker file of `day`; write check.json beside the manifest. The Whisper
    model is loaded once, and only when some file is in a language it covers.

    `executor` (executors.ExecutorSpec) of kind ray transcribes the first readings on a Ray actor
    pool (the model loaded once per actor, the samples sent by value); decoding, the signal
    checks, the verdicts and check.json stay here. `device`: auto, cpu or cuda (the model's)."""
    from broadcast.transcription.transcribe import DEFAULT_BACKEND, load_backend, resolve_device

    folder = ws.output_dir / day.isoformat()
    th = Thresholds.from_config(ws.config.section("check"), ws.root / "broadcast.toml")
    manifest = read_manifest(folder)
    todo = targets(ws, manifest, ids)
    if ids:
        for i in sorted(set(ids) - {t.entry["announcement"] for t in todo}):
            raise CheckError(f"no loudspeaker file for {i!r} on {day.isoformat()}", folder,
                             hint="check the id and the date (`broadcast status`)")
    remote = backend is None and executor is not None and executor.kind == "ray"
    name = backend_name or DEFAULT_BACKEND
    if backend is None and not remote:
        device = resolve_device(device, name)   # --device cuda without a GPU: an error before any work
    speaking = {t.entry.get("sha256") for t in todo if whisper_language(t.entry["language"]) and t.text}
    with contextlib.ExitStack() as stack:
        speech = None
        label: tuple[str | None, str | None] = (None, None)
        if remote and speaking:
            from broadcast.executors.cluster import whisper_pool

            speech = RemoteSpeech(whisper_pool(stack, executor, len(speaking), name, model, None, device))
            label = speech.pool.describe()
        elif backend is None and speaking:
            backend = load_backend(name, model, None, None, device)
        if backend is not None:
            label = (backend.name, f"{backend.model_info.label} [{backend.compute_type}]")
        report = CheckReport(day=day, folder=folder, backend=label[0], model=label[1], thresholds=th)
        distinct = len({t.entry.get("sha256") for t in todo})
        advance = progress(distinct) if progress else (lambda _label: None)
        memo: dict = {}
        done: set[str] = set()
        for t in todo:
            before, sent = len(memo), len(speech.pending) if speech else 0
            report.files.append(check_one(folder, t, backend, th, memo, speech))
            sha = t.entry.get("sha256")
            if len(memo) > before and sha not in done:
                done.add(sha)
                if not speech or len(speech.pending) == sent:   # else: once its transcript is back
                    advance(Path(t.entry["path"]).name)
        if speech is not None:
            speech.finish(th, advance, report.errors)
    data = json.dumps(report.to_json(), ensure_ascii=False, indent=1).encode("utf-8") + b"\n"
    atomic_write_bytes(folder / CHECK_NAME, data)
    return report


# ---------------------------------------------------------------- calibration


def calibrate(texts: dict[str, str], backend=None, rate: int = 44100) -> list[dict]:
    """CER/WER/rate of the embedded Vietnamese voice on `texts` (name → text), mastered as a
    loudspeaker file would be and read back through the same path as `check`."""
    import tempfile

    from broadcast.mastering import master as mastering
    from broadcast.core.config import load_workspace
    from broadcast.transcription.transcribe import load_backend

    backend = backend or load_backend()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "broadcast.toml").write_text(
            '[commune]\nname = "Xã Thử"\n[slots]\nmorning = "05:30"\n[areas.a]\nname = "A"\n', encoding="utf-8")
        ws = load_workspace(root)
        from broadcast.speech import synthesize

        th = Thresholds()
        for name, text in texts.items():
            speech = synthesize(ws, "vi", text)
            prog = mastering.build_programme(speech.samples, speech.sample_rate, ident=None, ident_rate=None,
                                             readings=1, attention=False, sample_rate=rate)
            out = mastering.master(prog, "loudspeaker", root / f"{name}.mp3")
            samples, r = mastering.decode(out.path)
            fc = FileCheck(path=name, announcement=name, language="vi", area=None, slot=None, sha256="",
                           engine=speech.engine, voice=speech.voice)
            _check_speech(fc, samples, r, list(prog.first_reading), text, "vi", "vi", backend, th)
            rows.append({"name": name, "cer": fc.cer, "wer": fc.wer, "rate": fc.speech_rate,
                         "missing_numbers": fc.missing_numbers, "transcript": fc.transcript})
    return rows


# A few texts in the register of commune announcements, with numbers of every kind, beside the
# three examples (`python -m broadcast.check` prints the table the README quotes).
CALIBRATION_TEXTS = {
    "hop-dan": "Ban quản lý bản Ly Xôm mời đại diện các hộ gia đình dự họp vào lúc 19 giờ ngày 20/11 "
               "tại nhà văn hóa bản. Nội dung: bình xét hộ nghèo năm 2027.",
    "nuoc-sach": "Trạm cấp nước xã tạm ngừng cấp nước từ 8h00 đến 16h30 ngày 05/12/2026 để sửa chữa "
                 "đường ống. Bà con chủ động trữ nước. Mọi thông tin liên hệ số 0987 654 321.",
    "thue-dat": "Hạn cuối nộp thuế sử dụng đất phi nông nghiệp là ngày 31/10. Mức thu năm nay tăng 5%, "
                "mỗi hộ nộp khoảng 120.000 đồng.",
}


def _main() -> None:  # pragma: no cover - a measuring tool, run by hand
    from broadcast.intake.announcements import load_announcements
    from broadcast.core.config import load_workspace

    repo = Path(__file__).resolve().parents[2]
    ws = load_workspace(repo)
    good, _ = load_announcements([repo / "examples" / "announcements"], ws.config, check_expiry=False)
    texts = {a.id: a.body for a in good}
    texts.update(CALIBRATION_TEXTS)
    rows = calibrate(texts)
    for r in rows:
        print(f"{r['name']:<22} CER {r['cer']:.3f}  WER {r['wer']:.3f}  {r['rate']:.2f} syl/s  "
              f"missing numbers: {', '.join(r['missing_numbers']) or '-'}")
        print(f"    {r['transcript']}")


if __name__ == "__main__":  # pragma: no cover
    _main()
