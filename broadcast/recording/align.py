"""Alignment of what was heard with what was approved, syllable by syllable.

Both sides are brought to the compare form `broadcast check` uses (speech normalisation: numbers,
dates and abbreviations spelled out; lower case; no punctuation), then folded (no tones or
diacritics: Whisper base gets a Vietnamese syllable right far more often than its tone) and the
spellings of one number word unified ("lăm"/"năm" after "mười", "ngàn"/"nghìn", "lẻ"/"linh",
"tư"/"bốn" after "mươi"). The two syllable sequences are aligned by edit distance where a
substitution costs 1 − similarity (rapidfuzz ratio) when the syllables are alike, 1 otherwise,
and two different number words are never alike. What comes back says, for every syllable of the
text, which heard syllable it met and how alike they were, and which heard syllables met none."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

# Vietnamese tone marks (grave, acute, tilde, hook above, dot below) as combining characters;
# the vowel marks (circumflex, breve, horn) tell words apart and are kept for number words.
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
# Number words without tones. A syllable of a number heard as a different one of these is a
# changed number ("mười lăm" heard as "mười sáu"); "sâu" (deep) is not "sáu" (six).
NUMBER_WORDS = frozenset({"không", "môt", "hai", "ba", "bôn", "năm", "sau", "bay", "tam", "chin", "mươi",
                          "trăm", "nghin", "triêu", "ty", "linh", "phây"})
# Other spellings of a number word after another number word: "mười lăm", "hai mươi tư",
# "một trăm lẻ năm", "hai ngàn" ("mốt" and "một" are one word without tones).
# Each applies only after the words named ("năm" is also "year": "năm từ …" is not "năm bốn").
_AFTER_NUMBER = {"lăm": ("năm", {"mươi"}), "tư": ("bôn", {"mươi"}), "le": ("linh", {"trăm", "nghin"}),
                 "ngan": ("nghin", NUMBER_WORDS - {"mươi", "trăm", "nghin", "triêu", "ty", "linh", "phây"})}
HESITATIONS = frozenset({"ơ", "ơm", "ư", "ưm", "a", "ah", "um", "uh", "eh", "er", "hm", "hmm", "ây"})


def toneless(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))


def fold_word(word: str) -> str:
    """No tone, no vowel mark, đ → d: what two syllables are compared as."""
    decomposed = unicodedata.normalize("NFD", word.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def canonical(words: list[str]) -> list[str]:
    """Toneless syllables with one spelling per number word."""
    out: list[str] = []
    for w in words:
        t = toneless(w)
        if out and t in _AFTER_NUMBER and out[-1] in _AFTER_NUMBER[t][1]:
            t = _AFTER_NUMBER[t][0]
        out.append(t)
    return out


@dataclass
class Alignment:
    ref: list[str]             # canonical syllables of the text
    hyp: list[str]             # canonical syllables heard
    hyp_words: list[str]       # the heard syllables as written (for messages)
    partner: np.ndarray        # per text syllable: index of the heard syllable it met, or -1
    similarity: np.ndarray     # per text syllable: 0–1 (0 where it met nothing alike)
    inserted: list[int]        # heard syllables that met no text syllable
    substitute: np.ndarray     # per text syllable: the heard syllable in its place that was not alike, or -1

    def present_share(self, start: int, end: int) -> float:
        """How much of text syllables [start, end) has something heard in its place (alike or not):
        a syllable misheard is there, one left out is not."""
        if end <= start:
            return 1.0
        return float(((self.partner[start:end] >= 0) | (self.substitute[start:end] >= 0)).mean())

    def heard_share(self, start: int, end: int, runs: bool = True) -> float:
        """How much of text syllables [start, end) was heard: the mean similarity of the syllables
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

    def heard_words(self, start: int, end: int) -> str:
        """What was heard where text syllables [start, end) are, as written."""
        idx = [int(j) for j in self.partner[start:end] if j >= 0]
        if not idx:
            return ""
        return " ".join(self.hyp_words[min(idx):max(idx) + 1])


def align(ref_words: list[str], hyp_words: list[str], match: float) -> Alignment:
    """Edit-distance alignment of text syllables with heard syllables; two syllables at least
    `match` alike (0–1) count as the same one heard, with that similarity as its credit."""
    hyp_kept = [w for w in hyp_words if toneless(w) not in HESITATIONS]
    ref, hyp = canonical(ref_words), canonical(hyp_kept)
    n, m = len(ref), len(hyp)
    if n == 0 or m == 0:
        return Alignment(ref, hyp, hyp_kept, np.full(n, -1), np.zeros(n), list(range(m)), np.full(n, -1))
    sim = process.cdist([fold_word(w) for w in ref], [fold_word(w) for w in hyp], scorer=fuzz.ratio,
                        dtype=np.float32) / 100.0
    ref_num = np.array([w in NUMBER_WORDS for w in ref])
    hyp_num = np.array([w in NUMBER_WORDS for w in hyp])
    same = np.array(ref)[:, None] == np.array(hyp)[None, :]
    sim = np.where(ref_num[:, None] & hyp_num[None, :] & ~same, 0.0, sim)
    sim = np.where(sim >= match, sim, 0.0)
    cost = 1.0 - sim          # a substitution of syllables not alike costs 1
    cols = np.arange(m + 1, dtype=np.float64)
    prev = cols.copy()
    moves = np.zeros((n + 1, m + 1), dtype=np.int8)   # 0 diagonal, 1 text syllable unheard, 2 heard extra
    moves[0, 1:] = 2
    for i in range(1, n + 1):
        diag = prev[:-1] + cost[i - 1]
        up = prev[1:] + 1.0
        best = np.minimum(diag, up)
        row = np.empty(m + 1)
        row[0] = i
        row[1:] = best
        # a run of heard extras: row[j] = min over k ≤ j of best[k] + (j - k)
        row = np.minimum.accumulate(row - cols) + cols
        move = np.where(diag <= up, 0, 1).astype(np.int8)
        move = np.where(row[1:] < best - 1e-9, 2, move)
        moves[i, 0] = 1
        moves[i, 1:] = move
        prev = row
    partner = np.full(n, -1)
    substitute = np.full(n, -1)
    similarity = np.zeros(n)
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
    return Alignment(ref, hyp, hyp_kept, partner, similarity, sorted(inserted), substitute)


def words(text: str) -> list[str]:
    """Syllables of a compare-form text; each Han character counts as one."""
    return re.sub(r"([\u3400-\u9fff])", r" \1 ", text).split()
