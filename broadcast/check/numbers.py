"""Was a number of the text heard as that number? One judgement on an alignment (check.align) for
`broadcast check` and `broadcast record`:

    heard     how alike its syllables were to what met them (0–1, on average);
    changed   a number word of it heard as another number word, or a number word heard pushed in
              among (or next to) what it met: "mười lăm" heard as "mười sáu", "một một hai" as
              "một một hai chín";
    heard_as  what the transcript has where it is.

What differs between the two on purpose is a NumberRule: check judges synthetic speech heard by
a weak listener and asks for a listen (CHECK_NUMBERS), record passes or fails a person's take
(RECORD_NUMBERS, calibrated: README, "Recorded readings"). Each field below is one such
difference; the thresholds the result is held against stay with their callers (Thresholds,
RecordLimits)."""

from __future__ import annotations

from dataclasses import dataclass

from rapidfuzz import fuzz, process

from broadcast.check.align import NUMBER_WORDS, Alignment, canonical, fold

DIGIT_WORDS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
DIGITS_TONELESS = frozenset(canonical(list(DIGIT_WORDS)))
_NUMBERS = sorted(NUMBER_WORDS)
_FOLDED_NUMBERS = [fold(w) for w in _NUMBERS]


@dataclass(frozen=True)
class NumberRule:
    over_number_words: bool
    """`heard` over the number's own number words only (the words around them — "giờ", "tháng",
    "ủy ban nhân dân" — do not make a number; all its syllables where it has none), or over all
    of its syllables."""
    number_like: float | None
    """A heard syllable whose letters are at least this alike to a number word is taken as that
    number word ("chính" and "chim" as "chín", "hông" as "không"); None: only a number word is one."""
    clearly_other: float | None
    """A number word of the text with a number word heard in its place that is under this alike
    to it (letters) is another number ("một" heard as "chín"); more alike ("bảy"/"hài", "tám"/"năm")
    is as likely the listener mishearing the same one. None: any other number word heard in its
    place counts as pushed in (misheard_taken False) or not at all."""
    misheard_taken: bool
    """A heard syllable in the place of a text syllable but not alike to it belongs to that
    syllable (judged by clearly_other) rather than being a number word pushed in."""
    reach: bool
    """Look for a number word pushed in beyond the heard syllables the number met: up to the
    text's neighbours of the number, at most one number's length further on each side."""
    another_digit: float | None
    """A digit of the text heard as a word that is no number word but at least this alike to
    another digit (and DIGIT_MARGIN more alike to it than to the digit of the text) is another
    number read ("sáu" heard as "sáo" where the text has "năm"). None: not judged."""
    misheard_shown: bool
    """heard_as of a number not heard as another includes the syllables heard in its place that
    were not alike (else from its first to its last syllable met alike)."""


# `broadcast check`: the base model on espeak-ng speech mishears tones and whole syllables of
# correct readings; a miss asks for a listen (Thresholds.number_similarity, missing_number).
CHECK_NUMBERS = NumberRule(over_number_words=True, number_like=0.75, clearly_other=0.5, misheard_taken=True,
                           reach=False, another_digit=None, misheard_shown=True)
# `broadcast record`: a take fails on a number read wrong (RecordLimits.number_heard, number_present).
RECORD_NUMBERS = NumberRule(over_number_words=False, number_like=None, clearly_other=None, misheard_taken=False,
                            reach=True, another_digit=0.6, misheard_shown=False)
# How much more alike to another digit than to its own a misheard digit must be ("bài" for
# "bảy" is nearer "ba", but not by much).
DIGIT_MARGIN = 0.25


@dataclass
class NumberJudged:
    heard: float
    changed: bool
    heard_as: str


def number_word(syllable: str, like: float | None) -> str | None:
    """The number word a (canonical) heard syllable is, or sounds like in its letters (at least
    `like` alike; None: only a number word itself)."""
    if syllable in NUMBER_WORDS:
        return syllable
    if like is None:
        return None
    best = process.extractOne(fold(syllable), _FOLDED_NUMBERS, scorer=fuzz.ratio, score_cutoff=like * 100)
    return _NUMBERS[best[2]] if best else None


def sounds_like_another_digit(expected: str, heard: str, like: float) -> bool:
    """A digit of the text heard as a word that is not a number but sounds more like another
    digit than like it ("sáu" heard as "sáo" where the text has "năm"): another number read."""
    if expected not in DIGITS_TONELESS:
        return False
    near = {d: fuzz.ratio(fold(d), fold(heard)) / 100 for d in DIGITS_TONELESS}
    best = max((d for d in near if d != expected), key=near.get)
    return near[best] >= like and near[best] >= near[expected] + DIGIT_MARGIN


def judge_number(al: Alignment, start: int, end: int, rule: NumberRule) -> NumberJudged:
    """Text syllables [start, end) of `al`, a number, judged by `rule` (see the module docstring)."""
    own = [i for i in range(start, end) if al.ref[i] in NUMBER_WORDS] if rule.over_number_words else []
    heard = float(al.similarity[own].mean()) if own else al.heard_share(start, end, runs=False)
    placed_at = al.placed()
    spots = [(i, int(placed_at[i])) for i in range(start, end) if placed_at[i] >= 0]
    if not spots:
        return NumberJudged(heard, False, al.heard_words(start, end, misheard=rule.misheard_shown))
    changed = False
    if rule.clearly_other is not None:
        for i, j in spots:
            said = number_word(al.hyp[j], rule.number_like)
            if al.ref[i] in NUMBER_WORDS and said is not None and said != al.ref[i] \
                    and fuzz.ratio(fold(al.ref[i]), fold(said)) < rule.clearly_other * 100:
                changed = True
    # The heard syllables between what the number met (or, with reach, between the text's
    # neighbours of the number, at most one number's length beyond what it met; at the very
    # start or end of the text there is no neighbour: only what it met counts).
    placed = [j for _i, j in spots]
    lo, hi = min(placed), max(placed)
    if rule.reach:
        before = [int(j) for j in al.partner[:start] if j >= 0]
        after = [int(j) for j in al.partner[end:] if j >= 0]
        far = end - start + 1
        lo = max(before[-1] + 1, lo - far) if before else lo
        hi = min(after[0] - 1, hi + far) if after else hi
    taken = placed_at if rule.misheard_taken else al.partner
    taken_set = {int(j) for j in taken if j >= 0}
    stray = [j for j in range(lo, hi + 1) if j not in taken_set and number_word(al.hyp[j], rule.number_like)]
    if rule.another_digit is not None:
        stray += [int(al.substitute[k]) for k in range(start, end) if al.substitute[k] >= 0
                  and sounds_like_another_digit(al.ref[k], al.hyp[int(al.substitute[k])], rule.another_digit)]
    if stray:
        heard_as = " ".join(al.hyp_words[min(*placed, *stray):max(*placed, *stray) + 1])
        return NumberJudged(heard, True, heard_as)
    return NumberJudged(heard, changed, al.heard_words(start, end, misheard=rule.misheard_shown))
