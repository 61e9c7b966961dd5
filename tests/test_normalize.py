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
    ("đến 11 giờ 00 và từ 13 giờ 30 đến 17 giờ 00.", "đến mười một giờ và từ mười ba giờ ba mươi đến mười bảy giờ."),
    ("họp 8 giờ 00 phút, xong lúc 10 giờ 00", "họp tám giờ, xong lúc mười giờ"),
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
    # "Quyết định" is said just before the code, so the code reads only its issuer (this case
    # read "quyết định" twice before the document-code rule).
    ("Quyết định 123/QĐ-UBND", "Quyết định một trăm hai mươi ba ủy ban nhân dân"),
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
    # a slash between numbers: fraction, address, "so many of", date
    ("1/2 số hộ", "một phần hai số hộ"),
    ("khoảng 2/3 diện tích", "khoảng hai phần ba diện tích"),
    ("3/4 số hộ", "ba phần tư số hộ"),
    ("hơn 1/3 dân số", "hơn một phần ba dân số"),
    ("1/2 kg", "một phần hai ki lô gam"),
    ("số 12/3 đường Lê Lợi", "số mười hai trên ba đường Lê Lợi"),
    ("nhà số 5/7 ngõ 3", "nhà số năm trên bảy ngõ ba"),
    ("số 113/5", "số một trăm mười ba trên năm"),
    ("5/10 xã đạt chuẩn", "năm trên mười xã đạt chuẩn"),
    ("phục vụ 24/7", "phục vụ hai mươi tư trên bảy"),
    ("Quốc khánh 2/9", "Quốc khánh ngày hai tháng chín"),
    # dates: one "ngày", ranges
    ("Sáng 12/3", "Sáng ngày mười hai tháng ba"),
    ("Ngày 15/01", "Ngày mười lăm tháng một"),
    ("vào ngày 5/12", "vào ngày năm tháng mười hai"),
    ("ngày mồng 5/12", "ngày mồng năm tháng mười hai"),
    ("Ngày 15/01/2099", "Ngày mười lăm tháng một năm hai nghìn không trăm chín mươi chín"),
    ("ngày 2/9/2026", "ngày hai tháng chín năm hai nghìn không trăm hai mươi sáu"),
    ("trước 31/12", "trước ngày ba mươi mốt tháng mười hai"),
    ("12-15/12", "ngày mười hai đến mười lăm tháng mười hai"),
    ("từ ngày 12-15/12/2026",
     "từ ngày mười hai đến mười lăm tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    ("từ 01/12 - 05/12/2026",
     "từ ngày một tháng mười hai đến ngày năm tháng mười hai năm hai nghìn không trăm hai mươi sáu"),
    # periods and Roman numerals in their contexts
    ("Quý I/2026", "Quý một năm hai nghìn không trăm hai mươi sáu"),
    ("quý 1/2026", "quý một năm hai nghìn không trăm hai mươi sáu"),
    ("Quý IV/2025", "Quý bốn năm hai nghìn không trăm hai mươi lăm"),
    ("Đợt II/2026", "Đợt hai năm hai nghìn không trăm hai mươi sáu"),
    ("Chương II", "Chương hai"),
    ("Phần I", "Phần một"),
    ("Mục II", "Mục hai"),
    ("đợt III", "đợt ba"),
    ("Khóa XV", "Khóa mười lăm"),
    ("Điều IV", "Điều bốn"),
    ("Kỳ họp thứ 5 HĐND xã khóa XXI", "Kỳ họp thứ năm hội đồng nhân dân xã khóa hai mươi mốt"),
    ("hạng C", "hạng C"),
    ("Hạng B2", "Hạng B hai"),
    # service numbers and hotlines, digit by digit; counts stay numbers
    ("tổng đài 1022", "tổng đài một không hai hai"),
    ("1022 hộ", "một nghìn không trăm hai mươi hai hộ"),
    ("số 1022", "số một không hai hai"),
    ("Đường dây nóng: 1022", "Đường dây nóng: một không hai hai"),
    ("đường dây nóng 1900 1234", "đường dây nóng một chín không không, một hai ba bốn"),
    ("gọi số 1900 1234", "gọi số một chín không không, một hai ba bốn"),
    ("hotline 1800 1091", "hotline một tám không không, một không chín một"),
    ("18001091", "một tám không không, một không chín một"),
    ("gọi 19009095", "gọi một chín không không, chín không chín năm"),
    ("gọi tổng đài 1022 hoặc 1900 9095",
     "gọi tổng đài một không hai hai hoặc một chín không không, chín không chín năm"),
    ("năm 1900", "năm một nghìn chín trăm"),
    ("kêu gọi 500 hộ dân", "kêu gọi năm trăm hộ dân"),
    ("gọi 500 người", "gọi năm trăm người"),
    ("điện thoại 500.000 đồng", "điện thoại năm trăm nghìn đồng"),
    # web and e-mail addresses
    ("www.sonla.gov.vn", "vê kép vê kép vê kép chấm sơn la chấm gốp chấm vê en"),
    ("https://dichvucong.gov.vn", "dịch vụ công chấm gốp chấm vê en"),
    ("ubnd@sonla.gov.vn", "u bê en đê a còng sơn la chấm gốp chấm vê en"),
    ("Liên hệ: ubnd@sonla.gov.vn.", "Liên hệ: u bê en đê a còng sơn la chấm gốp chấm vê en."),
    ("Truy cập https://dichvucong.gov.vn/.", "Truy cập dịch vụ công chấm gốp chấm vê en."),
    ("(xem www.sonla.gov.vn)", "xem vê kép vê kép vê kép chấm sơn la chấm gốp chấm vê en,"),
    ("Xem tại thuvienphapluat.vn, mục văn bản", "Xem tại thư viện pháp luật chấm vê en, mục văn bản"),
    ("tiemchung2026@gmail.com", "tiêm chủng hai không hai sáu a còng gờ meo chấm com"),
    ("sonla.gov.vn/tin-tuc", "sơn la chấm gốp chấm vê en gạch chéo tin gạch ngang tuc"),
    # legal document codes: the kind is not said twice
    ("Nghị định số 15/2020/NĐ-CP", "Nghị định số mười lăm năm hai nghìn không trăm hai mươi chính phủ"),
    ("theo 15/2020/NĐ-CP", "theo mười lăm năm hai nghìn không trăm hai mươi nghị định chính phủ"),
    ("Luật số 48/2010/QH12", "Luật số bốn mươi tám năm hai nghìn không trăm mười quốc hội khóa mười hai"),
    ("Chỉ thị số 16/CT-TTg", "Chỉ thị số mười sáu thủ tướng chính phủ"),
    ("16/CT-TTg", "mười sáu chỉ thị thủ tướng chính phủ"),
    ("CT-TTg", "chỉ thị thủ tướng chính phủ"),
    ("Thông tư 39/2020/TT-BTTTT",
     "Thông tư ba mươi chín năm hai nghìn không trăm hai mươi bộ thông tin và truyền thông"),
    ("Theo Quyết định số 1234/QĐ-TTg", "Theo Quyết định số một nghìn hai trăm ba mươi tư thủ tướng chính phủ"),
    ("Kế hoạch số 45/KH-UBND", "Kế hoạch số bốn mươi lăm ủy ban nhân dân"),
    ("Nghị quyết số 12/NQ-HĐND", "Nghị quyết số mười hai hội đồng nhân dân"),
    ("Công văn số 45/UBND-VX", "Công văn số bốn mươi lăm ủy ban nhân dân vê ích xì"),
    # vehicle plates
    ("biển số 26A-123.45", "biển số hai sáu a, một hai ba, bốn năm"),
    ("xe 29B1-234.56", "xe hai chín bê một, hai ba bốn, năm sáu"),
    # time ranges with "h"
    ("7h-11h", "bảy giờ đến mười một giờ"),
    ("7h30-11h", "bảy giờ ba mươi phút đến mười một giờ"),
    ("từ 7h30 đến 17h", "từ bảy giờ ba mươi phút đến mười bảy giờ"),
    ("7h00 - 11h00", "bảy giờ đến mười một giờ"),
    ("14:30", "mười bốn giờ ba mươi phút"),
    ("14 giờ 30", "mười bốn giờ ba mươi"),
    ("lúc 5h sáng", "lúc năm giờ sáng"),
    ("thứ 2 - thứ 6", "thứ hai đến thứ sáu"),
    ("lần thứ 3", "lần thứ ba"),
    # units after decimal commas, percentages, money
    ("2,5 ha", "hai phẩy năm héc ta"),
    ("1,5 km", "một phẩy năm ki lô mét"),
    ("37,5°C", "ba mươi bảy phẩy năm độ xê"),
    ("3,5 tấn", "ba phẩy năm tấn"),
    ("37-39°C", "ba mươi bảy đến ba mươi chín độ xê"),
    ("100 m²", "một trăm mét vuông"),
    ("20 m³", "hai mươi mét khối"),
    ("mưa 100-150 mm", "mưa một trăm đến một trăm năm mươi mi li mét"),
    ("75%", "bảy mươi lăm phần trăm"),
    ("2,5%", "hai phẩy năm phần trăm"),
    ("5-7%", "năm đến bảy phần trăm"),
    ("500.000đ", "năm trăm nghìn đồng"),
    ("500.000 VNĐ", "năm trăm nghìn đồng"),
    ("50.000 đ/người", "năm mươi nghìn đồng trên người"),
    ("1.500.000 đồng/hộ/tháng", "một triệu năm trăm nghìn đồng trên hộ trên tháng"),
    # place abbreviations with a dot
    ("kp.3", "khu phố ba"),
    ("KP. 5", "khu phố năm"),
    ("tp. Sơn La", "thành phố Sơn La"),
    ("Tp.HCM", "thành phố Hồ Chí Minh"),
    ("TX. Nghĩa Lộ", "thị xã Nghĩa Lộ"),
    ("P. Chiềng Lề", "phường Chiềng Lề"),
    ("p.5", "phường năm"),
    ("Q.1", "quận một"),
    ("Q. Ba Đình", "quận Ba Đình"),
    ("sang p. khác", "sang p. khác"),
    ("x²", "x hai"),
    ("Từ 7h30 đến 11h ngày 5/12, Trạm Y tế xã tiêm cho 1/2 số trẻ dưới 5 tuổi; mọi thắc mắc gọi tổng đài 1022.",
     "Từ bảy giờ ba mươi phút đến mười một giờ ngày năm tháng mười hai, Trạm Y tế xã tiêm cho một phần hai số "
     "trẻ dưới năm tuổi; mọi thắc mắc gọi tổng đài một không hai hai."),
]


@pytest.mark.parametrize("written,spoken", CASES, ids=[c[0] for c in CASES])
def test_normalize_vi(written: str, spoken: str) -> None:
    assert normalize_vi(written) == spoken



def test_no_digits_survive_in_examples() -> None:
    from pathlib import Path

    for path in sorted(Path(__file__).parents[1].joinpath("examples", "announcements").glob("*.md")):
        body = path.read_text(encoding="utf-8").split("---", 2)[2]
        spoken = normalize_vi(body)
        assert not any(ch.isdigit() for ch in spoken), (path.name, spoken)
        assert spoken.count("\n\n") == body.strip().count("\n\n")  # paragraphs kept


ODD_TEXTS = [
    "", "123456789012345678901234567890", "1/0", "0/0", "99/99/9999", "31/02", "00:00", "25h", "-0",
    "1.2.3.4.5", "1,2,3", "12-", "/12", "1//2", "²³", "٣ người", "５ hộ", "QH", "15/2020/X-Y-Z",
    "Quý IIII/2026", "a@b.vn", "https://", "www.", "1900", "gọi 1", "số 0", "+84", "29B1-", "A1-12345",
    "ngày 0/0", "thứ 999", "0" * 40, "1.000.000.000.000.000.000.000", "12-15/13", "kp.", "Q.", "7h-",
]


@pytest.mark.parametrize("text", ODD_TEXTS)
def test_odd_text_gives_words_and_no_digit(text: str) -> None:
    spoken = normalize_vi(text)
    assert not any("0" <= ch <= "9" for ch in spoken), spoken


def test_decomposed_unicode_is_composed_first() -> None:
    import unicodedata

    assert normalize_vi(unicodedata.normalize("NFD", "Ủy ban 5 người")) == "Ủy ban năm người"


def test_other_languages_are_only_tidied() -> None:
    assert normalize("  Nyob zoo   5  ", "hmn") == "Nyob zoo 5"


@pytest.mark.parametrize("n", [0, 7, 19, 999, 1001, 10_000_000, 123_456_789_012])
def test_read_number_has_no_digits(n: int) -> None:
    assert read_number(n) and not any(ch.isdigit() for ch in read_number(n))
