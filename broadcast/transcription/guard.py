"""The hallucination guard: Whisper invents text on silence and noise (on Vietnamese, typically
YouTube outros such as "Hãy subscribe cho kênh …"), and loops on a phrase. Segments that look
like that are marked dropped (kept in the queue's segment list with the reason, left out of the
transcript), so silence gives an empty transcript."""

from __future__ import annotations

import re
import unicodedata

from broadcast.transcription.models import Segment

# Both must hold: Whisper thought there was no speech, and was unsure of the words it produced.
NO_SPEECH_PROB = 0.6
LOW_AVG_LOGPROB = -1.0
# Either alone is already decisive.
VERY_HIGH_NO_SPEECH_PROB = 0.9
VERY_LOW_AVG_LOGPROB = -1.6
COMPRESSION_RATIO = 2.4
# A phrase of up to this many words repeated this many times in a row is a decoding loop.
LOOP_MAX_NGRAM = 8
LOOP_MIN_REPEATS = 4
# A segment whose words are mostly (by this share) a known phrase is that phrase.
PHRASE_SHARE = 0.6

# Phrases Whisper produces from silence or music in Vietnamese (and a few in English, since
# the model falls back to them); written normalised: lower case, no punctuation.
KNOWN_PHRASES = (
    "hãy subscribe cho kênh",
    "hãy đăng ký kênh",
    "đăng ký kênh",
    "subscribe cho kênh",
    "ghiền mì gõ",
    "để không bỏ lỡ những video hấp dẫn",
    "cảm ơn các bạn đã theo dõi",
    "cảm ơn các bạn đã xem",
    "hẹn gặp lại các bạn trong những video tiếp theo",
    "like share và subscribe",
    "la la school",
    "thanks for watching",
    "thank you for watching",
    "subtitles by the amara org community",
    "please subscribe",
)


def normalise(text: str) -> str:
    """Lower case, NFC, punctuation removed, spaces collapsed (for matching and for CER)."""
    text = unicodedata.normalize("NFC", text).lower()
    text = "".join(" " if unicodedata.category(c)[0] in "PS" else c for c in text)
    return re.sub(r"\s+", " ", text).strip()


def known_phrase(text: str) -> str | None:
    norm = normalise(text)
    if not norm:
        return None
    found = [p for p in sorted(KNOWN_PHRASES, key=len, reverse=True) if p in norm]
    if not found:
        return None
    rest = norm
    for phrase in found:
        rest = rest.replace(phrase, " ")
    # Mostly made of such phrases (a genuine sentence that quotes one is kept).
    rest = re.sub(r"\s+", " ", rest).strip()
    return found[0] if len(rest) <= (1 - PHRASE_SHARE) * len(norm) else None


def collapse_loops(text: str) -> tuple[str, bool]:
    """Cut a phrase repeated LOOP_MIN_REPEATS+ times in a row down to one occurrence."""
    words = text.split()
    changed = False
    for n in range(1, LOOP_MAX_NGRAM + 1):
        i = 0
        out: list[str] = []
        while i < len(words):
            unit = words[i:i + n]
            norm_unit = [normalise(w) for w in unit]
            repeats = 1
            while (len(unit) == n and
                   [normalise(w) for w in words[i + repeats * n:i + (repeats + 1) * n]] == norm_unit):
                repeats += 1
            if repeats >= LOOP_MIN_REPEATS and len(unit) == n:
                out.extend(unit)
                i += repeats * n
                changed = True
            else:
                out.append(words[i])
                i += 1
        words = out
    return " ".join(words), changed


def drop_reason(seg: Segment) -> str | None:
    if not normalise(seg.text):
        return "empty"
    if seg.no_speech_prob >= NO_SPEECH_PROB and seg.avg_logprob <= LOW_AVG_LOGPROB:
        return "no speech (high no-speech probability, low log-probability)"
    if seg.no_speech_prob >= VERY_HIGH_NO_SPEECH_PROB:
        return "no speech (very high no-speech probability)"
    if seg.avg_logprob <= VERY_LOW_AVG_LOGPROB:
        return "unreliable (very low log-probability)"
    phrase = known_phrase(seg.text)
    if phrase:
        return f"known hallucination ({phrase!r})"
    return None


def apply_guard(segments: list[Segment]) -> list[Segment]:
    """Mark hallucinated segments dropped, collapse loops inside segments, and drop a segment
    that repeats the previous kept one word for word (a loop across segments)."""
    previous: str | None = None
    repeats = 0
    for seg in segments:
        if seg.dropped is None:
            seg.dropped = drop_reason(seg)
        if seg.dropped is not None:
            continue
        seg.text, looped = collapse_loops(seg.text.strip())
        if looped and seg.compression_ratio > COMPRESSION_RATIO and len(normalise(seg.text).split()) <= 2:
            seg.dropped = "repetition loop"
            continue
        norm = normalise(seg.text)
        repeats = repeats + 1 if norm == previous else 0
        if repeats >= 2:
            seg.dropped = "repetition loop (same text as the segments before)"
            continue
        previous = norm
    return segments


def transcript_text(segments: list[Segment]) -> str:
    return " ".join(s.text.strip() for s in segments if s.dropped is None and s.text.strip()).strip()
