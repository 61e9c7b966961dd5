"""What was heard set against what was said, syllable by syllable.

Both sides are words in compare form (spoken.tokens). Two syllables are compared without tone
or vowel marks (đ → d; rapidfuzz ratio): Whisper base on synthetic Vietnamese gets a syllable
right far more often than its tone ("mười hai" heard as "mươi hài"). Number words are the
exception: two different number words are never alike ("lăm" heard as "sáu" is another number,
whatever the letters), while the spellings of one number ("lăm"/"năm", "tư"/"bốn", "lẻ"/"linh",
"ngàn"/"nghìn"; "mốt"/"một" differ by tone only) are the same word. The alignment is an edit distance where a
substitution of alike syllables costs 1 − similarity, of syllables not alike 1, and a syllable
left out or added 1. Per syllable of the text it gives the heard syllable it met (or none) and
how alike they were: enough to say how much of the text the transcript covers, which sentences
were heard and what was heard where a number should be."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import numpy as np
from rapidfuzz import fuzz, process

# Tone marks (grave, acute, tilde, hook above, dot below); the vowel marks (circumflex, breve,
# horn) are kept where they tell number words apart: "sáu" (six) is not "sâu" (deep).
_TONES = frozenset("\u0300\u0301\u0303\u0309\u0323")
# Number words without tones, one spelling each (see _SPELLINGS).
NUMBER_WORDS = frozenset({"không", "môt", "hai", "ba", "bôn", "năm", "sau", "bay", "tam", "chin", "mươi",
                          "trăm", "nghin", "triêu", "ty", "linh", "phây"})
# Other spellings of a number word after another number word ("mười lăm", "hai mươi tư", "một
# trăm lẻ năm", "hai ngàn").
_SPELLINGS = {"lăm": "năm", "tư": "bôn", "le": "linh", "ngan": "nghin"}
# Two different number words whose letters are less alike than this are another number heard;
# more alike ("bảy"/"hài", "tám"/"năm") they are as likely the base model mishearing the same one.
CLEARLY_OTHER = 0.5
# A heard syllable whose letters are this alike to a number word's is taken as that number word
# when judging a number ("chính" and "chim" as "chín", "hông" as "không").
NUMBER_LIKE = 0.75
# Heard sounds that are no word: a reader's hesitations, never held against a reading.
HESITATIONS = frozenset({"ơ", "ơm", "ư", "ưm", "a", "ah", "um", "uh", "eh", "er", "hm", "hmm", "ây"})


def toneless(word: str) -> str:
    decomposed = unicodedata.normalize("NFD", word.lower())
    return unicodedata.normalize("NFC", "".join(c for c in decomposed if c not in _TONES))


def fold(text: str) -> str:
    """Without tones and diacritics (đ → d), lower case."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


_NUMBERS = sorted(NUMBER_WORDS)
_FOLDED_NUMBERS = [fold(w) for w in _NUMBERS]


def canonical(words: list[str]) -> list[str]:
    """Toneless syllables, one spelling per number word (a variant spelling counts after another
    number word only: "tư" alone is "private", "lẻ" alone "odd")."""
    out: list[str] = []
    for w in words:
        t = toneless(w)
        if out and out[-1] in NUMBER_WORDS and t in _SPELLINGS:
            t = _SPELLINGS[t]
        out.append(t)
    return out


@dataclass
class Alignment:
    ref: list[str]             # canonical syllables of the text
    hyp: list[str]             # canonical syllables heard (hesitations left out)
    hyp_words: list[str]       # the same, as heard (for messages)
    partner: np.ndarray        # per text syllable: the heard syllable it met, or -1
    similarity: np.ndarray     # per text syllable: 0–1, 0 where it met nothing alike

    def covered(self, start: int, end: int) -> float:
        """Share of text syllables [start, end) that met a heard syllable, alike or not: how
        much of that stretch the transcript has something for."""
        return float(np.mean(self.partner[start:end] >= 0)) if end > start else 1.0

    def heard(self, start: int, end: int) -> float:
        """How well text syllables [start, end) were heard: their mean similarity."""
        return float(self.similarity[start:end].mean()) if end > start else 1.0

    def heard_as(self, start: int, end: int) -> str:
        """The heard syllables where text syllables [start, end) are, as heard."""
        idx = [int(j) for j in self.partner[start:end] if j >= 0]
        return " ".join(self.hyp_words[min(idx):max(idx) + 1]) if idx else ""

    def number_heard(self, start: int, end: int) -> float:
        """How well the number words among text syllables [start, end) were heard (the words
        around them — "giờ", "tháng", "ủy ban nhân dân" — do not make a number); all of them
        where there is no number word."""
        own = [i for i in range(start, end) if self.ref[i] in NUMBER_WORDS]
        return float(self.similarity[own].mean()) if own else self.heard(start, end)

    def changed_number(self, start: int, end: int) -> bool:
        """Was a number word of text syllables [start, end) heard as a clearly different number
        word, or a number word heard among them that meets nothing of the text? A heard syllable
        counts as the number word its letters are NUMBER_LIKE alike to ("chính" is "chín"); a
        different number word is clearly different when its letters are under CLEARLY_OTHER
        alike to the text's ("một" heard as "chín", not "bảy" heard as "hài")."""
        met = [(i, int(self.partner[i])) for i in range(start, end) if self.partner[i] >= 0]
        for i, j in met:
            heard = number_word(self.hyp[j])
            if self.ref[i] in NUMBER_WORDS and heard is not None and heard != self.ref[i] \
                    and fuzz.ratio(fold(self.ref[i]), fold(heard)) < CLEARLY_OTHER * 100:
                return True
        if not met:
            return False
        partnered = set(int(j) for j in self.partner if j >= 0)
        lo, hi = met[0][1], met[-1][1]
        return any(j not in partnered and number_word(self.hyp[j]) is not None for j in range(lo, hi + 1))


def number_word(syllable: str) -> str | None:
    """The number word a (canonical) heard syllable is, or sounds like in its letters."""
    if syllable in NUMBER_WORDS:
        return syllable
    best = process.extractOne(fold(syllable), _FOLDED_NUMBERS, scorer=fuzz.ratio, score_cutoff=NUMBER_LIKE * 100)
    return _NUMBERS[best[2]] if best else None


def align(ref_words: list[str], hyp_words: list[str], match: float) -> Alignment:
    """Text syllables against heard syllables (see the module docstring); two syllables count as
    alike from `match` (0–1) up."""
    kept = [w for w in hyp_words if toneless(w) not in HESITATIONS]
    ref, hyp = canonical(ref_words), canonical(kept)
    n, m = len(ref), len(hyp)
    partner = np.full(n, -1)
    similarity = np.zeros(n)
    if n == 0 or m == 0:
        return Alignment(ref, hyp, kept, partner, similarity)
    sim = process.cdist([fold(w) for w in ref], [fold(w) for w in hyp], scorer=fuzz.ratio, dtype=np.float32) / 100.0
    ref_num = np.array([w in NUMBER_WORDS for w in ref])
    hyp_num = np.array([w in NUMBER_WORDS for w in hyp])
    same = np.array(ref, dtype=object)[:, None] == np.array(hyp, dtype=object)[None, :]
    sim = np.where(ref_num[:, None] & hyp_num[None, :] & ~same, 0.0, sim)
    sim = np.where(same, 1.0, np.where(sim >= match, sim, 0.0))
    cost = 1.0 - sim
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
    i, j = n, m
    while i > 0 and j > 0:
        step = moves[i, j]
        if step == 0:
            partner[i - 1] = j - 1
            similarity[i - 1] = sim[i - 1, j - 1]
            i, j = i - 1, j - 1
        elif step == 1:
            i -= 1
        else:
            j -= 1
    return Alignment(ref, hyp, kept, partner, similarity)
