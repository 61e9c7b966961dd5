"""The word tables behind `broadcast.speech.normalize`: abbreviations, units, letter names,
legal-document codes and the words of web addresses. Data only; the rules live in `normalize`."""

from __future__ import annotations

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
    "TDP": "tổ dân phố",
    "ATTP": "an toàn thực phẩm",
    "ATGT": "an toàn giao thông",
    "GPLX": "giấy phép lái xe",
    "SĐT": "số điện thoại",
    "ĐT": "điện thoại",
    "NĐ-CP": "nghị định chính phủ",
    "NQ-CP": "nghị quyết chính phủ",
    "CT-TTg": "chỉ thị thủ tướng chính phủ",
    "QĐ-TTg": "quyết định thủ tướng chính phủ",
    "TT-BTTTT": "thông tư bộ thông tin và truyền thông",
    "QĐ-UBND": "quyết định ủy ban nhân dân",
    "QĐ": "quyết định",
    "TW": "trung ương",
    "TƯ": "trung ương",
    "HCM": "Hồ Chí Minh",
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

# Place abbreviations written with a dot ("kp.3", "TX. Nghĩa Lộ"), keyed by the lower-case
# letters. The one-letter ones are read only before a capital or a digit ("P. Chiềng Lề",
# "Q.1"): elsewhere "p." is as likely an initial or a stray letter.
PLACE_ABBREVIATIONS = {
    "kp": "khu phố", "tp": "thành phố", "tx": "thị xã", "tt": "thị trấn", "p": "phường", "q": "quận",
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
# The shorter names people use when they dictate an address letter by letter ("vê en").
SPELLING = {**{k.lower(): v for k, v in LETTERS.items()},
            "m": "em", "n": "en", "s": "ét", "x": "ích", "l": "e lờ", "g": "giê"}

ROMAN = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
# Words after which a Roman numeral is a number ("Quý IV", "Đại hội XIII", "lần thứ II").
ROMAN_CONTEXT = (r"(?:[Qq]uý|[Kk]hóa|[Kk]hoá|[Tt]hế kỷ|[Đđ]ại hội|[Kk]ỳ họp|[Nn]hiệm kỳ|[Cc]hương|[Pp]hần"
                 r"|[Mm]ục|[Đđ]iều|[Hh]ọc kỳ|[Tt]hứ|[Gg]iai đoạn|[Ll]oại|[Hh]ạng|[Cc]ấp|[Đđ]ợt|[Kk]hu vực|[Vv]ùng)")

# Words after which a short number is something to dial. After the plain "số" only the
# service numbers are read digit by digit ("số 112"); after the others any short number is
# ("tổng đài 1022", "đường dây nóng 1900 1234"), while "số 45 đường ..." stays a number.
DIAL_CONTEXT = r"(?:[Gg]ọi(?: ngay)?(?: số| tới số| đến số| đến| tới)?|[Ss]ố(?: điện thoại)?|[Tt]ổng đài|[Đđ]ường dây nóng|[Hh]otline|điện thoại)"
HOTLINE_CONTEXT = (r"(?:(?<![Kk]êu )[Gg]ọi(?: ngay)?(?: (?:vào |tới |đến )?số| đến| tới| vào)?|[Tt]ổng đài(?: số)?"
                   r"|[Đđ]ường dây nóng(?: số)?|[Hh]otline|HOTLINE|[Đđ]iện thoại|[Ss]ố máy|[Đđ]ầu số)")

# Words before "d/m" that make it a date ("Sáng 12/3"); other than ngày/mồng/mùng they are
# followed by "ngày" when read ("Sáng ngày mười hai tháng ba").
DATE_WORDS = ("ngày|mồng|mùng|Ngày|Mồng|Mùng|đến|Đến|từ|Từ|và|hôm|hạn|trước|sau|vào|Vào|hết"
              "|sáng|Sáng|trưa|Trưa|chiều|Chiều|tối|Tối|đêm|Đêm")
# What tells "số 12/3 đường ..." (an address: "trên"), "1/2 số hộ" or "khoảng 2/3" (a fraction:
# "phần"), "5/10 xã" (so many out of: "trên") and a bare "2/9" (a date) apart.
ADDRESS_WORDS = "số|nhà|ngõ|ngách|hẻm|kiệt|lô|thửa|căn|phòng|km"
FRACTION_BEFORE_WORDS = "khoảng|gần|hơn|trên|dưới|chiếm|bằng|đạt|còn|giảm|tăng|thêm|được|quá|tỷ lệ|tỉ lệ|chỉ|mới"
FRACTION_AFTER_WORDS = "số|diện tích|dân số|tổng|lượng|khối lượng|kinh phí|thời gian|quãng|giá|mức|phần"
COUNT_WORDS = ("xã|phường|thôn|bản|tổ|hộ|người|trường|đơn vị|chỉ tiêu|tiêu chí|lượt|em|cháu|học sinh|điểm"
               "|câu|khu|cơ sở|thành viên|ý kiến|trẻ|tuyến|công trình|xe|lớp")

# Legal-document codes ("15/2020/NĐ-CP"): the kind of document, then who issued it.
DOC_TYPES = {
    "NĐ": "nghị định", "QĐ": "quyết định", "TT": "thông tư", "TTLT": "thông tư liên tịch",
    "CT": "chỉ thị", "NQ": "nghị quyết", "KH": "kế hoạch", "TB": "thông báo", "CV": "công văn",
    "BC": "báo cáo", "HD": "hướng dẫn", "TTr": "tờ trình", "QC": "quy chế", "L": "luật",
    "PL": "pháp lệnh", "NQLT": "nghị quyết liên tịch", "CĐ": "công điện",
}
AGENCIES = {
    "CP": "chính phủ", "TTg": "thủ tướng chính phủ", "QH": "quốc hội",
    "UBTVQH": "ủy ban thường vụ quốc hội", "VPCP": "văn phòng chính phủ", "TW": "trung ương",
    "BTTTT": "bộ thông tin và truyền thông", "BYT": "bộ y tế", "BTC": "bộ tài chính",
    "BNNPTNT": "bộ nông nghiệp và phát triển nông thôn", "BNNMT": "bộ nông nghiệp và môi trường",
    "BTNMT": "bộ tài nguyên và môi trường", "BCA": "bộ công an", "BQP": "bộ quốc phòng",
    "BGDĐT": "bộ giáo dục và đào tạo", "BLĐTBXH": "bộ lao động thương binh và xã hội",
    "BXD": "bộ xây dựng", "BGTVT": "bộ giao thông vận tải", "BCT": "bộ công thương",
    "BNV": "bộ nội vụ", "BTP": "bộ tư pháp", "BKHĐT": "bộ kế hoạch và đầu tư",
    "BVHTTDL": "bộ văn hóa thể thao và du lịch", "BKHCN": "bộ khoa học và công nghệ",
    "BNG": "bộ ngoại giao", "BDTTG": "bộ dân tộc và tôn giáo", "NHNN": "ngân hàng nhà nước",
    "UBND": "ủy ban nhân dân", "HĐND": "hội đồng nhân dân", "BCĐ": "ban chỉ đạo",
    "BCH": "ban chấp hành", "TU": "tỉnh ủy", "ĐU": "đảng ủy", "BHXH": "bảo hiểm xã hội",
    "CAT": "công an tỉnh", "CAX": "công an xã", "SYT": "sở y tế", "VP": "văn phòng",
}
# Agencies whose code carries the term of office: "QH12" is "quốc hội khóa mười hai".
TERM_AGENCIES = {"QH", "HĐND", "UBTVQH"}

# Web and e-mail addresses. Labels read as words; anything else is split into Vietnamese
# syllables or spelled.
WEB_WORDS = {
    "www": "vê kép vê kép vê kép", "gov": "gốp", "vn": "vê en", "com": "com", "net": "nét",
    "org": "o rờ gờ", "edu": "e đu", "info": "in phô", "io": "i o", "mail": "meo", "email": "i meo",
    "gmail": "gờ meo", "zalo": "da lô", "facebook": "phây búc", "youtube": "du túp",
    "ubnd": "u bê en đê", "hdnd": "hát đê en đê", "bhxh": "bê hát ích hát", "vneid": "vê en e ai đi",
    "vssid": "vê ét ét ai đi", "hotline": "hót lai", "home": "hôm", "html": "hát tê em e lờ",
}
# Unaccented in addresses, accented when read: the 34 provinces (2025) and common site names.
_WEB_PHRASES = (
    "Hà Nội|Huế|Lai Châu|Điện Biên|Sơn La|Lạng Sơn|Quảng Ninh|Thanh Hóa|Nghệ An|Hà Tĩnh|Cao Bằng"
    "|Tuyên Quang|Lào Cai|Thái Nguyên|Phú Thọ|Bắc Ninh|Hưng Yên|Hải Phòng|Ninh Bình|Quảng Trị"
    "|Đà Nẵng|Quảng Ngãi|Gia Lai|Khánh Hòa|Lâm Đồng|Đắk Lắk|Hồ Chí Minh|Đồng Nai|Tây Ninh|Cần Thơ"
    "|Vĩnh Long|Đồng Tháp|Cà Mau|An Giang|dịch vụ công|chính phủ|bảo hiểm xã hội|công an|y tế"
    "|thuế|tin tức|văn bản|cổng thông tin|báo chính phủ|thư viện pháp luật|tiêm chủng"
)


def _unaccented(phrase: str) -> str:
    bare = unicodedata.normalize("NFD", phrase.lower().replace("đ", "d"))
    return "".join(ch for ch in bare if ch.isalpha() and not unicodedata.combining(ch))


WEB_WORDS.update({_unaccented(p): p.lower() for p in _WEB_PHRASES.split("|")})
WEB_WORDS["tphcm"] = "thành phố hồ chí minh"
WEB_SYMBOLS = {".": "chấm", "@": "a còng", "/": "gạch chéo", "-": "gạch ngang", "_": "gạch dưới",
               ":": "hai chấm"}
# Top-level domains that mark a bare "sonla.gov.vn" as an address (with "www." or a scheme
# any ending does).
WEB_TLDS = "vn|com|net|org|gov|edu|info|io|int"

# One Vietnamese syllable written without its tone marks, to split "thuvienphapluat".
SYLLABLE = r"(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|[bcdghklmnprstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
