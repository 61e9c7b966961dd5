from __future__ import annotations

import re
from datetime import date

from broadcast.produce.zalo import PART_DELIMITER, ZALO_MESSAGE_LIMIT, split_message, zalo_message

SENTENCE = ("Ủy ban nhân dân xã Chiềng Sinh thông báo: ngày {n} tháng 12, Trạm Y tế xã tổ chức tiêm "
            "chủng cho trẻ em dưới 5 tuổi tại nhà văn hóa bản số {n}")
ENDS = (".", "!", "?", "…")


def long_text(sentences: int = 60) -> str:
    parts = []
    for i in range(sentences):
        parts.append(SENTENCE.format(n=i) + ENDS[i % len(ENDS)])
        if i % 9 == 8:
            parts.append("\n\n")
    return " ".join(parts).replace(" \n\n ", "\n\n")


def test_short_text_is_one_part_unnumbered():
    assert split_message("Xin cảm ơn.") == ["Xin cảm ơn."]


def test_long_text_splits_at_sentence_ends_within_limit():
    text = long_text()
    parts = split_message(text)
    assert len(parts) > 1
    n = len(parts)
    for i, part in enumerate(parts, 1):
        assert len(part) <= ZALO_MESSAGE_LIMIT
        assert part.startswith(f"({i}/{n}) ")
        assert part.rstrip().endswith(ENDS), part[-40:]
    # nothing lost, nothing invented
    body = " ".join(re.sub(r"^\(\d+/\d+\) ", "", p) for p in parts)
    assert re.sub(r"\s+", " ", body) == re.sub(r"\s+", " ", text)


def test_one_oversized_sentence_breaks_at_words():
    words = ["tiêm-chủng"] * 500
    parts = split_message(" ".join(words) + ".", limit=300)
    assert all(len(p) <= 300 for p in parts)
    for p in parts:
        assert all(w == "tiêm-chủng" or w == "tiêm-chủng." for w in p.split(" ")[1:])


def test_message_has_title_date_and_parts_separated():
    msg = zalo_message("Lịch tiêm chủng", date(2026, 12, 5), "vi", long_text(), station="Đài xã")
    assert "Lịch tiêm chủng" in msg and "05/12/2026" in msg
    chunks = [c.strip() for c in msg.split(PART_DELIMITER)[1:] if c.strip()]
    assert len(chunks) > 1
    for i, chunk in enumerate(chunks, 1):
        assert len(chunk) <= ZALO_MESSAGE_LIMIT
        assert f"({i}/{len(chunks)})" in chunk


def test_short_message_is_one_piece():
    msg = zalo_message("Họp bản", date(2026, 1, 2), "hmn", "Tối nay họp bản.", station="Đài xã")
    assert PART_DELIMITER not in msg
    assert len(msg) <= ZALO_MESSAGE_LIMIT and "02/01/2026" in msg and "Tối nay họp bản." in msg
