"""Vietnamese text normalisation for speech: digits, dates, times, phone numbers, units and
abbreviations become the words a reader would say.

Pure functions over strings (compiled regexes and tables only): safe in threads and in parallel
processes, no files written. The order of the passes matters and is spelled out in
`normalize_vi`: the more specific patterns (dates, phone numbers, times) run before the
generic number reader would split them apart."""

from __future__ import annotations

import re
import unicodedata

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
# Thousand groups; past "tỷ" Vietnamese stacks the names ("nghìn tỷ").
GROUP_NAMES = ("", "nghìn", "triệu", "tỷ", "nghìn tỷ", "triệu tỷ")
MONTHS = {4: "tư"}  # "tháng tư", never "tháng bốn"; other months read as cardinals

# Whole-word abbreviations in administrative announcements. Keys are matched case-sensitively;
# longer keys first so "PCCC&CNCH" wins over "PCCC".
ABBREVIATIONS: dict[str, str] = {
    "UBND": "ủy ban nhân dân",
    "HĐND": "hội đồng nhân dân",
    "UBMTTQ": "ủy ban mặt trận tổ quốc",
    "MTTQVN": "mặt trận tổ quốc Việt Nam",
    "MTTQ": "mặt trận tổ quốc",
    "THPT": "trung học phổ thông",
    "THCS": "trung học cơ sở",
    "CCCD": "căn cước công dân",
    "CMND": "chứng minh nhân dân",
    "VNeID": "vê en e ai đi",
    "BHYT": "bảo hiểm y tế",
    "BHXH": "bảo hiểm xã hội",
    "CSGT": "cảnh sát giao thông",
    "PCCC&CNCH": "phòng cháy chữa cháy và cứu nạn cứu hộ",
    "PCCC": "phòng cháy chữa cháy",
    "CNCH": "cứu nạn cứu hộ",
    "PCTT&TKCN": "phòng chống thiên tai và tìm kiếm cứu nạn",
    "PCTT": "phòng chống thiên tai",
    "TKCN": "tìm kiếm cứu nạn",
    "CAND": "công an nhân dân",
    "QĐND": "quân đội nhân dân",
    "TTYT": "trung tâm y tế",
    "HTX": "hợp tác xã",
    "KT-XH": "kinh tế xã hội",
    "ĐTN": "đoàn thanh niên",
    "TNCS": "thanh niên cộng sản",
    "HLHPN": "hội liên hiệp phụ nữ",
    "HND": "hội nông dân",
    "HCCB": "hội cựu chiến binh",
    "NCT": "người cao tuổi",
    "CLB": "câu lạc bộ",
    "BCH": "ban chấp hành",
    "BCĐ": "ban chỉ đạo",
    "BQL": "ban quản lý",
    "KDC": "khu dân cư",
    "ATTP": "an toàn thực phẩm",
    "ATGT": "an toàn giao thông",
    "GPLX": "giấy phép lái xe",
    "SĐT": "số điện thoại",
    "ĐT": "điện thoại",
    "NĐ-CP": "nghị định chính phủ",
    "TT-BTTTT": "thông tư bộ thông tin và truyền thông",
    "QĐ-UBND": "quyết định ủy ban nhân dân",
    "QĐ": "quyết định",
    "TW": "trung ương",
    "TƯ": "trung ương",
    "TP.": "thành phố",
    "Tp.": "thành phố",
    "TT.": "thị trấn",
    "v.v.": "vân vân",
    "COVID": "cô vít",
    "Covid": "cô vít",
    "Zalo": "da lô",
    "OTP": "ô tê pê",
    "SMS": "ét em ét",
}

# Units, read only right after a number ("38,5 độ C", "5 ha", "50.000đ").
UNITS: dict[str, str] = {
    "km/h": "ki lô mét trên giờ",
    "km²": "ki lô mét vuông", "km2": "ki lô mét vuông",
    "m²": "mét vuông", "m2": "mét vuông",
    "m³": "mét khối", "m3": "mét khối",
    "km": "ki lô mét", "cm": "xen ti mét", "mm": "mi li mét", "m": "mét",
    "kg": "ki lô gam", "g": "gam", "ha": "héc ta", "ml": "mi li lít", "l": "lít",
    "kWh": "ki lô oát giờ", "kW": "ki lô oát", "MW": "mê ga oát",
    "°C": "độ xê", "độ C": "độ xê", "oC": "độ xê",
    "VNĐ": "đồng", "VND": "đồng", "đ": "đồng",
    "%": "phần trăm",
}

# Vietnamese names of Latin letters, for spelling unknown all-capital abbreviations.
LETTERS = {
    "A": "a", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "F": "ép", "G": "giê",
    "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ", "N": "en nờ",
    "O": "o", "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì", "T": "tê", "U": "u",
    "V": "vê", "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}

ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
# Words after which a Roman numeral is a number ("Quý IV", "Đại hội XIII", "lần thứ II").
ROMAN_CONTEXT = r"(?:[Qq]uý|[Kk]hóa|[Kk]hoá|[Tt]hế kỷ|[Đđ]ại hội|[Kk]ỳ họp|[Nn]hiệm kỳ|[Cc]hương|[Pp]hần|[Mm]ục|[Tt]hứ|[Gg]iai đoạn|[Ll]oại|[Hh]ạng|[Cc]ấp|[Đđ]ợt|[Kk]hu vực|[Vv]ùng)"

# Words after which a short number is something to dial, read digit by digit.
DIAL_CONTEXT = r"(?:[Gg]ọi(?: ngay)?(?: số| tới số| đến số| đến| tới)?|[Ss]ố(?: điện thoại)?|[Tt]ổng đài|[Đđ]ường dây nóng|[Hh]otline|điện thoại)"


def read_digits(digits: str) -> str:
    """'0215' → 'không hai một năm'."""
    return " ".join(DIGITS[int(d)] for d in digits if d.isdigit())


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


def read_ordinal(n: int) -> str:
    """After 'thứ': 1 → 'nhất', 4 → 'tư', otherwise the cardinal."""
    return {1: "nhất", 4: "tư"}.get(n, read_number(n))


# --- passes -------------------------------------------------------------------------------

_DOC_NUMBER = re.compile(r"(?<![\w/])(\d+)/(\d{4})/([A-ZĐ][\wĐđ]*(?:-[\wĐđ]+)*)")
_DOC_SHORT = re.compile(r"(?<![\w/])(\d+)/([A-ZĐ]{2,}(?:-[A-ZĐ0-9]+)*)(?![\w])")
_ISO_DATE = re.compile(r"(?<![\w/.-])(\d{4})-(\d{2})-(\d{2})(?![\w/-])")
_DMY = re.compile(r"(?<![\w/.,])(?:(ngày|mồng|mùng|Ngày|Mồng|Mùng)\s+)?(\d{1,2})([/.-])(\d{1,2})\3(\d{4})(?![\w/])")
_MY = re.compile(r"(?<![\w/.,])(?:(tháng|Tháng)\s+)?(\d{1,2})/(\d{4})(?![\w/])")
_DM = re.compile(r"(?<![\w/.,])(ngày|mồng|mùng|Ngày|Mồng|Mùng|đến|từ|và|hôm|hạn|trước|sau)\s+(\d{1,2})/(\d{1,2})(?![\w/])")
_PHONE = re.compile(r"(?<![\w.,+])(\+84[ .-]?|0)(\d{1,4}(?:[ .-]\d{2,4})*|\d{8,10})(?![\w])")
_DIAL = re.compile(DIAL_CONTEXT + r"\s+(11[1-5]|1900\d*|1800\d*|18001\d*)(?![\w.,])")
# "gọi 112 (cứu nạn), 114 (cứu hỏa) hoặc 115 (cấp cứu)": the service numbers after the first
# are dialled too, though no dial word stands right before them.
_SERVICE = r"11[1-5](?!\d|[.,]\d)"
_DIAL_LIST = re.compile(DIAL_CONTEXT + r"\s+" + _SERVICE + r"(?:\s*\([^)\n]*\))?"
                        r"(?:\s*(?:,|hoặc|và)\s*" + _SERVICE + r"(?:\s*\([^)\n]*\))?)+")
_TIME_H = re.compile(r"(?<![\w.,:])([01]?\d|2[0-4])\s?(?:[hH](?:\s?([0-5]\d)\s?(?:'|ph\b|p\b)?)?|[gG]\s?([0-5]\d))(?![\w])")
_TIME_COLON = re.compile(r"(?<![\w.,:])([01]?\d|2[0-4]):([0-5]\d)(?::([0-5]\d))?(?![\w:])")
_RANGE = re.compile(r"(?:(?<=\d)|(?<=\d[hH%'])|(?<=giờ)|(?<=phút))\s*[-–—]\s*(?=\d)")
_NEGATIVE = re.compile(r"(?<![\w])[-−](?=\d)")
_MONTH = re.compile(r"\b([Tt]háng)\s+(\d{1,2})(?!\d|[/.,]\d)")
_ORDINAL = re.compile(r"\b([Tt]hứ)\s+(\d{1,3})(?!\d|[,.]\d)")
_ROMAN_NUM = re.compile(r"(" + ROMAN_CONTEXT + r")\s+([IVXLC]+)(?![\w])")
_THOUSANDS = re.compile(r"(?<![\w.,])(\d{1,3}(?:\.\d{3})+)(?:,(\d+))?(?![\w]|[.,]\d)")
_DECIMAL_COMMA = re.compile(r"(?<![\w.,])(\d+),(\d+)(?![\w]|[.,]\d)")
_DECIMAL_DOT = re.compile(r"(?<![\w.,])(\d+)\.(\d+)(?![\w]|[.,]\d)")
_INTEGER = re.compile(r"\d+")
_LETTER_DIGIT = re.compile(r"(?<=[^\W\d_])(?=\d)|(?<=\d)(?=[^\W\d_])")
_CAPS = re.compile(r"(?<![\w])([A-ZĐ]{2,5})(?![\w])")
_VOWELS = set("AEIOUYĂÂÊÔƠƯ")


# Longest first, so "PCCC&CNCH" wins over "PCCC" (and "km2" over "km").
_ABBREVIATION = re.compile(
    r"(?<![\w])(" + "|".join(re.escape(k) for k in sorted(ABBREVIATIONS, key=len, reverse=True)) + r")(?=$|[^\w])"
)
_UNIT = re.compile(r"(?<=\d)\s*(" + "|".join(re.escape(k) for k in sorted(UNITS, key=len, reverse=True)) + r")(?![\w²³])")


def _abbreviations(text: str) -> str:
    return _ABBREVIATION.sub(lambda m: ABBREVIATIONS[m.group(1)], text)


def _date_words(day: int, month: int, year: int | None, prefix: str | None) -> str | None:
    if not (1 <= day <= 31 and 1 <= month <= 12):
        return None
    lead = prefix or "ngày"
    out = f"{lead} {read_number(day)} tháng {read_month(month)}"
    if year is not None:
        out += f" năm {read_number(year)}"
    return out


def _dates(text: str) -> str:
    def iso(m: re.Match) -> str:
        return _date_words(int(m.group(3)), int(m.group(2)), int(m.group(1)), None) or m.group(0)

    def dmy(m: re.Match) -> str:
        words = _date_words(int(m.group(2)), int(m.group(4)), int(m.group(5)), m.group(1))
        return words or m.group(0)

    def my(m: re.Match) -> str:
        month, year = int(m.group(2)), int(m.group(3))
        if not 1 <= month <= 12:
            return m.group(0)
        return f"{m.group(1) or 'tháng'} {read_month(month)} năm {read_number(year)}"

    text = _ISO_DATE.sub(iso, text)
    text = _DMY.sub(dmy, text)
    return _MY.sub(my, text)


def _day_month(text: str) -> str:
    def dm(m: re.Match) -> str:
        word = m.group(1)
        prefix = word if word.lower() in ("ngày", "mồng", "mùng") else f"{word} ngày"
        return _date_words(int(m.group(2)), int(m.group(3)), None, prefix) or m.group(0)

    return _DM.sub(dm, text)


def _phones(text: str) -> str:
    """Numbers starting 0 or +84 with 9–11 digits are phone numbers, read digit by digit with a
    short pause between the groups as written. A longer run keeps its tail for the number reader."""

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
            d = taken[0]
            taken = [d[:4], d[4:7], d[7:]]
        lead = "cộng tám tư, " if m.group(1).startswith("+84") else ""
        rest = groups[len(taken) if len(groups) > 1 else 1:]
        spoken = lead + ", ".join(read_digits(g) for g in taken if g)
        return spoken + ("" if not rest else ", " + " ".join(rest))

    text = _PHONE.sub(phone, text)
    text = _DIAL_LIST.sub(lambda m: re.sub(_SERVICE, lambda n: read_digits(n.group(0)), m.group(0)), text)
    return _DIAL.sub(lambda m: m.group(0)[: m.start(1) - m.start(0)] + read_digits(m.group(1)), text)


def _times(text: str) -> str:
    def hm(hour: str, minute: str | None, second: str | None = None) -> str:
        out = f"{read_number(int(hour))} giờ"
        if minute and int(minute):
            out += f" {read_number(int(minute))} phút"
        if second and int(second):
            out += f" {read_number(int(second))} giây"
        return out

    text = _TIME_H.sub(lambda m: hm(m.group(1), m.group(2) or m.group(3)), text)
    return _TIME_COLON.sub(lambda m: hm(m.group(1), m.group(2), m.group(3)), text)


def _units(text: str) -> str:
    return _UNIT.sub(lambda m: " " + UNITS[m.group(1)], text)


def _ordinals(text: str) -> str:
    text = _ORDINAL.sub(lambda m: f"{m.group(1)} {read_ordinal(int(m.group(2)))}", text)
    text = _MONTH.sub(lambda m: f"{m.group(1)} {read_month(int(m.group(2)))}", text)

    def roman(m: re.Match) -> str:
        value = read_roman(m.group(2))
        if value is None:
            return m.group(0)
        ordinal = m.group(1).lower() == "thứ"
        return f"{m.group(1)} {read_ordinal(value) if ordinal else read_number(value)}"

    return _ROMAN_NUM.sub(roman, text)


def _numbers(text: str) -> str:
    text = _LETTER_DIGIT.sub(" ", text)
    text = _THOUSANDS.sub(
        lambda m: read_decimal(m.group(1).replace(".", ""), m.group(2)) if m.group(2)
        else read_number(int(m.group(1).replace(".", ""))),
        text,
    )
    text = _DECIMAL_COMMA.sub(lambda m: read_decimal(m.group(1), m.group(2)), text)
    text = _DECIMAL_DOT.sub(lambda m: read_decimal(m.group(1), m.group(2), "chấm"), text)
    text = re.sub(r"(?<=\d)\s*/\s*(?=\d)", " trên ", text)
    return _INTEGER.sub(lambda m: read_integer_text(m.group(0)), text)


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
    pauses); everything else becomes words."""
    text = unicodedata.normalize("NFC", text).replace("\u00a0", " ").replace("\u202f", " ")
    text = _DOC_NUMBER.sub(lambda m: f"{m.group(1)} năm {m.group(2)} {m.group(3)}", text)
    text = _DOC_SHORT.sub(lambda m: f"{m.group(1)} {m.group(2)}", text)
    text = _abbreviations(text)
    text = _dates(text)
    text = _phones(text)
    text = _RANGE.sub(" đến ", text)
    text = _NEGATIVE.sub("âm ", text)
    text = _times(text)
    text = _day_month(text)
    text = _units(text)
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
