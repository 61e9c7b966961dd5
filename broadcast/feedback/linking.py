"""Which announcement a recording answers, and which items raise the same problem.

Suggesting the announcement: a citizen who calls about an announcement repeats its key words
("lịch tiêm chủng", "bản Mến", "trạm y tế"), in Whisper's spelling. The transcript is compared
with each announcement that aired in the item's area over the last `[feedback] link_days` days
(the as-run log of `broadcast play`, and the announcements' own schedules for what was played
by hand) as TF-IDF vectors over words, word pairs and letter triples (the triples still match
a word Whisper misspelt by one letter), by cosine similarity. Words every announcement shares
weigh little; the politeness and function words of a voice message are left out. The best
candidate above MIN_LINK_SCORE is suggested; the reviewer confirms it (`cases.link`).

Grouping near-duplicates: many citizens report the same flooded road or the same power cut in
their own words. Two open items whose transcripts score GROUP_SCORE or more by rapidfuzz's
token-set ratio (word order and extra words do not count against them) are near-duplicates;
groups are the connected sets of such pairs, never across two known, different areas."""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from rapidfuzz import fuzz, process, utils

from broadcast.core import db
from broadcast.core.config import Workspace
from broadcast.core.models import Announcement
from broadcast.feedback.models import FeedbackItem
from broadcast.intake.announcements import load_announcements

MIN_LINK_SCORE = 0.15
GROUP_SCORE = 72.0
# A transcript this short matches anything that contains it: it must match as a whole.
SHORT_WORDS = 4
# The words of a voice message that say nothing about its subject.
FUNCTION_WORDS = frozenset("""
    à ạ ơi nhé nha ừ vâng dạ thì là mà và với của cho có không được các những này kia đó ấy
    thế nào gì sao như nhưng vì nên cũng rất lắm quá đã đang sẽ vẫn còn rồi mới ở tại trong
    ra vào lên xuống về đến từ khi lúc một tôi em anh chị ông bà cháu chúng mình họ ai xin
    cảm ơn hỏi muốn nói biết thấy bao giờ hay hoặc nếu thôi luôn đây đấy
""".split())
WORD_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True)
class Suggestion:
    announcement_id: str
    title: str
    score: float   # cosine similarity, 0–1


def words(text: str) -> list[str]:
    """The words of a text, lower case, NFC, without the function words."""
    text = unicodedata.normalize("NFC", text or "").lower()
    return [w for w in WORD_RE.findall(text) if w not in FUNCTION_WORDS and not w.isdigit()]


def features(text: str) -> Counter:
    """Words, adjacent word pairs, and the letter triples of each word (with its edges)."""
    ws = words(text)
    out: Counter = Counter(ws)
    out.update(f"{a} {b}" for a, b in zip(ws, ws[1:]))
    for w in ws:
        padded = f"<{w}>"
        out.update(f"#{padded[i:i + 3]}" for i in range(len(padded) - 2))
    return out


def _vector(counts: Counter, idf: dict[str, float], default_idf: float) -> dict[str, float]:
    vec = {f: (1 + math.log(n)) * idf.get(f, default_idf) for f, n in counts.items()}
    norm = math.sqrt(sum(v * v for v in vec.values()))
    return {f: v / norm for f, v in vec.items()} if norm else {}


def rank(text: str, documents: dict[str, str]) -> list[tuple[str, float]]:
    """(document key, cosine similarity) of `text` against each document, best first, by
    TF-IDF with smoothed inverse document frequencies over the documents given."""
    doc_features = {key: features(body) for key, body in documents.items()}
    n = len(doc_features)
    df: Counter = Counter()
    for feats in doc_features.values():
        df.update(feats.keys())
    idf = {f: math.log((1 + n) / (1 + k)) + 1 for f, k in df.items()}
    default_idf = math.log(1 + n) + 1   # a feature no document has
    query = _vector(features(text), idf, default_idf)
    scores = []
    for key, feats in doc_features.items():
        doc = _vector(feats, idf, default_idf)
        scores.append((key, sum(v * doc.get(f, 0.0) for f, v in query.items())))
    return sorted(scores, key=lambda kv: (-kv[1], kv[0]))


def announcement_text(ann: Announcement) -> str:
    return f"{ann.title}\n{ann.body}"


class AiredAnnouncements:
    """The announcements a recording received on a day, in an area, may answer: those aired
    there in the `days` before (as-run log), and those scheduled there then."""

    def __init__(self, ws: Workspace, days: int) -> None:
        self.ws = ws
        self.days = days
        self._announcements: dict[str, Announcement] | None = None
        self._aired: list[tuple[str, str, date]] | None = None

    @property
    def announcements(self) -> dict[str, Announcement]:
        if self._announcements is None:
            good, _bad = load_announcements([self.ws.announcements_dir], self.ws.config, check_expiry=False)
            self._announcements = {a.id: a for a in good}
        return self._announcements

    @property
    def aired(self) -> list[tuple[str, str, date]]:
        """(announcement id, area, day) of every item the as-run log says went on air."""
        if self._aired is None:
            self._aired = []
            if self.ws.db_path.is_file():
                conn = db.connect(self.ws.db_path)
                try:
                    self._aired = [(r[0], r[1], date.fromisoformat(r[2])) for r in conn.execute(
                        "SELECT DISTINCT announcement, area, day FROM as_run_log"
                        " WHERE result = 'aired' AND announcement IS NOT NULL")]
                finally:
                    conn.close()
        return self._aired

    def candidates(self, area: str | None, day: date) -> list[Announcement]:
        start = day - timedelta(days=self.days)
        ids = {a for a, where, when in self.aired if start <= when <= day and (area is None or where == area)}
        for ann in self.announcements.values():
            if (area is None or area in ann.areas) and any(start <= d <= day for d in ann.dates):
                ids.add(ann.id)
        return [self.announcements[i] for i in sorted(ids) if i in self.announcements]

    def ranked(self, text: str, *, area: str | None, day: date) -> list[Suggestion]:
        anns = {a.id: a for a in self.candidates(area, day)}
        if not anns or not words(text):
            return []
        return [Suggestion(key, anns[key].title, score)
                for key, score in rank(text, {k: announcement_text(a) for k, a in anns.items()})]

    def suggest(self, text: str, *, area: str | None, day: date) -> Suggestion | None:
        ranked = self.ranked(text, area=area, day=day)
        return ranked[0] if ranked and ranked[0].score >= MIN_LINK_SCORE else None


# ---------------------------------------------------------------------- near-duplicates

def similarity(a: str, b: str) -> float:
    """0–100: rapidfuzz's token-set ratio, or its token-sort ratio when either text is short
    (a two-word message is contained in many others without being about the same thing)."""
    short = min(len(words(a)), len(words(b))) < SHORT_WORDS
    scorer = fuzz.token_sort_ratio if short else fuzz.token_set_ratio
    return scorer(_plain(a), _plain(b))


def _plain(text: str) -> str:
    return " ".join(words(text))


def near_duplicate_groups(items: Iterable[FeedbackItem], threshold: float = GROUP_SCORE) -> list[list[FeedbackItem]]:
    """Groups (two items or more, lowest id first; groups ordered by their first item) of
    items whose transcripts say the same thing. Items without words are left out."""
    pool = [i for i in items if words(i.best_transcript)]
    texts = [_plain(i.best_transcript) for i in pool]
    if len(pool) < 2:
        return []
    long_scores = process.cdist(texts, texts, scorer=fuzz.token_set_ratio, processor=utils.default_process)
    parent = list(range(len(pool)))
    area = [i.area for i in pool]       # a group's known area (kept at its root)

    def root(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    for i in range(len(pool)):
        for j in range(i + 1, len(pool)):
            ri, rj = root(i), root(j)
            if ri == rj or area[ri] and area[rj] and area[ri] != area[rj]:
                continue    # one group already, or two groups in two areas (never joined, even through a third)
            short = min(len(texts[i].split()), len(texts[j].split())) < SHORT_WORDS
            score = fuzz.token_sort_ratio(texts[i], texts[j]) if short else float(long_scores[i][j])
            if score >= threshold:
                parent[ri] = rj
                area[rj] = area[rj] or area[ri]
    groups: dict[int, list[FeedbackItem]] = {}
    for k, item in enumerate(pool):
        groups.setdefault(root(k), []).append(item)
    out = [sorted(g, key=lambda i: i.id) for g in groups.values() if len(g) > 1]
    return sorted(out, key=lambda g: g[0].id)
