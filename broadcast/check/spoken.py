"""What the voice was given to say, in the form check compares: one normaliser, one reading.

The speech stage says `broadcast.speech.spoken_paragraphs(lang, text)`: the Markdown cleaned,
the whole text normalised (`broadcast.speech.normalize.normalize`: numbers, dates, codes and
abbreviations become words), then split into sentences. `spoken_text` takes exactly those
sentences, in compare form (lower case, no punctuation), so whatever the normaliser says is
what check expects to hear — "48/2010/QH12" is expected as the normaliser reads it
("… năm hai nghìn …"), never as a second reader would.

Each number of the approved text (anything written with a digit: dates, times, amounts, phone
numbers, document codes) is found in that reading by aligning the text's own words with the
spoken words: a word the normaliser left as it was pairs with itself, and each run of words it
changed owns the spoken words between its unchanged neighbours. A run with a digit in it is a
number mention: its written form (as in the approved text) and the spoken words it became."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from broadcast.speech import spoken_paragraphs
from broadcast.speech.shaping import clean_markdown
from broadcast.transcription.guard import normalise

_HAN = re.compile(r"[\u3400-\u9fff]")
# Written around a number but not part of it: sentence punctuation, brackets, quotes.
_EDGE = ".,;:!?…()[]{}\"'“”‘’«»"
# A word the normaliser changed costs 1, each spoken word it became this little more (so a
# changed word takes the spoken words it stands for, not its unchanged neighbour's twin).
_ABSORB = 1e-3


def tokens(text: str) -> list[str]:
    """Words (Vietnamese: syllables); each Han character counts as one."""
    return _HAN.sub(lambda m: f" {m.group(0)} ", text).split()


@dataclass(frozen=True)
class NumberMention:
    written: str      # as in the approved text: "0212 3845 123", "48/2010/QH12"
    spoken: str       # what the normaliser made of it, compare form: "không hai một hai ba tám …"
    sentence: int = 0 # index of the spoken sentence it is in
    start: int = 0    # its words in SpokenText.words: [start, end)
    end: int = 0


@dataclass(frozen=True)
class SpokenSentence:
    text: str         # the approved text's words for it, as written
    spoken: str       # compare form of what the voice was given
    start: int        # its words in SpokenText.words: [start, end)
    end: int


@dataclass(frozen=True)
class SpokenText:
    """An approved text as the voice says it."""

    words: list[str]
    sentences: list[SpokenSentence] = field(default_factory=list)
    numbers: list[NumberMention] = field(default_factory=list)

    @property
    def reference(self) -> str:
        """The whole reading in compare form (what CER is measured against)."""
        return " ".join(self.words)


def spoken_text(text: str, lang: str) -> SpokenText:
    """`text` (approved, in `lang`) as the speech stage reads it: sentences and number mentions."""
    sentences = [s for paragraph in spoken_paragraphs(lang, text) for s in paragraph]
    words: list[str] = []
    spans: list[tuple[int, int]] = []
    for sentence in sentences:
        w = tokens(normalise(sentence))
        spans.append((len(words), len(words) + len(w)))
        words += w
    raw = clean_markdown(text)
    pieces = [(m.start(), m.end()) for m in re.finditer(r"\S+", raw)]
    raw_words: list[str] = []
    owner: list[int] = []          # the raw piece each raw word comes from
    for k, (a, b) in enumerate(pieces):
        for w in tokens(normalise(raw[a:b])):
            raw_words.append(w)
            owner.append(k)
    taken = _align(raw_words, words)

    def written(first: int, last: int) -> str:
        return raw[pieces[owner[first]][0]:pieces[owner[last]][1]].strip(_EDGE + " ")

    def sentence_of(j: int) -> int:
        return next((k for k, (a, b) in enumerate(spans) if a <= j < b), len(spans) - 1)

    out_sentences = []
    for a, b in spans:
        # Its raw words: those said in it, and a changed one that took no word of its own ("123"
        # after "0212 3845" took the whole phone number) at its end.
        mine = [i for i, (s, e, _same) in enumerate(taken) if s < b and e > a or s == e and (a < s <= b or s == a == 0)]
        out_sentences.append(SpokenSentence(written(mine[0], mine[-1]) if mine else " ".join(words[a:b]),
                                            " ".join(words[a:b]), a, b))
    numbers: list[NumberMention] = []
    for first, last, start, end in _runs(raw_words, taken):
        if end > start and any(ch.isdigit() for w in raw_words[first:last + 1] for ch in w):
            numbers.append(NumberMention(written(first, last), " ".join(words[start:end]), sentence_of(start),
                                         start, end))
    return SpokenText(words, out_sentences, numbers)


def number_mentions(text: str, lang: str) -> list[NumberMention]:
    """Every number, date, time, code and phone number of the approved text, in reading order,
    with the spoken words the normaliser made of it (see the module docstring)."""
    return spoken_text(text, lang).numbers


def _runs(raw_words: list[str], taken: list[tuple[int, int, bool]]) -> list[tuple[int, int, int, int]]:
    """(first raw word, last raw word, spoken start, spoken end) of each run of changed raw words,
    and of each run of unchanged words that still have a digit (a language the normaliser leaves
    alone keeps its digits: "0212 3845 123" is then said as written)."""
    out: list[tuple[int, int, int, int]] = []
    i = 0
    while i < len(taken):
        same = taken[i][2]
        digit = any(ch.isdigit() for ch in raw_words[i])
        if same and not digit:
            i += 1
            continue
        j = i
        while j + 1 < len(taken) and taken[j + 1][2] == same and \
                (not same or any(ch.isdigit() for ch in raw_words[j + 1])):
            j += 1
        out.append((i, j, taken[i][0], taken[j][1]))
        i = j + 1
    return out


def _align(raw: list[str], spoken: list[str]) -> list[tuple[int, int, bool]]:
    """For each raw word, the spoken words [start, end) it became and whether it stayed itself.
    Edit distance where a raw word kept as it is costs 0, a raw word changed into any number of
    spoken words costs 1 (+ _ABSORB a word), and a spoken word nothing stands for costs 1."""
    n, m = len(raw), len(spoken)
    ids: dict[str, int] = {}
    spoken_ids = np.array([ids.setdefault(w, len(ids)) for w in spoken], dtype=np.int64)
    absorb = np.arange(m + 1) * _ABSORB
    # closed[j]: the best cost of raw[:i] said as spoken[:j]; the moves are kept for the backtrace.
    closed = _insertions(np.concatenate(([0.0], np.full(m, np.inf))))
    keep = np.zeros((n + 1, m + 1), dtype=bool)       # raw[i-1] is spoken[j-1], unchanged
    start = np.zeros((n + 1, m + 1), dtype=np.int32)  # else raw[i-1] changed into spoken[start:j]
    inserted = np.zeros((n + 1, m + 1), dtype=bool)   # spoken[j-1] stands for no raw word
    inserted[0, 1:] = True
    for i in range(1, n + 1):
        opened = closed + 1.0 - absorb
        best_k = _running_argmin(opened)
        changed = opened[best_k] + absorb
        same = np.full(m + 1, np.inf)
        same[1:] = np.where(spoken_ids == ids.get(raw[i - 1], -1), closed[:-1], np.inf)
        row = np.minimum(changed, same)
        keep[i] = same <= changed
        start[i] = best_k
        closed = _insertions(row)
        inserted[i] = closed < row - 1e-9      # (row - j) + j may round below row
    taken: list[tuple[int, int, bool]] = [(0, 0, False)] * n
    i, j = n, m
    while i > 0:
        if inserted[i, j]:
            j -= 1
        elif keep[i, j]:
            taken[i - 1] = (j - 1, j, True)
            i, j = i - 1, j - 1
        else:
            k = int(start[i, j])
            taken[i - 1] = (k, j, False)
            i, j = i - 1, k
    return taken


def _running_argmin(values: np.ndarray) -> np.ndarray:
    """For each j, the last index k ≤ j where values[:j+1] is smallest."""
    best = np.minimum.accumulate(values)
    return np.maximum.accumulate(np.where(values == best, np.arange(len(values)), 0))


def _insertions(row: np.ndarray) -> np.ndarray:
    """row[j] = min over k ≤ j of row[k] + (j - k): spoken words nothing stands for, cost 1 each."""
    cols = np.arange(len(row), dtype=np.float64)
    return np.minimum.accumulate(row - cols) + cols
