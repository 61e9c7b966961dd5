"""The language table (BCP 47 tag → name), one place for the whole project.

Checked against the languages VOV4 (Hệ phát thanh dân tộc, Đài Tiếng nói Việt Nam) broadcasts in:
Mông, Dao, Thái, Ê Đê, Jơ Rai, Ba Na, Xơ Đăng, K'Ho, Chăm, Khmer, M'Nông, Cơ Tu, and Tày–Nùng.
Every one of them is here, under its ISO 639-3 code (BCP 47 takes the ISO 639-1 code where one
exists: km, lo, vi). Where ISO 639-3 splits a people's speech into several languages, the code
is the variety spoken, written and broadcast in Vietnam:
  cmo  Central Mnong, whose dialects include Bunong and Preh: VOV4's M'Nông programme calls its
       language "nău ngơi Bunong"; Eastern Mnong (mng, Rolom, Gar) and Southern Mnong (mnn) are
       other varieties, to be added if an area speaks them.
  ktv  Eastern Katu: the Cơ Tu of Quảng Nam, Đà Nẵng and Huế; Western Katu (kuf) is spoken in Laos.
  kpm  Koho (K'Ho, Cơ Ho) of Lâm Đồng.   sed  Sedang (Xơ Đăng) of Kon Tum and Quảng Nam.
  hmn  the Hmong macrolanguage: Vietnam's Mông script and VOV4 serve all its local varieties."""

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
    "sed": "Xơ Đăng",
    "kpm": "K'Ho",
    "cmo": "M'Nông",
    "ktv": "Cơ Tu",
    "lo": "Lào",
    "en": "English",
}

SOURCE_LANGUAGE = "vi"

# Languages the multilingual Whisper model can transcribe (used by `check`).
WHISPER_LANGUAGES = frozenset({"vi", "km", "zh", "yue", "lo", "en"})


def language_name(tag: str) -> str:
    return LANGUAGES.get(tag, tag)
