"""Vietnamese text normalisation for speech: digits, dates, times, phone numbers, units, web
addresses, legal-document codes and abbreviations become the words a reader would say.

Pure functions over strings (compiled regexes, and the tables in `normalize_tables`): safe in
threads and in parallel processes, no files written. Any text gives words and no digit. The
order of the passes matters and is spelled out in `normalize_vi`: the more specific patterns
(addresses, document codes, dates, phone numbers, times) run before the generic number reader
would split them apart.

Reading choices: a slash between numbers is "trên" in an address ("số 12/3 đường ..."), "phần"
in a fraction ("1/2 số hộ", "khoảng 2/3"), "trên" before what is counted ("5/10 xã") and a date
when bare ("2/9"); before a year it is "năm" in document codes ("48/2010/QH12") and after
"Quý"/"Đợt" ("Quý I/2026"). A document code drops its kind when the text has just named it
("Nghị định số 15/2020/NĐ-CP": "... chính phủ"). Service numbers and hotlines are read digit by
digit after a dial word, and 1900/1800 numbers always; a plain "1022 hộ" is a count. Web and
e-mail addresses read "chấm", "a còng", "gạch chéo", without the "https://"."""

from __future__ import annotations

import re
import unicodedata

from .normalize_tables import (
    ABBREVIATIONS, ADDRESS_WORDS, AGENCIES, COUNT_WORDS, DATE_WORDS, DIAL_CONTEXT, DIGITS, DOC_TYPES,
    FRACTION_AFTER_WORDS, FRACTION_BEFORE_WORDS, GROUP_NAMES, HOTLINE_CONTEXT, LETTERS, MONTHS,
    PLACE_ABBREVIATIONS, ROMAN, ROMAN_CONTEXT, SPELLING, SYLLABLE, TERM_AGENCIES, UNITS, WEB_SYMBOLS,
    WEB_TLDS, WEB_WORDS,
)


def read_digits(digits: str) -> str:
    """'0215' → 'không hai một năm'."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdecimal())


def _read_group(n: int, full: bool) -> str:
    """One group of three digits; `full` when a higher group precedes it (so 5 → 'không trăm linh năm')."""
    hundreds, tens, units = n // 100, n // 10 % 10, n % 10
    words: list[str] = []
    if full or hundreds:
        words += [DIGITS[hundreds], "trăm"]
    if tens == 0:
        if units:
            if words:
                words.append("linh")
            words.append(DIGITS[units])
    elif tens == 1:
        words.append("mười")
        if units:
            words.append("lăm" if units == 5 else DIGITS[units])
    else:
        words += [DIGITS[tens], "mươi"]
        if units:
            words.append({1: "mốt", 4: "tư", 5: "lăm"}.get(units, DIGITS[units]))
    return " ".join(words)


def read_number(n: int) -> str:
    """A non-negative integer in words: 2026 → 'hai nghìn không trăm hai mươi sáu'."""
    if n == 0:
        return "không"
    groups: list[int] = []
    while n:
        groups.append(n % 1000)
        n //= 1000
    if len(groups) > len(GROUP_NAMES):
        return read_digits("".join(str(g) for g in reversed(groups)))
    words: list[str] = []
    for index in range(len(groups) - 1, -1, -1):
        group = groups[index]
        if not group:
            continue
        words.append(_read_group(group, full=bool(words)))
        if GROUP_NAMES[index]:
            words.append(GROUP_NAMES[index])
    return " ".join(words)


def read_integer_text(digits: str) -> str:
    """Digits as written: long runs with a leading zero ('007') are read digit by digit."""
    if len(digits) >= 3 and digits.startswith("0") or len(digits) > 15:
        return read_digits(digits)
    return read_number(int(digits))


def read_decimal(whole: str, fraction: str, point: str = "phẩy") -> str:
    """38,5 → 'ba mươi tám phẩy năm'; 3,05 → 'ba phẩy không năm'."""
    zeros = len(fraction) - len(fraction.lstrip("0"))
    rest = fraction[zeros:]
    parts = [read_integer_text(whole), point] + ["không"] * zeros
    if rest:
        parts.append(read_number(int(rest)) if len(rest) <= 3 else read_digits(rest))
    return " ".join(parts)


def read_month(month: int) -> str:
    return MONTHS.get(month, read_number(month))


def read_roman(numeral: str) -> int | None:
    total, previous = 0, 0
    for ch in reversed(numeral):
        value = ROMAN.get(ch)
        if value is None:
            return None
        total += -value if value < previous else value
        previous = max(previous, value)
    return total if 0 < total < 200 else None


def read_fraction(numerator: int, denominator: int) -> str:
    """2/3 → 'hai phần ba'; a quarter is 'phần tư'."""
    return f"{read_number(numerator)} phần {read_month(denominator)}"


def read_ordinal(n: int) -> str:
    """After 'thứ': 1 → 'nhất', 4 → 'tư', otherwise the cardinal."""
    return {1: "nhất", 4: "tư"}.get(n, read_number(n))


# --- passes -------------------------------------------------------------------------------

_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9_-]*[A-Za-z0-9])?"
_HOST_ANY = rf"(?:{_LABEL}\.)+[A-Za-z]{{2,}}"
_EMAIL = re.compile(rf"(?<![\w.@+-])([A-Za-z0-9][A-Za-z0-9._%+-]*)@({_HOST_ANY})(?![\w@-]|\.[A-Za-z0-9])")
_URL = re.compile(rf"(?<![\w.@/-])(?:(?:https?|ftp)://({_LABEL}(?:\.{_LABEL})*)|((?:www\.)?(?:{_LABEL}\.)+"
                  rf"(?i:{WEB_TLDS})|www\.{_HOST_ANY}))((?::\d{{1,5}})?(?:/[^\s]*)?)(?![\w-])")
_SYLLABLE = re.compile(SYLLABLE)
_PLATE = re.compile(r"(?<![\w.,/-])(\d{2})([A-ZĐ]{1,2}\d?)\s?[-–]\s?(\d{3}\.\d{2}|\d{4,5})(?![\w]|[.,]\d)")
_DOC_NUMBER = re.compile(r"(?<![\w/])(\d+)/(\d{4})/([A-ZĐ][\wĐđ]*(?:-[\wĐđ]+)*)")
_DOC_SHORT = re.compile(r"(?<![\w/])(\d+)/([A-ZĐ]{2,}[A-Za-zĐđ]*(?:-[A-Za-zĐđ0-9]+)*)(?![\w])")
_PLACE = re.compile(r"(?<![\w.])(kp|Kp|KP|tp|Tp|TP|tx|Tx|TX|tt|Tt|TT|p|P|q|Q)\.[ \t]*(?=(\w))")
_PERIOD_YEAR = re.compile(r"(?<!\w)([Qq]uý|[Đđ]ợt|[Hh]ọc kỳ|[Kk]ỳ)\s+([IVX]+|\d{1,2})/(\d{4})(?![\w/]|[.,]\d)")
_DAY_RANGE = re.compile(r"(?<![\w/.,])(?:([Nn]gày|[Tt]ừ)\s+)?(\d{1,2})\s*[-–]\s*(\d{1,2})/(\d{1,2})(?:/(\d{4}))?(?![\w/]|[.,]\d)")
_DATE_RANGE = re.compile(r"(?<![\w/.,])(\d{1,2}/\d{1,2}(?:/\d{4})?)\s*[-–]\s*(?=\d{1,2}/\d{1,2})")
_ISO_DATE = re.compile(r"(?<![\w/.-])(\d{4})-(\d{2})-(\d{2})(?![\w/-])")
_DMY = re.compile(r"(?<![\w/.,])(?:(ngày|mồng|mùng|Ngày|Mồng|Mùng)\s+)?(\d{1,2})([/.-])(\d{1,2})\3(\d{4})(?![\w/])")
_MY = re.compile(r"(?<![\w/.,])(?:(tháng|Tháng)\s+)?(\d{1,2})/(\d{4})(?![\w/])")
_DM = re.compile(rf"(?<![\w/.,])({DATE_WORDS})\s+(\d{{1,2}})/(\d{{1,2}})(?![\w/])")
_PHONE = re.compile(r"(?<![\w.,+])(\+84[ .-]?|0)(\d{1,4}(?:[ .-]\d{2,4})*|\d{8,10})(?![\w])")
_DIAL = re.compile(DIAL_CONTEXT + r"\s+(11[1-5]|1022|1900\d*|1800\d*)(?![\w.,/])")
# "gọi 112 (cứu nạn), 114 (cứu hỏa) hoặc 115 (cấp cứu)": the service numbers after the first
# are dialled too, though no dial word stands right before them.
_SERVICE = r"11[1-5](?!\d|[.,]\d)"
_DIAL_LIST = re.compile(DIAL_CONTEXT + r"\s+" + _SERVICE + r"(?:\s*\([^)\n]*\))?"
                        r"(?:\s*(?:,|hoặc|và)\s*" + _SERVICE + r"(?:\s*\([^)\n]*\))?)+")
# 1900/1800 numbers with their groups are hotlines wherever they stand ("1900 9068").
_SERVICE_LINE = re.compile(r"(?<![\w.,])1[89]00(?:(?: |\.(?=\d{4}))\d{3,4}(?: \d{3,4})?|\d{4,6})(?![\w]|[.,]\d)")
_HOTLINE = re.compile(HOTLINE_CONTEXT + r"(\s*:?\s*)(\d{3,6}(?: \d{3,4}|\.\d{4})*)(?![\w%]|[.,/]\d)")
_TIME_H = re.compile(r"(?<![\w.,:])([01]?\d|2[0-4])\s?(?:[hH](?:\s?([0-5]\d)\s?(?:'|ph\b|p\b)?)?|[gG]\s?([0-5]\d))(?![\w])")
_TIME_COLON = re.compile(r"(?<![\w.,:])([01]?\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?(?![\w:])")
# "11 giờ 00": a clock time on the hour says no minutes ("14 giờ 30" stays "… giờ ba mươi")
_ON_THE_HOUR = re.compile(r"(?<![\w.,:])([01]?\d|2[0-4])\s+giờ\s+00(?:\s*phút\b)?(?!\d|[.,]\d)")
_RANGE = re.compile(r"(?:(?<=\d)|(?<=\d[hH%'])|(?<=giờ)|(?<=phút))\s*[-–—]\s*(?=\d)")
_WEEKDAY_RANGE = re.compile(r"\b([Tt]hứ\s+\w+)\s*[-–]\s*(?=[Tt]hứ\s|[Cc]hủ\s[Nn]hật)")
_NEGATIVE = re.compile(r"(?<![\w])[-−](?=\d)")
_MONTH = re.compile(r"\b([Tt]háng)\s+(\d{1,2})(?!\d|[/.,]\d)")
_ORDINAL = re.compile(r"\b([Tt]hứ)\s+(\d{1,3})(?!\d|[,.]\d)")
_ROMAN_NUM = re.compile(r"(" + ROMAN_CONTEXT + r")\s+([IVXLC]+)(?![\w])")
_THOUSANDS = re.compile(r"(?<![\w.,])(\d{1,3}(?:\.\d{3})+)(?:,(\d+))?(?![\w]|[.,]\d)")
_DECIMAL_COMMA = re.compile(r"(?<![\w.,])(\d+),(\d+)(?![\w]|[.,]\d)")
_DECIMAL_DOT = re.compile(r"(?<![\w.,])(\d+)\.(\d+)(?![\w]|[.,]\d)")
_SLASH = re.compile(r"(?<![\w.,/])(\d+)\s*/\s*(\d+)(?![\w/]|[.,]\d)")
_ADDRESS_BEFORE = re.compile(rf"(?<!\w)(?:{ADDRESS_WORDS})\s*$", re.I)
_FRACTION_BEFORE = re.compile(rf"(?<!\w)(?:{FRACTION_BEFORE_WORDS})\s+$", re.I)
_FRACTION_AFTER = re.compile(rf"\s*(?:{FRACTION_AFTER_WORDS}|" + "|".join(map(re.escape, set(UNITS.values()))) + r")(?!\w)")
_COUNT_AFTER = re.compile(rf"\s*(?:{COUNT_WORDS})(?!\w)")
_INTEGER = re.compile(r"\d+")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_CAPS = re.compile(r"(?<![\w])([A-ZĐ]{2,5})(?![\w])")
_VOWELS = set("AEIOUYĂÂÊÔƠƯ")


# Longest first, so "PCCC&CNCH" wins over "PCCC" (and "km2" over "km").
_ABBREVIATION = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?=$|[^\w])"
)
_UNIT = re.compile(r"(?<=\d)\s*(" + "|".join(re.escape(k) for k in sorted(UNITS, key=len, reverse=True)) + r")(?![\w²³])")


def _syllables(word: str) -> list[str] | None:
    """'thuvienphapluat' → ['thu', 'vien', 'phap', 'luat']: the split with the fewest syllables,
    then the fewest that start with a vowel ('ha noi', not 'han oi'); None when there is none."""
    best: dict[int, tuple[int, int, list[str]]] = {0: (0, 0, [])}
    for i in range(len(word)):
        if i in best:
            count, vowel_starts, pieces = best[i]
            for j in range(i + 1, min(len(word), i + 7) + 1):
                piece = word[i:j]
                cost = (count + 1, vowel_starts + (piece[0] in "aeiouy"), pieces + [piece])
                if _SYLLABLE.fullmatch(piece) and (j not in best or cost[:2] < best[j][:2]):
                    best[j] = cost
    return best[len(word)][2] if len(word) in best else None


def _read_web_word(word: str) -> str:
    """One run of letters in an address: a known word, else Vietnamese syllables, else spelled
    if short (or vowelless), else left for espeak-ng to read as a word."""
    low = word.lower()
    if low in WEB_WORDS:
        return WEB_WORDS[low]
    syllables = _syllables(low) if len(low) <= 40 else None
    if syllables or (len(low) > 4 and any(ch in "aeiouy" for ch in low)):
        return " ".join(syllables) if syllables else low
    return " ".join(SPELLING.get(ch, ch) for ch in low)


def _read_address(address: str) -> str:
    words = (read_digits(t) if t.isdecimal() else _read_web_word(t) if t.isalpha() else WEB_SYMBOLS.get(t, "")
             for t in re.findall(r"[A-Za-z]+|\d+|.", address))
    return " ".join(w for w in words if w)


def _web(text: str) -> str:
    """E-mail and web addresses: 'chấm', 'a còng', 'gạch chéo'; the scheme ('https://'), a query
    and a closing slash are not read, as an announcer would not read them."""

    def url(m: re.Match) -> str:
        path = m.group(3).rstrip(".,;:!?)]}'\"»")
        tail, path = m.group(3)[len(path):], re.split(r"[?#]", path)[0].rstrip("/")
        return _read_address((m.group(1) or m.group(2)) + path) + tail

    text = _EMAIL.sub(lambda m: f"{_read_address(m.group(1))} a còng {_read_address(m.group(2))}", text)
    return _URL.sub(url, text)


def _spell(token: str) -> str:
    return " ".join(DIGITS[int(ch)] if ch.isdecimal() else LETTERS.get(ch.upper(), ch) for ch in token)


def _plate(m: re.Match) -> str:
    """'29B1-234.56' → 'hai chín bê một, hai ba bốn, năm sáu': read as people read plates aloud."""
    groups = m.group(3).split(".") if len(m.group(3)) != 5 else [m.group(3)[:3], m.group(3)[3:]]
    return f"{read_digits(m.group(1))} {_spell(m.group(2))}, " + ", ".join(read_digits(g) for g in groups)


def _before(m: re.Match) -> str:
    """The few words before a match, where context words stand (not the whole text: linear time)."""
    return m.string[max(0, m.start() - 40): m.start()]


def _read_agency(part: str) -> str:
    if part in AGENCIES:
        return AGENCIES[part]
    numbered = re.fullmatch(r"(\D+?)(\d+)", part)
    if numbered and numbered.group(1) in AGENCIES:
        term = " khóa " if numbered.group(1) in TERM_AGENCIES else " "
        return AGENCIES[numbered.group(1)] + term + read_number(int(numbered.group(2)))
    return ABBREVIATIONS.get(part) or DOC_TYPES.get(part) or _spell(part)


def _read_doc_code(code: str, before: str) -> str:
    """'NĐ-CP' → 'nghị định chính phủ', or just 'chính phủ' after 'Nghị định số ...'."""
    words = []
    for index, part in enumerate(code.split("-")):
        if index == 0 and part in DOC_TYPES:
            name = DOC_TYPES[part]
            said = rf"(?<!\w)(?:{name}|{re.escape(part)})(?:\s+số)?\s*:?\s*$"
            if not re.search(said, before, re.I):
                words.append(name)
        elif part:
            words.append(_read_agency(part))
    return " ".join(words)


def _documents(text: str) -> str:
    """Legal document numbers: '48/2010/QH12' → 'bốn mươi tám năm hai nghìn không trăm mười quốc
    hội khóa mười hai'; the slash before the year reads 'năm', as officials say it."""

    def full(m: re.Match) -> str:
        code = _read_doc_code(m.group(3), _before(m))
        return f"{read_integer_text(m.group(1))} năm {read_number(int(m.group(2)))} {code}".rstrip()

    def short(m: re.Match) -> str:
        return f"{read_integer_text(m.group(1))} {_read_doc_code(m.group(2), _before(m))}".rstrip()

    return _DOC_SHORT.sub(short, _DOC_NUMBER.sub(full, text))


def _places(text: str) -> str:
    def place(m: re.Match) -> str:
        key, following = m.group(1).lower(), m.group(2)
        if key in ("p", "q", "tt") and not (following.isdigit() or following.isupper()):
            return m.group(0)
        return PLACE_ABBREVIATIONS[key] + " "

    return _PLACE.sub(place, text)


def _period(m: re.Match) -> str:
    """'Quý I/2026' → 'Quý một năm hai nghìn không trăm hai mươi sáu' (not a month and year)."""
    value = int(m.group(2)) if m.group(2).isdecimal() else read_roman(m.group(2))
    return f"{m.group(1)} {read_number(value)} năm {read_number(int(m.group(3)))}" if value else m.group(0)


def _date_words(day: int, month: int, year: int | None, prefix: str | None) -> str | None:
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    year_words = "" if year is None else f" năm {read_number(year)}"
    return f"{prefix or 'ngày'} {read_number(day)} tháng {read_month(month)}{year_words}"


def _dates(text: str) -> str:
    def day_range(m: re.Match) -> str:
        word, first, last, month = m.group(1), int(m.group(2)), int(m.group(3)), int(m.group(4))
        lead = "ngày" if word is None else word if word.lower() == "ngày" else f"{word} ngày"
        year = int(m.group(5)) if m.group(5) else None
        spoken = _date_words(last, month, year, f"{lead} {read_number(first)} đến") if 0 < first < last else None
        return spoken or m.group(0)

    def iso(m: re.Match) -> str:
        return _date_words(int(m.group(3)), int(m.group(2)), int(m.group(1)), None) or m.group(0)

    def dmy(m: re.Match) -> str:
        return _date_words(int(m.group(2)), int(m.group(4)), int(m.group(5)), m.group(1)) or m.group(0)

    def my(m: re.Match) -> str:
        month, year = int(m.group(2)), int(m.group(3))
        if not 1 <= month <= 12:
            return m.group(0)
        return f"{m.group(1) or 'tháng'} {read_month(month)} năm {read_number(year)}"

    text = _DAY_RANGE.sub(day_range, text)
    text = _DATE_RANGE.sub(r"\1 đến ", text)
    text = _ISO_DATE.sub(iso, text)
    text = _DMY.sub(dmy, text)
    return _MY.sub(my, text)


def _day_month(text: str) -> str:
    def dm(m: re.Match) -> str:
        word = m.group(1)
        prefix = word if word.lower() in ("ngày", "mồng", "mùng") else f"{word} ngày"
        return _date_words(int(m.group(2)), int(m.group(3)), None, prefix) or m.group(0)

    return _DM.sub(dm, text)


def _read_groups(number: str) -> str:
    """A service number, digit by digit, a pause between the groups as written."""
    groups = re.split(r"[ .]", number)
    if len(groups) == 1 and len(number) >= 8:
        groups = [number[:4], number[4:]]
    return ", ".join(read_digits(g) for g in groups)


def _phones(text: str) -> str:
    """Numbers starting 0 or +84 with 9–11 digits are phone numbers, read digit by digit with a
    short pause between the groups as written. A longer run keeps its tail for the number reader.
    Service numbers (113, 1022, 1900 ...) are read digit by digit after a dial word; 1900/1800
    numbers with their groups anywhere. A plain '1022 hộ' stays a count."""

    def phone(m: re.Match) -> str:
        groups = re.split(r"[ .-]", m.group(2))
        groups[0] = ("0" if m.group(1) == "0" else "") + groups[0]
        taken: list[str] = []
        count = 0
        for group in groups:
            if count + len(group) > 11:
                break
            taken.append(group)
            count += len(group)
        if not 9 <= count <= 11:
            return m.group(0)
        if len(taken) == 1:  # unbroken digits: group the way people dictate them (4-3-3)
            taken = [taken[0][:4], taken[0][4:7], taken[0][7:]]
        lead = "cộng tám tư, " if m.group(1).startswith("+84") else ""
        rest = groups[len(taken) if len(groups) > 1 else 1:]
        spoken = lead + ", ".join(read_digits(g) for g in taken if g)
        return spoken + ("" if not rest else ", " + " ".join(rest))

    text = _PHONE.sub(phone, text)
    text = _DIAL_LIST.sub(lambda m: re.sub(_SERVICE, lambda n: read_digits(n.group(0)), m.group(0)), text)
    text = _SERVICE_LINE.sub(lambda m: _read_groups(m.group(0)), text)
    text = _DIAL.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + read_digits(m.group(1)), text)
    return _HOTLINE.sub(lambda m: m.group(0) if _COUNT_AFTER.match(m.string, m.end())  # "kêu gọi 500 hộ"
                        else m.group(0)[: m.start(2) - m.start(0)] + _read_groups(m.group(2)), text)


def _times(text: str) -> str:
    def hm(hour: str, minute: str | None, second: str | None = None) -> str:
        out = f"{read_number(int(hour))} giờ"
        if minute and int(minute):
            out += f" {read_number(int(minute))} phút"
        if second and int(second):
            out += f" {read_number(int(second))} giây"
        return out

    text = _TIME_H.sub(lambda m: hm(m.group(1), m.group(2) or m.group(3)), text)
    text = _ON_THE_HOUR.sub(lambda m: hm(m.group(1), None), text)
    return _TIME_COLON.sub(lambda m: hm(m.group(1), m.group(2), m.group(3)), text)


def _ordinals(text: str) -> str:
    text = _ORDINAL.sub(lambda m: f"{m.group(1)} {read_ordinal(int(m.group(2)))}", text)
    text = _MONTH.sub(lambda m: f"{m.group(1)} {read_month(int(m.group(2)))}", text)

    def roman(m: re.Match) -> str:
        value = read_roman(m.group(2))
        if value is None or m.group(2) in ("C", "L"):  # "hạng C" is a licence class
            return m.group(0)
        ordinal = m.group(1).lower() == "thứ"
        return f"{m.group(1)} {read_ordinal(value) if ordinal else read_number(value)}"

    return _ROMAN_NUM.sub(roman, text)


def _slash(m: re.Match) -> str:
    a, b = int(m.group(1)), int(m.group(2))
    before, after = _before(m), m.string[m.end(): m.end() + 40]
    over = f"{read_integer_text(m.group(1))} trên {read_integer_text(m.group(2))}"
    if _ADDRESS_BEFORE.search(before):
        return over
    if 0 < a < b and (_FRACTION_BEFORE.search(before) or _FRACTION_AFTER.match(after)):
        return read_fraction(a, b)
    if _COUNT_AFTER.match(after) or (a, b) == (24, 7):
        return over
    return _date_words(a, b, None, None) or (read_fraction(a, b) if 0 < a < b <= 10 else over)


def _numbers(text: str) -> str:
    text = _LETTER_DIGIT.sub(" ", text)
    text = _THOUSANDS.sub(
        lambda m: read_decimal(m.group(1).replace(".", ""), m.group(2)) if m.group(2)
        else read_number(int(m.group(1).replace(".", ""))),
        text,
    )
    text = _DECIMAL_COMMA.sub(lambda m: read_decimal(m.group(1), m.group(2)), text)
    text = _DECIMAL_DOT.sub(lambda m: read_decimal(m.group(1), m.group(2), "chấm"), text)
    text = _SLASH.sub(_slash, text)
    text = re.sub(r"(?<=\d)\s*/\s*(?=\d)", " trên ", text)
    text = _INTEGER.sub(lambda m: read_integer_text(m.group(0)), text)
    # Superscripts and the other digits no pattern above reads.
    return "".join(f" {DIGITS[unicodedata.digit(c, 0)]} " if c.isdigit() else c for c in text)


def _spell_caps(text: str) -> str:
    """Unknown all-capital tokens with no vowel ('ĐTN', 'KCN') cannot be read as a word: spell them."""

    def spell(m: re.Match) -> str:
        token = m.group(1)
        if any(ch in _VOWELS for ch in token):
            return token
        return " ".join(LETTERS.get(ch, ch) for ch in token)

    return _CAPS.sub(spell, text)


# "đồng/năm", "đồng/kg": a rate, read like "km/h" ("trên"); espeak-ng would drop the slash.
_PER = re.compile(r"(?<=[^\W\d_])/(năm|tháng|tuần|ngày|giờ|người|hộ|khẩu|con|lượt|lần|tấn|lít|sào|suất|kg|ha)\b")


def _symbols(text: str) -> str:
    text = re.sub(r"(?<![\w])đ(?=/)", "đồng", text)
    text = _PER.sub(lambda m: " trên " + UNITS.get(m.group(1), m.group(1)), text)
    text = text.replace("&", " và ")
    text = re.sub(r"[“”\"«»*_#`~]", "", text)
    text = re.sub(r"\s*[()\[\]]\s*", ", ", text)
    text = re.sub(r"(?<=\w)-(?=\w)", " ", text)  # "Covid-19", "Ê-đê": one spoken phrase
    text = re.sub(r"\s+[-–—]+\s+", ", ", text)  # a spaced dash is a pause
    text = re.sub(r"(?<=\d)\s*\+\s*(?=\d)", " cộng ", text)
    text = re.sub(r"[ \t]+", " ", text)
    text = re.sub(r" +([,.;:!?])", r"\1", text)
    text = re.sub(r",(\s*,)+", ",", text)
    text = re.sub(r"(^|\n)\s*,\s*", r"\1", text)
    return text.strip()


def normalize_vi(text: str) -> str:
    """Vietnamese text as it should be spoken. Line breaks are kept (paragraphs matter to the
    pauses); everything else becomes words, and no digit is left."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")
    text = _web(text)  # first: an address's dots and digits are not numbers
    text = _PLATE.sub(_plate, text)
    text = _documents(text)
    text = _places(text)
    text = _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1)], text)
    text = _PERIOD_YEAR.sub(_period, text)
    text = _dates(text)
    text = _phones(text)
    text = _RANGE.sub(" đến ", text)
    text = _WEEKDAY_RANGE.sub(r"\1 đến ", text)
    text = _NEGATIVE.sub("âm ", text)
    text = _times(text)
    text = _day_month(text)
    text = _UNIT.sub(lambda m: " " + UNITS[m.group(1)], text)
    text = _ordinals(text)
    text = _numbers(text)
    text = _spell_caps(text)
    return "\n".join(_symbols(line) for line in text.split("\n"))


def normalize(text: str, lang: str) -> str:
    """Language dispatch: Vietnamese gets the full treatment; other languages only Unicode NFC
    and whitespace tidying (their approved translations are written out for reading aloud)."""
    if lang == "vi":
        return normalize_vi(text)
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ")
    return "\n".join(re.sub(r"[ \t]+", " ", line).strip() for line in text.split("\n"))
