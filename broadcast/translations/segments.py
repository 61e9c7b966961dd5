"""Split an approved Vietnamese body into sentences, keeping paragraphs and line breaks,
and put translated sentences back together in the same shape."""

from __future__ import annotations

import re

from broadcast.translations.models import Segment

# Abbreviations that end in a full stop but do not end a sentence (followed by a capital
# letter in normal use: "TP. Sơn La", "Th.S. Nguyễn").
ABBREVIATIONS = ("TP.", "Tp.", "TX.", "TT.", "ThS.", "Th.S.", "TS.", "BS.", "PGS.", "GS.", "KS.",
                 "Q.", "P.", "St.", "Ths.", "v.v.", "ĐT.", "Đ/c.", "đ/c.")
_BOUNDARY = re.compile(r"(?<=[.!?…])[\"”’)\]]*\s+(?=[\"“‘(\[]?[A-ZÀ-ỸĐ0-9])")
_UNIT_ID = re.compile(r"^p(\d+)(?:-l(\d+))?-s(\d+)$")


def split_sentences(line: str) -> list[str]:
    """Sentences of one line. A boundary is . ! ? … then space then a capital or digit,
    except after a known abbreviation."""
    out: list[str] = []
    start = 0
    for m in _BOUNDARY.finditer(line):
        piece = line[start:m.start()]
        words = piece.split()
        if words and words[-1] in ABBREVIATIONS:
            continue
        if piece.strip():
            out.append(piece.strip())
        start = m.end()
    rest = line[start:].strip()
    if rest:
        out.append(rest)
    return out


def segment(body: str) -> list[Segment]:
    """Sentences of the body, in order; blank lines separate paragraphs."""
    paragraphs = [p for p in re.split(r"\n\s*\n", body.strip()) if p.strip()]
    out: list[Segment] = []
    for p_no, para in enumerate(paragraphs, start=1):
        lines = [ln for ln in para.split("\n") if ln.strip()]
        multiline = len(lines) > 1
        for l_no, line in enumerate(lines, start=1):
            for s_no, sentence in enumerate(split_sentences(line.strip()), start=1):
                out.append(Segment(p_no, l_no, s_no, sentence, multiline))
    return out


def parse_unit_id(unit_id: str) -> tuple[int, int, int] | None:
    """(paragraph, line, sentence) from a unit id such as p2-s1 or p3-l2-s1."""
    m = _UNIT_ID.match(unit_id.strip())
    if not m:
        return None
    return int(m.group(1)), int(m.group(2) or 1), int(m.group(3))


def assemble(pieces: list[tuple[str, str]]) -> str:
    """Translated text from (unit id, target) pairs: sentences of a line joined by a space,
    lines by a newline, paragraphs by a blank line."""
    placed: dict[int, dict[int, list[tuple[int, str]]]] = {}
    for unit_id, target in pieces:
        where = parse_unit_id(unit_id)
        if where is None:
            raise ValueError(f"unit id {unit_id!r} does not name a paragraph and sentence")
        p, ln, s = where
        placed.setdefault(p, {}).setdefault(ln, []).append((s, target.strip()))
    paragraphs = []
    for p in sorted(placed):
        lines = [" ".join(t for _, t in sorted(placed[p][ln]) if t) for ln in sorted(placed[p])]
        paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)
