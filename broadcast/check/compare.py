"""Does a reading say its approved text? The comparison `broadcast check` makes, as a plain
function any stage can call on a transcript: `judge_reading(text, lang, segments, thresholds)`.

    from broadcast.check.compare import judge_reading
    verdict = judge_reading(approved_text, "vi", segments, Thresholds())
    verdict.flag                # "ok" | "review" | "fail", the worst of verdict.issues
    verdict.coverage            # share of the text's syllables the transcript has something for
    verdict.missing_sentences   # SentenceHeard of the sentences not heard
    verdict.missing_numbers     # NumberHeard of the numbers not heard (or heard as another number)

`segments` is Whisper's (broadcast.transcription Segment objects; their text is read as
`heard_text` reads it) or the transcript as one string. Synthetic speech and a human recording
(engine "recorded") are judged the same way.

What is expected is what the voice was given (spoken.spoken_text: the speech stage's own
normaliser and sentence split), never a second reading of the text. What was heard is the
transcript in the same compare form, where a number Whisper wrote in digits that has the digits
of a number of the text is taken as said the way the text's number is said. The two are aligned
syllable by syllable (align.align), which gives:
  coverage   text syllables that met a heard syllable, alike or not / text syllables: how much of
             the text the transcript covers at all. Under `coverage_min`: fail, whatever the CER
             (a long reading Whisper heard half of, or a file that says half the text).
  heard      the mean similarity of the text's syllables to what met them (0–1).
  sentences  each spoken sentence heard when its own `heard` is at least `sentence_heard`;
             one that is not gets `missing_sentence` (review by default).
  numbers    each number mention heard when its number words are heard at least
             `number_similarity` on average and none was heard as a clearly different number
             word (nor a stray number word heard among them): "15/12" heard as "mười sáu tháng
             mười hai" is missing (check.numbers, CHECK_NUMBERS: where this differs from how
             `broadcast record` judges a person's take). A missing number gets `missing_number`
             (review by default).
  CER, WER   edit distance over the text's length, on characters and on words, against
             `cer_ok`/`cer_review`, `wer_ok`/`wer_review`."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from rapidfuzz.distance import Levenshtein

from broadcast.check.align import SPELLINGS_AFTER_ANY_NUMBER, align
from broadcast.check.models import Issue
from broadcast.check.numbers import CHECK_NUMBERS, judge_number
from broadcast.check.spoken import NumberMention, SpokenText, number_mentions, spoken_text, tokens
from broadcast.check.thresholds import Thresholds
from broadcast.produce.checkmarks import FLAGS
from broadcast.speech.normalize import normalize
from broadcast.speech.shaping import clean_markdown
from broadcast.transcription.guard import collapse_loops, known_phrase, normalise

# A number as Whisper writes it: digits with inner separators (15/12/2026, 7:30, 50.000) and
# phone numbers in spaced groups (0987 654 321).
_WRITTEN_NUMBER = re.compile(r"\d+(?:[.,:/-]\d+)*(?:\s\d{3,4}(?![.,]?\d))*")

__all__ = ["judge_reading", "ReadingVerdict", "SentenceHeard", "NumberHeard", "compare_form", "heard_text",
           "heard_form", "error_rates", "shorten", "number_mentions", "NumberMention", "spoken_text", "SpokenText"]


def compare_form(text: str, lang: str) -> str:
    """What both sides are compared as: the words a reader says (speech normalisation: numbers,
    dates, abbreviations spelled out), lower case, punctuation removed, spaces collapsed."""
    return normalise(normalize(clean_markdown(text), lang))


def error_rates(reference: str, hypothesis: str) -> tuple[float, float]:
    """(CER, WER): edit distance over the reference length, on characters and on words."""
    ref_words, hyp_words = tokens(reference), tokens(hypothesis)
    ref_chars, hyp_chars = " ".join(ref_words), " ".join(hyp_words)
    if not ref_words:
        return (0.0, 0.0) if not hyp_words else (1.0, 1.0)
    cer = Levenshtein.distance(ref_chars, hyp_chars) / len(ref_chars)
    wer = Levenshtein.distance(ref_words, hyp_words) / len(ref_words)
    return cer, wer


def heard_text(segments) -> str:
    """The transcript as check reads it. Not the feedback guard: Whisper gives espeak-ng speech a
    high no-speech probability (0.85 throughout), so the guard would drop correct readings; silence
    is caught by the signal checks and VAD instead. Known hallucinated phrases still go, and a
    decoding loop counts once."""
    kept = [collapse_loops(s.text.strip())[0] for s in segments if s.text.strip() and not known_phrase(s.text)]
    return " ".join(kept).strip()


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())


def heard_form(transcript: str, spoken: SpokenText, lang: str) -> str:
    """The transcript in compare form; a number written in digits with the digits of one of the
    text's numbers is read as the text's number is said (Whisper writes "0987 654 321" or
    "15/12" where the voice said the words)."""
    said = {_digits(m.written): m.spoken for m in spoken.numbers if _digits(m.written)}
    pieces: list[str] = []
    last = 0
    for m in _WRITTEN_NUMBER.finditer(transcript):
        words = said.get(_digits(m.group(0)))
        if words:
            pieces += [compare_form(transcript[last:m.start()], lang), words]
            last = m.end()
    pieces.append(compare_form(transcript[last:], lang))
    return " ".join(p for p in pieces if p)


@dataclass
class SentenceHeard:
    index: int          # 1-based, in reading order
    text: str           # as approved
    spoken: str         # compare form of what the voice was given
    heard: float        # 0–1
    covered: float      # 0–1
    ok: bool


@dataclass
class NumberHeard:
    written: str
    spoken: str
    sentence: int       # 1-based
    heard: float
    heard_as: str       # what the transcript has where the number is
    changed: bool       # a number word of it heard as another number
    found: bool


@dataclass
class ReadingVerdict:
    reference: str                     # the text as said, compare form
    transcript: str                    # as Whisper wrote it
    hypothesis: str                    # the transcript in compare form
    cer: float
    wer: float
    coverage: float
    heard: float
    sentences: list[SentenceHeard] = field(default_factory=list)
    numbers: list[NumberHeard] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def flag(self) -> str:
        return max((i.level for i in self.issues), key=FLAGS.index, default="ok")

    @property
    def missing_sentences(self) -> list[SentenceHeard]:
        return [s for s in self.sentences if not s.ok]

    @property
    def missing_numbers(self) -> list[NumberHeard]:
        return [n for n in self.numbers if not n.found]


def judge_reading(text: str, lang: str, segments: Iterable | str, thresholds: Thresholds | None = None,
                  spoken: SpokenText | None = None) -> ReadingVerdict:
    """The verdict on a reading of `text` (approved, in `lang`) that Whisper heard as `segments`
    (see the module docstring). `spoken`: spoken_text(text, lang), when the caller has it."""
    th = thresholds or Thresholds()
    spoken = spoken or spoken_text(text, lang)
    transcript = segments.strip() if isinstance(segments, str) else heard_text(segments)
    hypothesis = heard_form(transcript, spoken, lang)
    cer, wer = error_rates(spoken.reference, hypothesis)
    al = align(spoken.words, tokens(hypothesis), th.syllable_match, SPELLINGS_AFTER_ANY_NUMBER)
    n = len(spoken.words)
    verdict = ReadingVerdict(spoken.reference, transcript, hypothesis, round(cer, 3), round(wer, 3),
                             round(al.present_share(0, n), 3), round(al.heard_share(0, n, runs=False), 3))
    for k, s in enumerate(spoken.sentences, 1):
        heard = al.heard_share(s.start, s.end, runs=False)
        verdict.sentences.append(SentenceHeard(k, s.text, s.spoken, round(heard, 3),
                                               round(al.present_share(s.start, s.end), 3), heard >= th.sentence_heard))
    for m in spoken.numbers:
        got = judge_number(al, m.start, m.end, CHECK_NUMBERS)
        verdict.numbers.append(NumberHeard(m.written, m.spoken, m.sentence + 1, round(got.heard, 3), got.heard_as,
                                           got.changed, got.heard >= th.number_similarity and not got.changed))
    verdict.issues = _issues(verdict, th)
    return verdict


def _issues(v: ReadingVerdict, th: Thresholds) -> list[Issue]:
    out: list[Issue] = []
    for name, value, ok, review in (("cer", v.cer, th.cer_ok, th.cer_review), ("wer", v.wer, th.wer_ok, th.wer_review)):
        if value > review:
            out.append(Issue(name, "fail", f"{name.upper()} {value:.0%} (fail above {review:.0%}): the speech "
                             f"does not say the approved text"))
        elif value > ok:
            out.append(Issue(name, "review", f"{name.upper()} {value:.0%} (ok up to {ok:.0%}): listen to it"))
    if v.coverage < th.coverage_min:
        out.append(Issue("coverage", "fail", f"the transcript covers {v.coverage:.0%} of the text (fail under "
                         f"{th.coverage_min:.0%}): part of it is not said, or not heard"))
    else:
        for s in v.missing_sentences:
            out.append(Issue("sentence", th.missing_sentence, f"sentence {s.index} not heard ({s.heard:.0%} of it): "
                             f"\u201c{shorten(s.text)}\u201d"))
    for num in v.missing_numbers:
        heard = (f"heard as \u201c{num.heard_as}\u201d" if num.heard_as else "not in the transcript")
        out.append(Issue("number", th.missing_number, f"\u201c{num.written}\u201d (said \u201c{num.spoken}\u201d) "
                         f"{heard}"))
    return out


def shorten(text: str, limit: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1].rstrip() + "…"
