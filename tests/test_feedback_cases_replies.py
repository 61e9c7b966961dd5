"""Voice replies: an approved reply text → real espeak-ng speech in the item's language → mastered
as a Zalo voice note (AAC in M4A), measured with an independent loudness meter (pyloudnorm).
The approval gate is the announcements': the reply's exact text, and a changed reply needs a new
approval."""

from __future__ import annotations

import json
from dataclasses import replace

import av
import numpy as np
import pyloudnorm
import pytest
from mutagen.mp4 import MP4
from test_feedback_cases import new, with_case_rules

from broadcast.core import audit, db
from broadcast.core.fsutil import sha256_file
from broadcast.feedback import cases, queue
from broadcast.feedback.models import QueueError
from broadcast.feedback.replies import produce_voice_reply
from broadcast.speech.voices import install_default_voices

REPLY_VI = ("Chào bác, Ủy ban nhân dân xã đã nhận phản ánh của bác về đường vào bản Mến bị ngập. "
            "Ngày 14 tháng 11, Phòng Kinh tế đã cho khơi thông cống. Xin cảm ơn bác.")
REPLY_EN = "Hello. The commune has cleared the drain on the road to Men village. Thank you for calling."


def decode(path):
    with av.open(str(path)) as container:
        stream = container.streams.audio[0]
        info = (stream.codec_context.name, stream.codec_context.sample_rate, stream.codec_context.channels)
        pcm = np.concatenate([f.to_ndarray().reshape(-1) for f in container.decode(stream)]).astype(np.float64)
    return pcm, info


@pytest.fixture
def replies(ws):
    with_case_rules(ws)
    install_default_voices(ws.root / "voices")
    w = ws.load()
    conn = db.connect(w.db_path)
    queue.add_item(conn, new("a"))
    english = new("b", text="The road to Men village is flooded")
    queue.add_item(conn, replace(english, transcript=replace(english.transcript, language="en")))
    return ws, w, conn, cases.Cases.of(w)


@pytest.mark.slow
def test_voice_reply_is_made_only_from_an_approved_text(replies):
    ws, w, conn, rules = replies
    cases.reply(conn, rules, 1, text=REPLY_VI, by="Anh Tú", on=None)
    with pytest.raises(QueueError, match="no official has approved"):
        produce_voice_reply(conn, w, 1, by="Anh Tú")
    r = ws.run("review", "voice-reply", "1")
    assert r.exit_code == 1 and "approve-reply 1 --by NAME" in r.output

    r = ws.run("review", "approve-reply", "1", "--by", "Ông Chủ tịch")
    assert r.exit_code == 0 and "approved  reply of #1  by Ông Chủ tịch" in r.output
    assert "already approved" in ws.run("review", "approve-reply", "1", "--by", "Ông Chủ tịch").output
    r = ws.run("review", "voice-reply", "1", "--by", "Anh Tú")
    assert r.exit_code == 0, r.output
    path = w.feedback_dir / "replies" / "1-vi.m4a"
    assert path.is_file() and "1-vi.m4a" in r.output and not list(path.parent.glob("*.part"))

    pcm, (codec, rate, channels) = decode(path)
    assert (codec, rate, channels) == ("aac", 44100, 1)
    duration = len(pcm) / rate
    assert 6.0 < duration < 30.0, duration                        # the whole reply, read once
    lufs = pyloudnorm.Meter(rate).integrated_loudness(pcm)
    print(f"voice reply: {duration:.2f} s, {lufs:.2f} LUFS (pyloudnorm), peak {20 * np.log10(np.max(np.abs(pcm))):.2f} dBFS")
    assert abs(lufs - (-16.0)) <= 1.0, lufs                       # the Zalo target, by another meter
    assert 20 * np.log10(np.max(np.abs(pcm))) <= -1.0             # and headroom below full scale
    tags = MP4(path).tags
    assert tags["\xa9nam"] == ["Trả lời phản ánh #1"]
    assert bytes(tags["----:com.apple.iTunes:language"][0]) == b"vi"

    item = queue.get_item(conn, 1)
    assert item.reply_audio == "replies/1-vi.m4a"
    made = [json.loads(r["detail"]) for r in conn.execute(
        "SELECT detail FROM audit_log WHERE action = 'produce-reply' AND subject = 'feedback:1'")]
    assert len(made) == 1 and made[0]["m4a_sha256"] == sha256_file(path)
    approved = conn.execute("SELECT sha256 FROM audit_log WHERE action = 'approve-reply'").fetchone()[0]
    assert made[0]["text_sha256"] == approved == cases.reply_sha256(REPLY_VI)
    assert "approved by Ông Chủ tịch" in ws.run("review", "show", "1").output

    # a changed reply: the old voice note goes, and a new one needs a new approval
    cases.reply(conn, rules, 1, text=REPLY_VI.replace("14 tháng 11", "15 tháng 11"), by="Anh Tú")
    assert not path.exists() and queue.get_item(conn, 1).reply_audio is None
    with pytest.raises(QueueError, match="no official has approved"):
        produce_voice_reply(conn, w, 1, by="Anh Tú")
    cases.approve_reply(conn, 1, by="Ông Chủ tịch")
    again = produce_voice_reply(conn, w, 1, by="Anh Tú")
    assert again.path == path and path.is_file() and again.voice == "vi-north"
    assert audit.verify_chain(conn) == []


@pytest.mark.slow
def test_voice_reply_speaks_the_items_language(replies):
    ws, w, conn, rules = replies
    cases.reply(conn, rules, 2, text=REPLY_EN, by="Anh Tú")
    cases.approve_reply(conn, 2, by="Ông Chủ tịch")
    made = produce_voice_reply(conn, w, 2, by="Anh Tú")
    assert made.path.name == "2-en.m4a" and made.language == "en" and made.voice == "en-espeak"
    assert abs(made.integrated_lufs - (-16.0)) <= 1.0 and made.true_peak_dbtp <= -1.5
    # a language without a voice here is refused in one line, naming what to add
    conn.execute("UPDATE feedback_items SET language = 'lo' WHERE id = 2")
    cases.reply(conn, rules, 2, text="ສະບາຍດີ", by="Anh Tú")
    cases.approve_reply(conn, 2, by="Ông Chủ tịch")
    r = ws.run("review", "voice-reply", "2")
    assert r.exit_code == 1 and "lo" in r.output and "Traceback" not in r.output
