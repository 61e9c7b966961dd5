"""The text side of reading verification, on transcripts written out by hand: what counts as a
sentence heard, a number heard, a number changed, extra speech, another text. And the `[record]`
settings. (The same judgement on real speech: test_record.py.)"""

from __future__ import annotations

import pytest

from broadcast.check.align import align, canonical
from broadcast.check.spoken import tokens as words
from broadcast.core.config import RecordLimits, load_config, record_limits
from broadcast.core.errors import WorkspaceError
from broadcast.recording.verify import judge_reading, sentences_of

LIMITS = RecordLimits()
TEXT = ("Ủy ban nhân dân xã thông báo: ngày 15/12/2026, từ 7 giờ 30 phút, Trạm Y tế xã tổ chức tiêm "
        "chủng cho trẻ em dưới 5 tuổi.\n\nMọi thắc mắc xin gọi số điện thoại 0212 3845 123.")
SAID = ("ủy ban nhân dân xã thông báo ngày 15 tháng 12 năm 2026 từ 7 giờ 30 phút trạm y tế xã tổ chức "
        "tiêm chủng cho trẻ em dưới 5 tuổi. Mọi thắc mắc xin gọi số điện thoại không hai một hai ba tám "
        "bốn năm một hai ba.")


def judge(said: str, text: str = TEXT):
    return judge_reading(text, "vi", said, LIMITS)


def test_the_text_is_cut_into_the_sentences_a_reader_reads():
    parts = sentences_of(TEXT, "vi")
    assert [raw for raw, _ in parts] == [TEXT.split("\n\n")[0], TEXT.split("\n\n")[1]]
    assert "mười lăm tháng mười hai" in parts[0][1]
    # a piece too short to judge on its own joins the next sentence
    assert len(sentences_of("Xin chào. Bà con chú ý lắng nghe thông báo sau đây.", "vi")) == 1


def test_a_whole_reading_passes_written_in_digits_or_in_words_with_tones_misheard():
    assert judge(SAID).passed
    assert judge(SAID.replace("15 tháng 12 năm 2026", "mười lăm tháng mười hai năm hai nghìn không trăm hai mươi sáu")).passed
    toneless = "uy ban nhan dan xa thong bao ngay muoi lam thang muoi hai nam hai nghin khong tram hai muoi sau " \
               "tu bay gio ba muoi phut tram y te xa to chuc tiem chung cho tre em duoi nam tuoi moi thac mac " \
               "xin goi so dien thoai khong hai mot hai ba tam bon nam mot hai ba"
    assert judge(toneless).passed


def test_hesitations_a_repeated_word_and_a_word_misheard_still_pass():
    said = SAID.replace("thông báo", "ờ thông báo thông báo").replace("tiêm chủng", "tìm chung")
    v = judge(said)
    assert v.passed, v.problems


def test_a_sentence_left_out_fails_naming_it_and_not_its_numbers_again():
    v = judge(SAID.split(". ")[0])
    assert not v.passed and not v.refused
    assert [s.index for s in v.missing_sentences] == [2]
    assert v.problems == ["sentence 2 not heard (0% of it): “Mọi thắc mắc xin gọi số điện thoại 0212 3845 123.”"]


@pytest.mark.parametrize("said, written", [
    ("ngày 16 tháng 12 năm 2026", "15/12/2026"),                   # a digit read as another
    ("ngày mười tháng 12 năm 2026", "15/12/2026"),                 # a syllable of it left out
    ("ngày 15 tháng 12 năm 2027", "15/12/2026"),
])
def test_a_changed_date_fails(said, written):
    v = judge(SAID.replace("ngày 15 tháng 12 năm 2026", said))
    assert not v.passed
    assert any(f"number “{written}”" in p for p in v.problems), v.problems


def test_a_changed_phone_number_fails_one_digit_changed_or_left_out():
    for said in ("không hai một hai ba tám bốn sáu một hai ba", "không hai một hai ba tám bốn một hai ba"):
        v = judge(SAID.replace("không hai một hai ba tám bốn năm một hai ba", said))
        assert [p for p in v.problems if "0212 3845 123" in p], said


def test_the_number_changed_in_a_sentence_with_a_year_is_found_in_its_own_place():
    # "năm" (five) of "dưới 5 tuổi" is not the "năm" (year) of the date before it
    v = judge(SAID.replace("dưới 5 tuổi", "dưới 6 tuổi"))
    assert v.problems == ["number “5” of sentence 1 not heard as written (heard as “sáu”)"]


def test_a_number_misheard_as_words_that_are_not_numbers_is_not_a_changed_number():
    # espeak-ng's "một một hai" is heard by Whisper base as "mục mục hại": there, not changed
    v = judge_reading("Khi có sự cố, gọi ngay số 112 hoặc báo cho trưởng bản.", "vi",
                      "Hị tò sử tố, roi ai sâu mục mục hại quái báo chó chuẩn bàn.", LIMITS)
    assert v.passed, v.problems


def test_extra_speech_is_reported_but_does_not_fail():
    said = SAID + " Sau đây là bản tin thời tiết của đài khí tượng thủy văn tỉnh Sơn La phát lúc năm giờ."
    v = judge(said)
    assert v.passed and v.extra and v.notes[0].startswith("extra speech, not in the text:")


def test_another_text_or_nothing_heard_is_refused_as_such():
    v = judge("Đề nghị bà con không đi qua ngầm tràn, không vớt củi trên suối khi có mưa lớn kéo dài.")
    assert v.refused and not v.passed and "not a reading of this text" in v.problems[0]
    assert len(v.problems) == 1                       # not every sentence named
    v = judge("")
    assert v.refused and v.problems == ["no speech was heard in the take"]


def test_number_words_are_compared_without_tones_and_in_one_spelling():
    assert canonical(words("mười lăm hai mươi tư hai ngàn một trăm lẻ năm")) == \
        canonical(words("mươi năm hai mươi bốn hai nghìn mốt trăm linh nằm"))
    assert canonical(["sâu"]) != canonical(["sáu"])          # deep is not six
    al = align(words("mười lăm tháng"), words("mười sáu tháng"), LIMITS.match_similarity)
    assert list(al.partner) == [0, -1, 2] and al.substitute[1] == 1


def test_record_settings_are_read_and_checked(tmp_path):
    from tests.conftest import CONFIG

    path = tmp_path / "broadcast.toml"
    path.write_text(CONFIG + '\n[record]\nsentence_heard = 0.5\nextra_words = 6\n'
                    '[record.phrases]\nclosing = "Xin cảm ơn."\n', encoding="utf-8")
    limits = record_limits(load_config(path), path)
    assert limits.sentence_heard == 0.5 and limits.extra_words == 6 and limits.number_present == LIMITS.number_present
    for bad, field in (("sentence_heared = 0.5", "record.sentence_heared"), ("number_heard = 2", "record.number_heard"),
                       ("min_words_per_s = true", "record.min_words_per_s"), ("max_upload_mb = -1", "record.max_upload_mb")):
        path.write_text(CONFIG + f"\n[record]\n{bad}\n", encoding="utf-8")
        with pytest.raises(WorkspaceError) as err:
            record_limits(load_config(path), path)
        assert err.value.problem.field == field and "broadcast.toml" in str(err.value)


def test_voices_toml_places_the_human_reading_among_the_voices(ws):
    from broadcast.speech import reading_first
    from broadcast.speech.errors import SpeechError
    from broadcast.speech.voices import load_voice_list

    w = ws.load()
    assert reading_first(w, "vi")                 # no entry: a current reading comes first
    toml = ws.root / "voices" / "vi.toml"
    toml.write_text('[[voice]]\nid = "vi-espeak"\nengine = "espeak-ng"\nvoice = "vi"\n\n'
                    '[[voice]]\nid = "reading"\nengine = "recorded"\n', encoding="utf-8")
    assert load_voice_list(w.voices_dir, "vi").reading_at == 1
    assert [v.id for v in load_voice_list(w.voices_dir, "vi").voices] == ["vi-espeak"]
    assert not reading_first(w, "vi")             # espeak-ng is listed first and works here
    toml.write_text('[[voice]]\nid = "reading"\nengine = "recorded"\n\n[[voice]]\nid = "again"\nengine = "recorded"\n',
                    encoding="utf-8")
    with pytest.raises(SpeechError) as err:
        load_voice_list(w.voices_dir, "vi")
    assert "vi.toml" in str(err.value) and "voice[2]" in str(err.value)
