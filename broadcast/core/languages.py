"""The language table (BCP 47 tag → name), one place for the whole project."""

from __future__ import annotations

LANGUAGES: dict[str, str] = {
    "vi": "Tiếng Việt",
    "hmn": "H'Mông",
    "blt": "Thái (Tai Dam)",
    "km": "Khmer",
    "zh": "Hoa (Quan thoại)",
    "yue": "Hoa (Quảng Đông)",
    "cmn": "Hoa (Quan thoại)",
    "tyz": "Tày",
    "nut": "Nùng",
    "ium": "Dao",
    "mtq": "Mường",
    "rad": "Ê Đê",
    "jra": "Gia Rai",
    "bdq": "Ba Na",
    "cjm": "Chăm",
    "lo": "Lào",
    "en": "English",
}

SOURCE_LANGUAGE = "vi"

# Languages the multilingual Whisper model can transcribe (used by `check`).
WHISPER_LANGUAGES = frozenset({"vi", "km", "zh", "yue", "lo", "en"})


def language_name(tag: str) -> str:
    return LANGUAGES.get(tag, tag)
