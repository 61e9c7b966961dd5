"""Does a reading say the approved text? The transcript of a take against the text of its language,
sentence by sentence and number by number.

A sentence is heard when at least `sentence_heard` of its syllables were heard (alignment credit,
broadcast.check.align: the alignment `broadcast check` uses too). A number, date, time or phone
number is heard when at least `number_heard` of its syllables were heard, at least `number_present`
of them have something heard in their place (misheard is there, left out is not: fifteen read as
ten), and none was heard as a different number word (fifteen read as sixteen; check.numbers,
RECORD_NUMBERS: where this differs from how `broadcast check` judges synthetic speech). A run of `extra_words` heard syllables that meet nothing in the text is extra speech.
The reading passes when every sentence and every number is heard. Under `refuse_below` of the
whole text heard it is not a reading of this text at all (another announcement, another
language, noise) and is refused as such. Extra speech is reported but does not fail a reading
(a reader's "ờ", a repeated word, a cough). Limits: `[record]` in broadcast.toml (RecordLimits);
how they were calibrated: README, "Recorded readings"."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field

from broadcast.check.align import Alignment, align, canonical
from broadcast.check.compare import compare_form, heard_form, number_mentions, shorten, spoken_text
from broadcast.check.numbers import DIGIT_WORDS, RECORD_NUMBERS, judge_number
from broadcast.check.spoken import tokens as words
from broadcast.core.config import RecordLimits
from broadcast.speech.shaping import clean_markdown, split_paragraphs

_SHORT_SENTENCE = 3     # syllables; a shorter piece (an abbreviation's full stop) joins the next


@dataclass
class SentenceCheck:
    index: int             # 1-based, in reading order
    text: str              # as approved
    spoken: str            # compare form
    heard: float           # share heard, 0–1
    ok: bool
    start: int = 0         # its syllables in the whole text's compare form
    end: int = 0


@dataclass
class NumberCheck:
    written: str
    spoken: str
    sentence: int
    heard: float
    ok: bool
    heard_as: str = ""     # what the transcript has there
    changed: bool = False  # a number word of it heard as another number word
    present: float = 1.0   # share of its syllables with something heard in their place


@dataclass
class ReadingVerdict:
    passed: bool
    refused: bool                      # not a reading of this text at all
    heard: float                       # share of the whole text heard
    transcript: str
    sentences: list[SentenceCheck] = field(default_factory=list)
    numbers: list[NumberCheck] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)   # what fails it, one line each
    notes: list[str] = field(default_factory=list)      # reported, not failing

    @property
    def missing_sentences(self) -> list[SentenceCheck]:
        return [s for s in self.sentences if not s.ok]

    def as_dict(self) -> dict:
        return asdict(self)


def sentences_of(text: str, lang: str) -> list[tuple[str, str]]:
    """(approved sentence, its compare form) in reading order; a piece too short to judge on its
    own ("TP." split off by its full stop) is joined to the sentence after it."""
    out: list[tuple[str, str]] = []
    carry = ""
    for paragraph in split_paragraphs(clean_markdown(text)):
        for sentence in paragraph:
            raw = f"{carry} {sentence}".strip() if carry else sentence
            spoken = compare_form(raw, lang)
            if len(words(spoken)) < _SHORT_SENTENCE:
                carry = raw
                continue
            carry = ""
            out.append((raw, spoken))
    if carry:
        if out:
            raw = f"{out[-1][0]} {carry}"
            out[-1] = (raw, compare_form(raw, lang))
        else:
            out.append((carry, compare_form(carry, lang)))
    return [(raw, spoken) for raw, spoken in out if spoken]


def _locate(needle: list[str], hay: list[str], start: int, end: int) -> int | None:
    for k in range(start, max(start, end - len(needle) + 1)):
        if hay[k:k + len(needle)] == needle:
            return k
    return None


def judge_reading(text: str, lang: str, transcript: str, limits: RecordLimits) -> ReadingVerdict:
    """The verdict on a reading of `text` (approved, in `lang`) that Whisper heard as `transcript`."""
    parts = sentences_of(text, lang)
    ref_words: list[str] = []
    checks: list[SentenceCheck] = []
    for n, (raw, spoken) in enumerate(parts, 1):
        w = words(spoken)
        checks.append(SentenceCheck(n, raw, spoken, 0.0, False, len(ref_words), len(ref_words) + len(w)))
        ref_words += w
    # A number Whisper wrote in digits that has the digits of a number of the text is read the
    # way the text's number is read (the same digits must not differ only because their context
    # was normalised differently).
    heard = heard_form(transcript, spoken_text(text, lang), lang)
    al = align(ref_words, words(heard), limits.match_similarity)
    verdict = ReadingVerdict(False, False, round(al.heard_share(0, len(ref_words), runs=True), 3), transcript, checks)
    for s in checks:
        s.heard = round(al.heard_share(s.start, s.end, runs=True), 3)
        s.ok = s.heard >= limits.sentence_heard
    for s in checks:
        cursor = s.start        # the numbers of a sentence come in its order
        for mention in number_mentions(s.text, lang):
            check, cursor = _number(mention, s, cursor, al, limits, lang)
            verdict.numbers.append(check)
    # extra speech: runs of heard syllables that met nothing in the text
    run: list[int] = []
    for j in [*al.inserted, None]:
        if j is not None and (not run or j == run[-1] + 1):
            run.append(j)
            continue
        if len(run) >= limits.extra_words:
            verdict.extra.append(" ".join(al.hyp_words[run[0]:run[-1] + 1]))
        run = [j] if j is not None else []

    if not transcript.strip():
        verdict.refused = True
        verdict.problems.append("no speech was heard in the take")
    elif verdict.heard < limits.refuse_below or not any(s.ok for s in checks):
        verdict.refused = True
        verdict.problems.append(
            f"only {verdict.heard:.0%} of the approved text was heard: this is not a reading of this "
            f"text (another announcement, another language?)")
    else:
        for s in verdict.missing_sentences:
            verdict.problems.append(f"sentence {s.index} not heard ({s.heard:.0%} of it): \u201c{shorten(s.text)}\u201d")
        unheard = {s.index for s in verdict.missing_sentences}
        for num in verdict.numbers:
            if not num.ok and num.sentence not in unheard:   # a sentence not heard already says it
                how = (f"heard as \u201c{num.heard_as}\u201d" if num.changed and num.heard_as else
                       f"{num.heard:.0%} of it heard" if num.heard < limits.number_heard else
                       f"a part of it left out: \u201c{num.heard_as}\u201d")
                verdict.problems.append(f"number \u201c{num.written}\u201d of sentence {num.sentence} not heard "
                                        f"as written ({how})")
    verdict.notes += [f"extra speech, not in the text: \u201c{shorten(e)}\u201d" for e in verdict.extra]
    verdict.passed = not verdict.problems
    return verdict


def _components(written: str, want: list[str], lang: str) -> list[tuple[int, int]]:
    """Where each group of digits of a written number ("15", "12", "2026" of "15/12/2026") is in its
    spoken syllables `want`: read as a number, or digit by digit (phone numbers). The whole number
    when a group cannot be found."""
    spans: list[tuple[int, int]] = []
    at = 0
    for group in re.findall(r"\d+", written):
        for form in (canonical(words(compare_form(group, lang))), canonical([DIGIT_WORDS[int(d)] for d in group])):
            k = _locate(form, want, at, len(want)) if form else None
            if k is not None:
                spans.append((k, k + len(form)))
                at = k + len(form)
                break
        else:
            return [(0, len(want))]
    return spans or [(0, len(want))]


def _number(mention, sentence: SentenceCheck, cursor: int, al: Alignment, limits: RecordLimits,
            lang: str) -> tuple[NumberCheck, int]:
    want = canonical(words(mention.spoken))
    start = _locate(want, al.ref, cursor, sentence.end)
    if start is None:      # read differently in context: judge the sentence's number words as a whole
        span = [k for k in range(sentence.start, sentence.end) if al.ref[k] in want]
        share = float(al.similarity[span].mean()) if span else 0.0
        return NumberCheck(mention.written, mention.spoken, sentence.index, round(share, 3),
                           share >= limits.number_heard, al.heard_words(sentence.start, sentence.end)), cursor
    end = start + len(want)
    got = judge_number(al, start, end, RECORD_NUMBERS)
    # every group of digits must be there: "mười lăm" read as "mười" is another date
    present = min(al.present_share(start + a, start + b) for a, b in _components(mention.written, want, lang))
    ok = got.heard >= limits.number_heard and present >= limits.number_present and not got.changed
    return NumberCheck(mention.written, mention.spoken, sentence.index, round(got.heard, 3), ok, got.heard_as,
                       got.changed, round(present, 3)), end
