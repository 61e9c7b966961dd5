"""Masking of personal numbers (phone numbers, CCCD, CMND) in feedback transcripts.

Citizens read out their phone or ID number in a voice message; a redacted export must not
carry it. Whisper writes such a number in digits ("0912 345 678", "(0213) 3876 555",
"+84-912-345-678", "001.203.004.567") or in words, digit by digit ("không chín một hai …"),
in groups ("ba trăm bốn mươi lăm"), or in tens ("chín mươi mốt"). A single-regex approach
either cuts such numbers in two (a mask, then "567") or masks counts and dates, so this
module works in three steps:

1. find *runs*: digit groups joined by one space, dot or dash (or a parenthesised group), or
   number words joined by spaces and punctuation; amount words (nghìn, triệu, tỷ) end a run;
2. turn the run into *chunks* of digits ("ba trăm bốn mươi lăm" -> "345", each digit group
   -> its digits), so that any reading of a number counts its true number of digits;
3. decide: a run with fewer than 9 digits is a count, a date or a house number and stays; a
   run of 9 or more digits is personal, unless it is an amount (followed by đồng, nghìn …).
   The longest piece that has the shape of a phone number, CCCD or CMND gets that mask (so
   "năm 2025 0912345678" keeps "năm 2025"); a long run with no such shape gets NUMBER_MASK.

The kind comes from the words just before the number ("CCCD", "căn cước", "CMND", "chứng
minh", "điện thoại", "gọi" …), else from its digits: 10–11 digits starting with 0, or 11–12
starting with 84 (also written +84), is a phone; 12 digits starting with 0 a CCCD; 9 digits
a CMND (or a mobile number read without its 0, when it starts with 5, 7, 8 or 9).

Masks contain no digits and no number words, so redacting twice gives the same text."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

PHONE_MASK = "[số điện thoại đã ẩn]"
CCCD_MASK = "[số CCCD đã ẩn]"
CMND_MASK = "[số CMND đã ẩn]"
NUMBER_MASK = "[dãy số đã ẩn]"
# The name older code imports: a citizen ID number today is a CCCD.
ID_MASK = CCCD_MASK

MIN_DIGITS = 9  # the shortest personal number (CMND); counts, dates and house numbers are shorter
MAX_CHUNKS = 64  # a run longer than this is masked whole instead of searched piece by piece

# --- digits -----------------------------------------------------------------------------------
# One group: digits, or a parenthesised area/country code "(0213)", "(+84)". The first group
# may carry the "+" of "+84". Groups are joined by one space, dot or dash (with spaces around
# it: "0912 - 345 - 678"), or directly after a closing parenthesis: "(024)38251234". A comma
# does not join digit groups: "1, 12, 103" is a list, not a number.
_PAREN = r"\(\s?\+?\d{1,4}\s?\)"
_JOIN = r"(?:[ \u00a0]?[.\-\u2013][ \u00a0]?|[ \u00a0]|(?<=\)))"
_DIGITS = rf"(?<![\d+])(?:{_PAREN}|\+\s?\d+|\d+)(?:{_JOIN}(?:{_PAREN}|\d+))*"
_GROUP_RE = re.compile(rf"{_PAREN}|\+\s?\d+|\d+")

# --- words ------------------------------------------------------------------------------------
# Every word Whisper writes for a digit, with the variants used after tens (mốt, lăm, nhăm, tư)
# and the regional ones (bẩy). linh/lẻ is the zero of "một trăm linh năm".
DIGIT_WORDS = {
    "không": "0", "một": "1", "mốt": "1", "hai": "2", "ba": "3", "bốn": "4", "tư": "4",
    "năm": "5", "lăm": "5", "nhăm": "5", "sáu": "6", "bảy": "7", "bẩy": "7", "tám": "8",
    "chín": "9",
}
ZERO_WORDS = ("linh", "lẻ")
TENS_WORDS = ("mươi", "chục")  # "ba mươi" = 30, "hai chục" = 20
TEN = "mười"
HUNDRED = "trăm"
_NUMBER_WORDS = sorted([*DIGIT_WORDS, *ZERO_WORDS, *TENS_WORDS, TEN, HUNDRED], key=len, reverse=True)
_WORD = rf"(?:{'|'.join(_NUMBER_WORDS)})"
# Words joined by spaces and the punctuation Whisper puts between groups ("không chín một hai,
# ba trăm …"). nghìn, triệu, tỷ are not number words here: they end a run, so an amount read
# out ("một triệu năm trăm nghìn") falls apart into short runs that stay.
_WORDS = rf"(?<!\w){_WORD}(?:[ \u00a0,.;:\-]+{_WORD})*(?!\w)"
_WORD_RE = re.compile(rf"(?<!\w){_WORD}(?!\w)", re.IGNORECASE)

RUN_RE = re.compile(rf"(?P<digits>{_DIGITS})|(?P<words>{_WORDS})", re.IGNORECASE)

# --- context ----------------------------------------------------------------------------------
# A number right after one of these words is of that kind, whatever its digits look like
# (the nearest such word before it, within CONTEXT_CHARS and after the previous mask).
CONTEXT_CHARS = 48
CONTEXT_RE = re.compile(
    r"(?<!\w)(?:(?P<cccd>cccd|căn\s+cước)|(?P<cmnd>cmnd|chứng\s+minh)"
    r"|(?P<phone>sđt|sdt|đt|điện\s+thoại|di\s+động|máy\s+bàn|số\s+máy|gọi|liên\s+hệ|zalo|hotline"
    r"|nhắn\s+tin))(?!\w)", re.IGNORECASE)
KIND_MASKS = {"phone": PHONE_MASK, "cccd": CCCD_MASK, "cmnd": CMND_MASK}
# An amount: a number followed by a currency or amount word. Only a lower-case "đồng" is money
# ("Đồng Nai", "Đồng Tháp" are places), and not in "đồng chí", "đồng bào" …; "tỉ" is not "tỉnh"
# or "tỉ lệ". A number starting with 0 or +, or said after CCCD / CMND, is never an amount.
_NOT_MONEY = r"\s+(?:chí|bào|ý|thời|nghiệp|đội|hương|ruộng|hồ)(?!\w)"
AMOUNT_RE = re.compile(
    rf"\s*(?:(?i:nghìn|ngàn|triệu|tỷ|tỉ(?!\s+lệ)|vnđ|vnd|usd)(?!\w)|đ(?!\w)|đồng(?!\w)(?!{_NOT_MONEY}))")


@dataclass(frozen=True)
class Chunk:
    """A piece of a run: its place in the text and the digits it stands for."""

    start: int
    end: int
    digits: str


def kind_of(digits: str, plus: bool = False) -> str | None:
    """The kind a number's digits alone say it is ('phone', 'cccd', 'cmnd'), or None."""
    n = len(digits)
    if plus:  # written +84…: a Vietnamese number in international form, or a foreign one
        return "phone" if digits.startswith("84") and n in (11, 12) else None
    if digits.startswith("0084") and n in (13, 14):
        return "phone"
    if digits.startswith("84") and n in (11, 12):
        return "phone"
    if digits.startswith("0") and n in (10, 11):
        return "phone"
    if n == 12 and digits.startswith("0"):  # CCCD: a province code 001–096, then 9 digits
        return "cccd"
    if n == 9:  # CMND; a mobile number without its 0 ("912 345 678") starts with 5, 7, 8 or 9
        return "phone" if digits[0] in "5789" else "cmnd"
    return None


def _digit_chunks(run: str, offset: int) -> tuple[list[Chunk], bool]:
    """Digit groups of a digit run, and whether it is written with a "+" (international)."""
    chunks = [Chunk(offset + m.start(), offset + m.end(), re.sub(r"\D", "", m.group()))
              for m in _GROUP_RE.finditer(run)]
    return chunks, "+" in run[:chunks[0].end - offset]


def _word_chunks(run: str, offset: int) -> list[Chunk]:
    """Read number words as Whisper writes them into chunks of digits.

    "ba trăm bốn mươi lăm" -> 345, "một trăm linh năm" -> 105, "chín mươi mốt" -> 91,
    "sáu trăm chín tám" -> 698, "hai trăm tư" -> 240,
    "mười hai" -> 12, "hai chục" -> 20, any other digit word -> its digit. A comma or dot
    ends a number: "chín mươi, một hai" is 90 then 1, 2 (Whisper marks the pauses)."""
    toks = [(m.group().lower(), offset + m.start(), offset + m.end()) for m in _WORD_RE.finditer(run)]
    words = [t[0] for t in toks]
    n = len(words)
    paused = [i > 0 and not run[toks[i - 1][2] - offset:toks[i][1] - offset].isspace() for i in range(n)]

    def digit(i: int) -> str | None:
        return DIGIT_WORDS.get(words[i]) if i < n else None

    def next_to(i: int) -> bool:
        """Word i is said with the word before it (no pause between)."""
        return i < n and not paused[i]

    def marker(i: int) -> bool:
        return next_to(i) and (words[i] in TENS_WORDS or words[i] == HUNDRED)

    def tens(i: int) -> tuple[str, int] | None:
        """"D mươi [U]" or "mười [U]" at i: two digits and the index after them."""
        if i < n and words[i] == TEN:
            head, k = "1", i + 1
        elif digit(i) not in (None, "0") and marker(i + 1) and words[i + 1] in TENS_WORDS:
            head, k = digit(i), i + 2
        else:
            return None
        unit = digit(k) if next_to(k) else None
        if unit not in (None, "0") and not marker(k + 1):
            return head + unit, k + 1
        return head + "0", k

    chunks: list[Chunk] = []
    i = 0
    while i < n:
        if digit(i) is not None and marker(i + 1) and words[i + 1] == HUNDRED:
            j = i + 2
            if (next_to(j) and words[j] in ZERO_WORDS and next_to(j + 1) and digit(j + 1) not in (None, "0")
                    and not marker(j + 2)):
                tail, j = "0" + digit(j + 1), j + 2
            elif next_to(j) and (t := tens(j)) is not None:
                tail, j = t
            elif next_to(j) and digit(j) not in (None, "0"):  # said short: "sáu trăm chín tám" = 698,
                if next_to(j + 1) and digit(j + 1) is not None and not marker(j + 2):  # "hai trăm tư" = 240
                    tail, j = digit(j) + digit(j + 1), j + 2
                else:
                    tail, j = digit(j) + "0", j + 1
            else:
                tail = "00"
            value = digit(i) + tail
        elif (t := tens(i)) is not None:
            value, j = t
        else:
            w = words[i]
            value = digit(i) or {HUNDRED: "100", TEN: "10"}.get(w) or ("10" if w in TENS_WORDS else "0")
            j = i + 1
        chunks.append(Chunk(toks[i][1], toks[j - 1][2], value))
        i = j
    return chunks


def _pieces(chunks: list[Chunk], plus: bool) -> list[tuple[int, int, str | None]]:
    """The pieces of a run to mask, as (first chunk, end chunk, kind or None for NUMBER_MASK).

    A run is searched for its longest piece (then the leftmost) that has the shape of a
    phone, CCCD or CMND number; the rest on either side is searched the same way."""
    def search(lo: int, hi: int) -> list[tuple[int, int, str | None]]:
        if len("".join(c.digits for c in chunks[lo:hi])) < MIN_DIGITS:
            return []
        for size in range(hi - lo, 0, -1):
            for i in range(lo, hi - size + 1):
                kind = kind_of("".join(c.digits for c in chunks[i:i + size]), plus and i == 0)
                if kind:
                    return [*search(lo, i), (i, i + size, kind), *search(i + size, hi)]
        return [(lo, hi, None)]

    if len(chunks) > MAX_CHUNKS:
        return [(0, len(chunks), None)]
    return search(0, len(chunks))


def _context_kind(text: str, start: int, since: int) -> str | None:
    """The kind named by the nearest context word before `start`, looking back no further than
    `since` (the previous mask) or a "]" (a mask of an earlier pass: same answer both times)."""
    since = max(since, start - CONTEXT_CHARS)
    since = max(since, text.rfind("]", since, start) + 1)
    kind = None
    for m in CONTEXT_RE.finditer(text, since, start):
        kind = m.lastgroup
    return kind


def redact(text: str | None) -> str | None:
    """Mask phone numbers and ID numbers (CCCD, CMND), in digits or read out as words.

    Text is brought to NFC first (file names from macOS come decomposed), so the number
    words match however the accents were typed."""
    if not text:
        return text
    text = unicodedata.normalize("NFC", text)
    out: list[str] = []
    done = 0  # text[:done] is in out
    for m in RUN_RE.finditer(text):
        if m.group("digits"):
            chunks, plus = _digit_chunks(m.group(), m.start())
        else:
            chunks, plus = _word_chunks(m.group(), m.start()), False
        digits = "".join(c.digits for c in chunks)
        if len(digits) < MIN_DIGITS:
            continue
        context = _context_kind(text, m.start(), done)
        if (not plus and not digits.startswith("0") and context not in ("cccd", "cmnd")
                and AMOUNT_RE.match(text, m.end())):
            continue
        for n, (i, j, kind) in enumerate(_pieces(chunks, plus)):
            kind = (context if n == 0 else None) or kind
            out.append(text[done:chunks[i].start])
            out.append(KIND_MASKS.get(kind, NUMBER_MASK))
            done = chunks[j - 1].end
    out.append(text[done:])
    return "".join(out)
