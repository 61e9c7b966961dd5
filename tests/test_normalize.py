"""Vietnamese normalisation for speech: what the reader should say for what is written."""

from __future__ import annotations

import pytest

from broadcast.speech.normalize import normalize, normalize_vi, read_number

CASES = [
    # cardinals and thousands separators
    ("0", "không"),
    ("5 tuổi", "năm tuổi"),
    ("10 hộ", "mười hộ"),
    ("15 ngày", "mười lăm ngày"),
    ("21 người", "hai mươi mốt người"),
    ("24 giờ", "hai mươi tư giờ"),
    ("25 xã", "hai mươi lăm xã"),
    ("105 hộ", "một trăm linh năm hộ"),
    ("110 hộ", "một trăm mười hộ"),
    ("2.000 người", "hai nghìn người"),
    ("1.050 hộ", "một nghìn không trăm năm mươi hộ"),
    ("1.500.000 đồng", "một triệu năm trăm nghìn đồng"),
    ("1.000.005", "một triệu không trăm linh năm"),
    ("năm 2026", "năm hai nghìn không trăm hai mươi sáu"),
    ("2005", "hai nghìn không trăm linh năm"),
    ("3 tỷ", "ba tỷ"),
    ("1.200.000.000", "một tỷ hai trăm triệu"),
    # decimals
    ("38,5", "ba mươi tám phẩy năm"),
    ("3,05 ha", "ba phẩy không năm héc ta"),
    ("0,25", "không phẩy hai mươi lăm"),
    ("1.234,5", "một nghìn hai trăm ba mươi tư phẩy năm"),
    # dates
    ("15/01/2099", "ngày mười lăm tháng một năm hai nghìn không trăm chín mươi chín"),
    ("ngày 15/01/2099", "ngày mười lăm tháng một năm hai nghìn không trăm chín mươi chín"),
    ("01/7/2025", "ngày một tháng bảy năm hai nghìn không trăm hai mươi lăm"),
    ("ngày 12/01", "ngày mười hai tháng một"),
    ("ngày 30/4", "ngày ba mươi tháng tư"),
    ("mồng 2/9", "mồng hai tháng chín"),
    ("từ 24 đến 25/11", "từ hai mươi tư đến ngày hai mươi lăm tháng mười một"),
    ("2026-11-24", "ngày hai mươi tư tháng mười một năm hai nghìn không trăm hai mươi sáu"),
    ("tháng 12/2026", "tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    ("tháng 4", "tháng tư"),
    ("10.12.2026", "ngày mười tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    # times
    ("19 giờ 30 phút", "mười chín giờ ba mươi phút"),
    ("19h30", "mười chín giờ ba mươi phút"),
    ("lúc 19h", "lúc mười chín giờ"),
    ("7h30'", "bảy giờ ba mươi phút"),
    ("7:30", "bảy giờ ba mươi phút"),
    ("07:05", "bảy giờ năm phút"),
    ("17:00", "mười bảy giờ"),
    ("7h30 - 11h", "bảy giờ ba mươi phút đến mười một giờ"),
    # phone numbers, digit by digit
    ("0215 3845 123", "không hai một năm, ba tám bốn năm, một hai ba"),
    ("số điện thoại 0212 3845 123.", "số điện thoại không hai một hai, ba tám bốn năm, một hai ba."),
    ("0912345678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("0912.345.678", "không chín một hai, ba bốn năm, sáu bảy tám"),
    ("+84 912 345 678", "cộng tám tư, chín một hai, ba bốn năm, sáu bảy tám"),
    ("gọi ngay số 112", "gọi ngay số một một hai"),
    ("gọi 114", "gọi một một bốn"),
    ("112 hộ dân", "một trăm mười hai hộ dân"),
    ("gọi 112 (cứu nạn), 114 (cứu hỏa) hoặc 115 (cấp cứu)",
     "gọi một một hai, cứu nạn, một một bốn, cứu hỏa, hoặc một một năm, cấp cứu,"),
    ("gọi số 113 hoặc 114, có 114 hộ", "gọi số một một ba hoặc một một bốn, có một trăm mười bốn hộ"),
    ("1.263.600 đồng/năm", "một triệu hai trăm sáu mươi ba nghìn sáu trăm đồng trên năm"),
    ("giá 20.000 đồng/kg", "giá hai mươi nghìn đồng trên ki lô gam"),
    # percentages and units
    ("50%", "năm mươi phần trăm"),
    ("12,5 %", "mười hai phẩy năm phần trăm"),
    ("38,5 độ C", "ba mươi tám phẩy năm độ xê"),
    ("39°C", "ba mươi chín độ xê"),
    ("12 km", "mười hai ki lô mét"),
    ("5kg", "năm ki lô gam"),
    ("2 ha", "hai héc ta"),
    ("150 m", "một trăm năm mươi mét"),
    ("30 cm", "ba mươi xen ti mét"),
    ("200 mm", "hai trăm mi li mét"),
    ("20 l", "hai mươi lít"),
    ("50 m2", "năm mươi mét vuông"),
    ("60 km/h", "sáu mươi ki lô mét trên giờ"),
    ("50.000đ", "năm mươi nghìn đồng"),
    ("-5 độ C", "âm năm độ xê"),
    # ordinals and names
    ("lớp 10", "lớp mười"),
    ("lớp 10A1", "lớp mười A một"),
    ("thứ Năm", "thứ Năm"),
    ("thứ 2", "thứ hai"),
    ("Thứ 7", "Thứ bảy"),
    ("lần thứ 1", "lần thứ nhất"),
    ("thứ 4", "thứ tư"),
    ("Quý IV", "Quý bốn"),
    ("Đại hội XIII", "Đại hội mười ba"),
    ("lần thứ II", "lần thứ hai"),
    ("thế kỷ XXI", "thế kỷ hai mươi mốt"),
    # abbreviations
    ("UBND xã", "ủy ban nhân dân xã"),
    ("HĐND xã", "hội đồng nhân dân xã"),
    ("MTTQ", "mặt trận tổ quốc"),
    ("trường THPT", "trường trung học phổ thông"),
    ("trường THCS", "trường trung học cơ sở"),
    ("thẻ CCCD", "thẻ căn cước công dân"),
    ("ứng dụng VNeID", "ứng dụng vê en e ai đi"),
    ("TP. Sơn La", "thành phố Sơn La"),
    ("TT. Mộc Châu", "thị trấn Mộc Châu"),
    ("thẻ BHYT", "thẻ bảo hiểm y tế"),
    ("CSGT", "cảnh sát giao thông"),
    ("PCCC", "phòng cháy chữa cháy"),
    ("Covid-19", "cô vít mười chín"),
    ("Quyết định 123/QĐ-UBND", "Quyết định một trăm hai mươi ba quyết định ủy ban nhân dân"),
    ("KCN", "ca xê en nờ"),
    # year and number ranges
    ("2025 - 2030", "hai nghìn không trăm hai mươi lăm đến hai nghìn không trăm ba mươi"),
    ("giai đoạn 2025-2030", "giai đoạn hai nghìn không trăm hai mươi lăm đến hai nghìn không trăm ba mươi"),
    ("5-7 ngày", "năm đến bảy ngày"),
    # punctuation and whole sentences
    ("Đoàn Thanh niên - Hội Phụ nữ", "Đoàn Thanh niên, Hội Phụ nữ"),
    ("(trừ Chủ nhật)", "trừ Chủ nhật,"),
    ("nhà văn hóa & sân bóng", "nhà văn hóa và sân bóng"),
    ("mức 2 trên ứng dụng VNeID.", "mức hai trên ứng dụng vê en e ai đi."),
]


@pytest.mark.parametrize("written,spoken", CASES, ids=[c[0] for c in CASES])
def test_normalize_vi(written: str, spoken: str) -> None:
    assert normalize_vi(written) == spoken


def test_table_is_large_enough() -> None:
    assert len(CASES) >= 60


def test_no_digits_survive_in_examples() -> None:
    from pathlib import Path

    for path in sorted(Path(__file__).parents[1].joinpath("examples", "announcements").glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        spoken = normalize_vi(body)
        assert not any(ch.isdigit() for ch in spoken), (path.name, spoken)
        assert spoken.count("\n\n") == body.strip().count("\n\n")  # paragraphs kept


def test_decomposed_unicode_is_composed_first() -> None:
    import unicodedata

    assert normalize_vi(unicodedata.normalize("NFD", "Ủy ban 5 người")) == "Ủy ban năm người"


def test_other_languages_are_only_tidied() -> None:
    assert normalize("  Nyob zoo   5  ", "hmn") == "Nyob zoo 5"


@pytest.mark.parametrize("n", [0, 7, 19, 999, 1001, 10_000_000, 123_456_789_012])
def test_read_number_has_no_digits(n: int) -> None:
    assert read_number(n) and not any(ch.isdigit() for ch in read_number(n))
