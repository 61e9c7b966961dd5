"""What was heard set against what was said, syllable by syllable: the one alignment that
`broadcast check` (synthetic speech) and `broadcast record` (a person's take) judge a reading on.

Both sides are words in compare form (spoken.tokens). Two syllables are compared without tone
or vowel marks (đ → d; rapidfuzz ratio): Whisper base gets a Vietnamese syllable right far more
often than its tone ("mười hai" heard as "mươi hài"). Number words are the exception: two
different number words are never alike ("lăm" heard as "sáu" is another number, whatever the
letters), while the spellings of one number ("lăm"/"năm", "tư"/"bốn", "lẻ"/"linh", "ngàn"/"nghìn";
"mốt"/"một" differ by tone only) are the same word. The alignment is an edit distance where a
substitution of alike syllables costs 1 − similarity, of syllables not alike 1, and a syllable
left out or added 1. Per syllable of the text it gives the heard syllable it met and how alike
they were, or the heard syllable in its place that was not alike, or nothing; and the heard
syllables that met nothing of the text. How a number is judged on it: check.numbers."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

# Tone marks (grave, acute, tilde, hook above, dot below); the vowel marks (circumflex, breve,
# horn) are kept where they tell number words apart: "sáu" (six) is not "sâu" (deep).
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
# Number words without tones, one spelling each (see the spellings below).
NUMBER_WORDS = frozenset({"không", "môt", "hai", "ba", "bôn", "năm", "sau", "bay", "tam", "chin", "mươi",
                          "trăm", "nghin", "triêu", "ty", "linh", "phây"})
# Heard sounds that are no word: a reader's hesitations, never held against a reading.
HESITATIONS = frozenset({"ơ", "ơm", "ư", "ưm", "a", "ah", "um", "uh", "eh", "er", "hm", "hmm", "ây"})

# Other spellings of a number word: toneless spelling → (the one spelling, the words it must follow).
# In place: each only where it can mean that number ("mười lăm", "hai mươi tư", "một trăm lẻ năm",
# "hai ngàn"): "năm" is also "year", and "năm từ …" is not "năm bốn". What `broadcast record`
# was calibrated with.
SPELLINGS_IN_PLACE = {"lăm": ("năm", frozenset({"mươi"})), "tư": ("bôn", frozenset({"mươi"})),
                      "le": ("linh", frozenset({"trăm", "nghin"})),
                      "ngan": ("nghin", NUMBER_WORDS - {"mươi", "trăm", "nghin", "triêu", "ty", "linh", "phây"})}
# After any number word ("tư" alone is "private", "lẻ" alone "odd"): what `broadcast check`
# was measured with.
SPELLINGS_AFTER_ANY_NUMBER = {"lăm": ("năm", NUMBER_WORDS), "tư": ("bôn", NUMBER_WORDS),
                              "le": ("linh", NUMBER_WORDS), "ngan": ("nghin", NUMBER_WORDS)}

Spellings = dict[str, tuple[str, frozenset[str]]]


def toneless(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))


def fold(text: str) -> str:
    """Without tones and vowel marks (đ → d), lower case: what two syllables are compared as."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def canonical(words: list[str], spellings: Spellings = SPELLINGS_IN_PLACE) -> list[str]:
    """Toneless syllables, one spelling per number word (`spellings`: where another spelling
    counts as that number word)."""
    out: list[str] = []
    for w in words:
        t = toneless(w)
        if out and t in spellings and out[-1] in spellings[t][1]:
            t = spellings[t][0]
        out.append(t)
    return out


@dataclass
class Alignment:
    ref: list[str]             # canonical syllables of the text
    hyp: list[str]             # canonical syllables heard (hesitations left out)
    hyp_words: list[str]       # the same, as heard (for messages)
    partner: np.ndarray        # per text syllable: the alike heard syllable it met, or -1
    similarity: np.ndarray     # per text syllable: 0–1, 0 where it met nothing alike
    inserted: list[int]        # heard syllables that met no text syllable alike
    substitute: np.ndarray     # per text syllable: the heard syllable in its place that was not alike, or -1

    def placed(self) -> np.ndarray:
        """Per text syllable: the heard syllable in its place, alike or not, or -1."""
        return np.where(self.partner >= 0, self.partner, self.substitute)

    def present_share(self, start: int, end: int) -> float:
        """Share of text syllables [start, end) with something heard in their place, alike or
        not: how much of that stretch the transcript has something for (a syllable misheard is
        there, one left out is not)."""
        if end <= start:
            return 1.0
        return float(((self.partner[start:end] >= 0) | (self.substitute[start:end] >= 0)).mean())

    def heard_share(self, start: int, end: int, *, runs: bool) -> float:
        """How well text syllables [start, end) were heard: the mean similarity of the syllables
        heard — with `runs`, only of those heard in a run of two or more (a lone syllable that
        happens to sound alike in unrelated speech — "xã", "và", "cho" — is chance, not the text)."""
        if end <= start:
            return 1.0
        credit = self.similarity * self.in_run() if runs else self.similarity
        return float(credit[start:end].mean())

    def in_run(self) -> np.ndarray:
        """1 for each text syllable heard next to a neighbour heard in order (at most one heard
        syllable between them), else 0."""
        matched = self.partner >= 0
        gap = np.diff(self.partner)
        linked = matched[:-1] & matched[1:] & (gap >= 1) & (gap <= 2)
        out = np.zeros(len(self.partner))
        out[:-1] += linked
        out[1:] += linked
        return (out > 0).astype(float)

    def heard_words(self, start: int, end: int, *, misheard: bool = False) -> str:
        """What was heard where text syllables [start, end) are, as heard: from the first to the
        last heard syllable they met alike (with `misheard`, or heard in their place at all)."""
        met = self.placed() if misheard else self.partner
        idx = [int(j) for j in met[start:end] if j >= 0]
        return " ".join(self.hyp_words[min(idx):max(idx) + 1]) if idx else ""


def align(ref_words: list[str], hyp_words: list[str], match: float,
          spellings: Spellings = SPELLINGS_IN_PLACE) -> Alignment:
    """Text syllables against heard syllables (see the module docstring); two syllables count as
    alike from `match` (0–1) up; `spellings`: see canonical."""
    kept = [w for w in hyp_words if toneless(w) not in HESITATIONS]
    ref, hyp = canonical(ref_words, spellings), canonical(kept, spellings)
    n, m = len(ref), len(hyp)
    partner = np.full(n, -1)
    substitute = np.full(n, -1)
    similarity = np.zeros(n)
    if n == 0 or m == 0:
        return Alignment(ref, hyp, kept, partner, similarity, list(range(m)), substitute)
    sim = process.cdist([fold(w) for w in ref], [fold(w) for w in hyp], scorer=fuzz.ratio, dtype=np.float32) / 100.0
    ref_num = np.array([w in NUMBER_WORDS for w in ref])
    hyp_num = np.array([w in NUMBER_WORDS for w in hyp])
    same = np.array(ref, dtype=object)[:, None] == np.array(hyp, dtype=object)[None, :]
    sim = np.where(ref_num[:, None] & hyp_num[None, :] & ~same, 0.0, sim)
    sim = np.where(sim >= match, sim, 0.0)
    cost = 1.0 - sim           # a substitution of syllables not alike costs 1
    cols = np.arange(m + 1, dtype=np.float64)
    prev = cols.copy()
    moves = np.zeros((n + 1, m + 1), dtype=np.int8)   # 0 met, 1 text syllable left out, 2 heard extra
    moves[0, 1:] = 2
    moves[1:, 0] = 1
    for i in range(1, n + 1):
        diag = prev[:-1] + cost[i - 1]
        up = prev[1:] + 1.0
        best = np.minimum(diag, up)
        row = np.concatenate(([float(i)], best))
        row = np.minimum.accumulate(row - cols) + cols     # runs of heard extras, 1 each
        move = np.where(diag <= up, 0, 1).astype(np.int8)
        moves[i, 1:] = np.where(row[1:] < best - 1e-9, 2, move)
        prev = row
    inserted: list[int] = []
    i, j = n, m
    while i > 0 or j > 0:
        step = moves[i, j]
        if step == 0:
            if sim[i - 1, j - 1] > 0:
                partner[i - 1] = j - 1
                similarity[i - 1] = sim[i - 1, j - 1]
            else:
                inserted.append(j - 1)
                substitute[i - 1] = j - 1
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            inserted.append(j - 1)
            j -= 1
    return Alignment(ref, hyp, kept, partner, similarity, sorted(inserted), substitute)
