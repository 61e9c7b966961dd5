"""`broadcast preview` and `approve`'s spoken form: what will be read aloud, read by the speech
stage's own normaliser and sentence split (one normaliser, one reading), with the voice that
reads it; `--out` writes real espeak-ng speech."""

from __future__ import annotations

import re
import wave

import numpy as np
from click.testing import CliRunner

from broadcast.cli.root import cli
from broadcast.core import db
from broadcast.core.audit import latest_approvals
from broadcast.speech import spoken_paragraphs, synthesize
from broadcast.speech.preview import spoken_lines, spoken_sentences
from broadcast.speech.synth import count_words
from conftest import BODY

DATE_WORDS = "ngày mười lăm tháng mười hai năm hai nghìn không trăm chín mươi chín"
CODES_BODY = ("Theo Nghị định 100/2019/NĐ-CP, UBND xã đề nghị bà con gọi 1900 1234 khi cần.\n\n"
              "Xin cảm ơn bà con.")


def sentences_of(text: str, lang: str = "vi") -> list[str]:
    return [s for paragraph in spoken_paragraphs(lang, text) for s in paragraph]


def numbered(output: str) -> list[str]:
    """The numbered sentence lines of a preview, without their numbers."""
    return [m.group(1) for m in re.finditer(r"^\s*\d+\. (.*)$", output, re.M)]


def test_preview_shows_each_sentence_as_the_voice_reads_it(ws) -> None:
    ws.write()
    result = ws.run("preview", "tiem-chung")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "tiem-chung · Lịch tiêm chủng · Tiếng Việt (vi) · draft: not approved yet"
    assert lines[1] == "on air 14/12/2099, 15/12/2099 · 05:30 morning, 17:00 evening · read 2 times a slot"
    assert lines[2].startswith("read by vi-north (espeak-ng 1.") and "vi.toml" in lines[2]
    spoken = numbered(result.output)
    # exactly the sentences the speech stage gives the voice, in order, numbered from 1
    assert spoken == sentences_of(BODY)
    assert re.findall(r"^\s*(\d+)\. ", result.output, re.M) == [str(n) for n in range(1, len(spoken) + 1)]
    assert DATE_WORDS in spoken[0] and "bảy giờ ba mươi phút" in spoken[0] and "dưới năm tuổi" in spoken[0]
    assert not any(ch.isdigit() for line in spoken for ch in line)
    # under the sentence: each written form and how it is read
    assert "15/12/2099 → mười lăm tháng mười hai năm hai nghìn không trăm chín mươi chín" in result.output
    assert "      5 → năm" in result.output
    assert result.output.rstrip().endswith("1 holds numbers, dates, codes or abbreviations (each shown as "
                                           "written → as read)")


def test_preview_of_codes_and_abbreviations_matches_the_speech_stage(ws) -> None:
    ws.write(body=CODES_BODY)
    result = ws.run("preview", str(ws.announcements / "tiem-chung.md"))   # a file path works as well as an id
    assert result.exit_code == 0, result.output
    assert numbered(result.output) == sentences_of(CODES_BODY)
    assert "UBND → ủy ban nhân dân" in result.output
    assert re.search(r"1900 1234 → một chín không không", result.output)
    assert "2 sentences in 2 paragraphs; 1 holds" in result.output


def test_preview_text_prints_exactly_the_spoken_lines(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)                       # no workspace anywhere: --text needs none
    text = "Gọi 1900 1234.\nNgày 2/9, UBND xã họp.\n\nXin cảm ơn."
    result = CliRunner().invoke(cli, ["preview", "--text", text], env={"BROADCAST_HOME": None})
    assert result.exit_code == 0, result.output
    assert result.output == "\n".join(sentences_of(text)) + "\n"
    assert result.output.splitlines()[0].startswith("Gọi một chín không không")
    assert len(result.output.splitlines()) == 3 and "ủy ban nhân dân" in result.output
    assert spoken_lines(text, "vi") == sentences_of(text)
    # another language: its own sentence split, nothing else printed
    hmn = CliRunner().invoke(cli, ["preview", "--text", "Nyob zoo. Ua tsaug.", "--lang", "hmn"],
                             env={"BROADCAST_HOME": None})
    assert hmn.exit_code == 0 and hmn.output == "Nyob zoo.\nUa tsaug.\n"


def test_preview_out_writes_the_reading_as_wav(ws, tmp_path) -> None:
    ws.write()
    out = tmp_path / "nghe.wav"
    result = ws.run("preview", "tiem-chung", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "unmastered" in result.output and "vi-north (espeak-ng" in result.output
    with wave.open(str(out)) as w:
        assert (w.getnchannels(), w.getsampwidth()) == (1, 2)
        rate, frames = w.getframerate(), w.getnframes()
        pcm = np.frombuffer(w.readframes(frames), "<i2").astype(np.float32) / 32768
    seconds = frames / rate
    assert f"wrote {out.name}: {seconds:.1f} s" in result.output or f"{seconds:.1f} s" in result.output
    words = count_words(" ".join(sentences_of(BODY)))
    # espeak-ng at 140 words a minute with pauses: a plausible reading speed for the text
    assert 1.5 <= words / seconds <= 5.0, (words, seconds)
    assert float(np.sqrt(np.mean(pcm ** 2))) > 0.01            # speech, not silence
    # it is the speech stage's own reading of the text (the same samples synthesize gives)
    speech = synthesize(ws.load(), "vi", BODY)
    assert speech.sample_rate == rate and len(speech.samples) == frames
    assert np.max(np.abs(np.clip(speech.samples, -1, 1) - pcm)) < 1e-3
    assert not list(tmp_path.glob(".*.part"))


def test_preview_works_on_drafts_approved_and_changed_files(ws) -> None:
    path = ws.write()
    assert "draft: not approved yet" in ws.run("preview", "tiem-chung").output
    assert ws.run("approve", str(path), "--by", "Lò Văn Minh").exit_code == 0
    approved = ws.run("preview", "tiem-chung").output.splitlines()[0]
    # the commune's time with its offset, not UTC
    assert re.search(r"approved by Lò Văn Minh at \d{4}-\d\d-\d\d \d\d:\d\d \+0700$", approved), approved
    path.write_text(path.read_text(encoding="utf-8").replace("5 tuổi", "6 tuổi"), encoding="utf-8")
    changed = ws.run("preview", "tiem-chung")
    assert changed.exit_code == 0
    assert "changed since it was approved by Lò Văn Minh" in changed.output and "+0700" in changed.output
    assert "dưới sáu tuổi" in changed.output


def test_a_language_without_a_voice_says_so_and_how_to_add_one(ws, tmp_path) -> None:
    ws.write(languages="[vi, hmn]")
    folder = ws.root / "translations" / "tiem-chung"
    folder.mkdir(parents=True)
    (folder / "hmn.md").write_text("Tsev kho mob yuav txhaj tshuaj.\n\nUa tsaug.\n", encoding="utf-8")
    result = ws.run("preview", "tiem-chung", "--lang", "hmn")
    assert result.exit_code == 0, result.output
    assert "H'Mông (hmn)" in result.output and "not an approved translation" in result.output
    assert "no synthetic voice for hmn" in result.output
    assert "broadcast record tiem-chung --lang hmn FILE --by NAME" in result.output
    assert 'voice = [{ id = "hmn-' in result.output
    assert numbered(result.output) == ["Tsev kho mob yuav txhaj tshuaj.", "Ua tsaug."]
    out = tmp_path / "hmn.wav"
    refused = ws.run("preview", "tiem-chung", "--lang", "hmn", "--out", str(out))
    assert refused.exit_code == 1 and not out.exists()
    assert "error: " in refused.output and "no synthetic voice for hmn" in refused.output
    assert "Traceback" not in refused.output
    # no translation at all: one line naming the file and the command that makes it
    missing = ws.run("preview", "tiem-chung", "--lang", "blt")
    assert missing.exit_code == 1 and "translations/tiem-chung/blt.md" in missing.output
    assert "broadcast translate tiem-chung --to blt" in missing.output


def test_preview_names_the_voices_it_skips(ws) -> None:
    ws.write()
    (ws.root / "voices" / "vi.toml").write_text(
        '[[voice]]\nid = "vi-x"\nengine = "espeak-ng"\nvoice = "xx-none"\n'
        '[[voice]]\nid = "vi-b"\nengine = "espeak-ng"\nvoice = "vi"\nrate = 150\n', encoding="utf-8")
    result = ws.run("preview", "tiem-chung")
    assert result.exit_code == 0, result.output
    assert "read by vi-b (espeak-ng" in result.output
    assert "skipped vi-x: espeak-ng has no voice 'xx-none'" in result.output


def test_preview_mistakes_are_one_line(ws, tmp_path) -> None:
    ws.write()
    for args, code, words in (
        (("preview", "nope"), 1, "no announcement with id 'nope'"),
        (("preview", "tiem-chung", "--lang", "xx"), 1, "unknown language 'xx'"),
        (("preview",), 2, "give an announcement ID, or --text TEXT"),
        (("preview", "tiem-chung", "--text", "x"), 2, "not both"),
        (("preview", "tiem-chung", "--out", str(tmp_path / "a.mp3")), 2, "does not end in .wav"),
        (("preview", "--text", "x", "--out", str(tmp_path / "a.wav")), 2, "--out needs an announcement ID"),
        (("preview", "--text", "..."), 1, "nothing to say"),
    ):
        result = ws.run(*args)
        assert result.exit_code == code, (args, result.output)
        assert words in result.output and "Traceback" not in result.output, (args, result.output)


def test_spoken_sentences_name_what_the_normaliser_changed() -> None:
    sentences = spoken_sentences("Bà con họp tại nhà văn hóa.\n\nUBND xã mời 30 hộ.", "vi")
    assert [s.paragraph for s in sentences] == [1, 2]
    assert sentences[0].changes == () and not sentences[0].normalised
    assert [(c.written, c.spoken) for c in sentences[1].changes] == [("UBND", "ủy ban nhân dân"), ("30", "ba mươi")]


# ---------------------------------------------------------------- approve shows the spoken form


def approvals(ws) -> dict:
    return latest_approvals(db.connect(ws.load().db_path))


def test_approve_shows_the_sentences_read_otherwise_than_written(ws) -> None:
    path = ws.write(body=f"{BODY}\n\nBà con đến đúng giờ.")
    result = ws.run("approve", str(path), "--by", "Lò Văn Minh")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "tiem-chung: read aloud as" in out
    assert DATE_WORDS in out and "15/12/2099 → mười lăm" in out
    assert "Xin cảm ơn." not in out and "Bà con đến đúng giờ." not in out     # read as written: not shown
    assert out.index(DATE_WORDS) < out.index("approved  tiem-chung")        # shown before it is recorded
    assert "tiem-chung" in approvals(ws)
    again = ws.run("approve", str(path), "--by", "Lò Văn Minh")
    assert "already approved" in again.output and "read aloud as" not in again.output


def test_approve_of_a_text_without_numbers_says_it_is_read_as_written(ws) -> None:
    path = ws.write(body="Bà con đến nhà văn hóa họp bản.")
    result = ws.run("approve", str(path), "--by", "Lò Văn Minh")
    assert result.exit_code == 0
    assert "no numbers, dates, codes or abbreviations; read as written" in result.output


def test_approve_preview_asks_and_no_records_nothing(ws) -> None:
    path = ws.write(body=CODES_BODY)
    declined = ws.run("approve", str(path), "--by", "Lò Văn Minh", "--preview", input="n\n")
    assert declined.exit_code == 1, declined.output
    assert "read by vi-north (espeak-ng" in declined.output
    assert numbered(declined.output) == sentences_of(CODES_BODY)        # every sentence, not only the changed
    assert "Approve tiem-chung as it will be read? [y/N]" in declined.output
    assert "not approved  tiem-chung  (nothing recorded)" in declined.output
    assert approvals(ws) == {}
    assert "draft" in ws.run("status").output
    accepted = ws.run("approve", str(path), "--by", "Lò Văn Minh", "--preview", input="y\n")
    assert accepted.exit_code == 0, accepted.output
    assert "approved  tiem-chung  by Lò Văn Minh" in accepted.output
    assert approvals(ws)["tiem-chung"].by == "Lò Văn Minh"


def test_approve_preview_yes_does_not_ask(ws) -> None:
    path = ws.write()
    result = ws.run("approve", str(path), "--by", "Lò Văn Minh", "--preview", "--yes")
    assert result.exit_code == 0, result.output
    assert "[y/N]" not in result.output and DATE_WORDS in result.output
    assert "tiem-chung" in approvals(ws)


def test_approve_preview_with_no_answer_records_nothing(ws) -> None:
    path = ws.write()
    result = ws.run("approve", str(path), "--by", "Lò Văn Minh", "--preview", input="")
    assert result.exit_code == 1
    assert approvals(ws) == {}
