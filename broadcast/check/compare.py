"""The text side of `broadcast check`: what the approved text and the transcript are compared as,
the error rates, and the numbers of the text that the transcript must contain."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from rapidfuzz import fuzz
from rapidfuzz.distance import Levenshtein

from broadcast.speech.normalize import normalize
from broadcast.speech.shaping import clean_markdown
from broadcast.transcription.guard import collapse_loops, known_phrase, normalise

_HAN = re.compile(r"[\u3400-\u9fff]")
# A number as written: digits with inner separators (15/12/2026, 38,5, 7:30, 7h30, 50.000), and
# phone numbers written in spaced groups (0212 3845 123).
_WRITTEN_NUMBER = re.compile(r"(?<![\w])\+?\d+(?:(?:[.,:/-]|[hHg])\d+)*(?:[ .]\d{3,4}(?![.,]?\d))*")
_CONTEXT_WORDS = 3


def compare_form(text: str, lang: str) -> str:
    """What both sides are compared as: the words a reader says (speech normalisation: numbers,
    dates, abbreviations spelled out), lower case, punctuation removed, spaces collapsed."""
    return normalise(normalize(clean_markdown(text), lang))


def tokens(text: str) -> list[str]:
    """Words (Vietnamese: syllables); each Han character counts as one."""
    return _HAN.sub(lambda m: f" {m.group(0)} ", text).split()


def error_rates(reference: str, hypothesis: str) -> tuple[float, float]:
    """(CER, WER): edit distance over the reference length, on characters and on words."""
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
    spoken, heard = fold(mention.spoken), fold(transcript_compare)
    if f" {spoken} " in f" {heard} ":
        return True
    want = _digits(mention.written)
    if want and any(_digits(m.group(0)) == want for m in _WRITTEN_NUMBER.finditer(transcript_raw)):
        return True
    return len(spoken.split()) >= 3 and fuzz.partial_ratio(spoken, heard) >= similarity * 100


def heard_text(segments) -> str:
    """The transcript as check reads it. Not the feedback guard: Whisper gives espeak-ng speech a
    high no-speech probability (0.85 throughout), so the guard would drop correct readings; silence
    is caught by the signal checks and VAD instead. Known hallucinated phrases still go, and a
    decoding loop counts once."""
    kept = [collapse_loops(s.text.strip())[0] for s in segments if s.text.strip() and not known_phrase(s.text)]
    return " ".join(kept).strip()
