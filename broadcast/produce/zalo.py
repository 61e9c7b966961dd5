"""The Zalo message text an officer posts beside the voice file.

A Zalo text message holds 2,000 characters, so a long announcement is split into numbered
parts, at sentence ends, each short enough to paste as one message (numbering included).
"""

from __future__ import annotations

import re
from datetime import date

from broadcast.core.config import Area
from broadcast.core.languages import language_name
from broadcast.mastering import PROFILES
from broadcast.produce.models import Scheduled
from broadcast.produce.output import Output
from broadcast.produce.rundown import play_order_key

ZALO_MESSAGE_LIMIT = 2000
# Printed between parts so an officer sees where one message ends and the next begins.
PART_DELIMITER = "-" * 24
# (12/12) at most: a prefix never needs more room than this.
_PREFIX_ROOM = len("(99/99) ")

# A sentence ends at . ! ? … (and their run-ons like "?!" or "..."), optionally followed by
# closing quotes/brackets, then whitespace. Paragraph breaks end a sentence too.
_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]»]*\s+")
_PARAGRAPH = re.compile(r"\n\s*\n")


def _sentences(text: str) -> list[str]:
    out: list[str] = []
    for para_index, para in enumerate(_PARAGRAPH.split(text.strip())):
        para = para.strip()
        if not para:
            continue
        pieces = []
        pos = 0
        for m in _SENTENCE_END.finditer(para):
            pieces.append(para[pos:m.start() + len(m.group(0).rstrip())])
            pos = m.end()
        pieces.append(para[pos:])
        pieces = [p.strip() for p in pieces if p.strip()]
        if para_index and out and pieces:
            pieces[0] = "\n" + pieces[0]   # remember the paragraph break
        out += pieces
    return out


def _split_long(sentence: str, limit: int) -> list[str]:
    """A single sentence longer than `limit`: cut at word boundaries (mid-word only for a
    "word" longer than the limit, e.g. a URL)."""
    words = sentence.split(" ")
    chunks: list[str] = []
    cur = ""
    for w in words:
        while len(w) > limit:
            if cur:
                chunks.append(cur)
                cur = ""
            chunks.append(w[:limit])
            w = w[limit:]
        candidate = f"{cur} {w}" if cur else w
        if len(candidate) <= limit:
            cur = candidate
        else:
            chunks.append(cur)
            cur = w
    if cur:
        chunks.append(cur)
    return chunks


def _join(a: str, b: str) -> str:
    if not a:
        return b.lstrip("\n")
    return a + ("\n" + b if b.startswith("\n") else " " + b)


def split_message(text: str, limit: int = ZALO_MESSAGE_LIMIT) -> list[str]:
    """Split `text` into parts that each fit in one message *with* their "(i/n) " prefix:
    at sentence ends and paragraph breaks, never mid-sentence unless one sentence alone is
    longer than a message (then at word boundaries). Text that fits whole stays one part."""
    text = text.strip()
    if len(text) <= limit:
        return [text] if text else []
    room = limit - _PREFIX_ROOM
    if room < 20:
        raise ValueError(f"limit {limit} leaves no room for text")
    parts: list[str] = []
    cur = ""
    for sentence in _sentences(text):
        pieces = [sentence] if len(sentence.lstrip("\n")) <= room else _split_long(sentence.lstrip("\n"), room)
        for piece in pieces:
            candidate = _join(cur, piece)
            if len(candidate) <= room:
                cur = candidate
            else:
                parts.append(cur)
                cur = piece.lstrip("\n")
    if cur:
        parts.append(cur)
    n = len(parts)
    return [f"({i}/{n}) {p}" for i, p in enumerate(parts, 1)]


def format_date_vi(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def zalo_message(title: str, when: date, lang: str, text: str, *, station: str) -> str:
    """The whole .txt an officer opens: a header, then each part ready to paste. When the text
    is split, every part carries the title line so each message stands on its own."""
    header = f"{station}\n{title}\nNgày {format_date_vi(when)} · {language_name(lang)}"
    whole = f"{header}\n\n{text.strip()}"
    if len(whole) <= ZALO_MESSAGE_LIMIT:
        return whole + "\n"
    short_header = f"{title} – {format_date_vi(when)}"
    limit = ZALO_MESSAGE_LIMIT - len(short_header) - 1
    parts = split_message(text, limit)
    messages = [f"{short_header}\n{p}" for p in parts]
    intro = (f"{header}\n"
             f"Tin nhắn chia {len(parts)} phần (mỗi phần ≤ {ZALO_MESSAGE_LIMIT} ký tự): "
             f"gửi lần lượt từng phần giữa các dòng {PART_DELIMITER[:3]}.")
    return intro + "\n" + "".join(f"{PART_DELIMITER}\n{m}\n" for m in messages) + PART_DELIMITER + "\n"


def package_zalo(out: Output, area_id: str, area: Area, playing: list[Scheduled]) -> None:
    """Per area: one voice file and one message text per announcement and language."""
    folder = out.folder / "zalo" / area_id
    extension = PROFILES["zalo"].extension
    for s in sorted(playing, key=lambda s: play_order_key(s.announcement.priority, s.announcement.id)):
        ann = s.announcement
        if "zalo" not in ann.channels:
            continue
        for r, res in out.ready(ann, area, "zalo"):
            lang = r.language
            out.place(r, res, "zalo", folder / f"{ann.id}-{lang}{extension}", area=area_id)
            text = zalo_message(ann.title, out.day, lang, r.text, station=out.ws.config.station)
            txt = folder / f"{ann.id}-{lang}.txt"
            out.add_file(txt, text.encode("utf-8"), kind="zalo-text", announcement=ann.id, language=lang,
                         area=area_id, approved_text_sha256=r.text_sha256)
