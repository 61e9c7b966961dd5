"""Voice replies: the reply to a citizen, spoken in the item's language and mastered as a
Zalo voice note (M4A, the `zalo` profile), for an officer to send back in the chat.

The gate is the announcements' gate. An official approves the exact reply text: the audit log
gets an `approve-reply` entry for `feedback:<id>` carrying the sha256 of that text. A voice
reply is made only while the newest such approval covers the reply as it is now; a changed
reply needs a new approval (and `cases.reply` removes the voice note made from the old text).
Making it is logged too (`produce-reply`: the M4A's sha256, the text's, the approval's seq)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.languages import LANGUAGES
from broadcast.feedback import queue
from broadcast.feedback.cases import reply_approval, subject
from broadcast.feedback.models import FeedbackItem, QueueError, VersionConflict
from broadcast.mastering import PROFILES, build_programme, master
from broadcast.speech import synthesize

PRODUCE_REPLY = "produce-reply"
REPLIES_DIR = "replies"     # inside the feedback folder
PROFILE = "zalo"


@dataclass(frozen=True)
class VoiceReply:
    path: Path
    sha256: str
    language: str
    duration: float
    integrated_lufs: float
    true_peak_dbtp: float
    engine: str
    voice: str


def reply_language(ws: Workspace, item: FeedbackItem) -> str:
    """The language the citizen spoke (Whisper's, else `[feedback] language`, else vi)."""
    lang = item.language or str(ws.config.section("feedback").get("language", "vi"))
    if lang not in LANGUAGES:
        raise QueueError(f"feedback item #{item.id} is in {lang!r}, a language this project has no voice for",
                         hint=f"languages: {', '.join(LANGUAGES)}")
    return lang


def voice_reply_path(ws: Workspace, item: FeedbackItem, lang: str) -> Path:
    return ws.feedback_dir / REPLIES_DIR / f"{item.id}-{lang}{PROFILES[PROFILE].extension}"


def produce_voice_reply(conn, ws: Workspace, item_id: int, *, by: str) -> VoiceReply:
    """Speak the approved reply (the speech pipeline: voices/<lang>.toml, its fallbacks and
    cache) and master it as a Zalo voice note into feedback/replies/<id>-<lang>.m4a."""
    item = queue.get_item(conn, item_id)
    approval = reply_approval(conn, item)
    if approval is None:
        what = "has no reply" if item.reply_text is None else "has a reply no official has approved as it is now"
        raise QueueError(f"feedback item #{item_id} {what}",
                         hint=f"an official approves it first: `broadcast review approve-reply {item_id} --by NAME`")
    lang = reply_language(ws, item)
    speech = synthesize(ws, lang, item.reply_text)
    programme = build_programme(speech.samples, speech.sample_rate, ident=None, ident_rate=None, readings=1,
                                attention=False)
    dest = voice_reply_path(ws, item, lang)
    dest.parent.mkdir(parents=True, exist_ok=True)
    mastered = master(programme, PROFILE, dest, tags={
        "title": f"Trả lời phản ánh #{item.id}", "language": lang, "approval_sha256": approval["sha256"],
        "artist": ws.config.station})
    detail = {"m4a_sha256": mastered.sha256, "text_sha256": approval["sha256"], "approval_seq": approval["seq"],
              "language": lang, "duration": mastered.duration, "integrated_lufs": mastered.integrated_lufs,
              "true_peak_dbtp": mastered.true_peak_dbtp, "engine": speech.engine, "voice": speech.voice}
    try:
        queue.update_item(conn, item.id, item.version, actor=by, action=PRODUCE_REPLY, audit_detail=detail,
                          reply_audio=str(dest.relative_to(ws.feedback_dir)))
    except VersionConflict:
        dest.unlink(missing_ok=True)   # the reply may have changed meanwhile: this note may be stale
        raise
    return VoiceReply(dest, mastered.sha256, lang, mastered.duration, mastered.integrated_lufs,
                      mastered.true_peak_dbtp, speech.engine, speech.voice)


def productions(conn, item_id: int) -> list[dict]:
    """The voice replies made for an item, oldest first (from the audit log)."""
    return [{"seq": r["seq"], "by": r["actor"], "at": r["at"], **json.loads(r["detail"] or "{}")}
            for r in conn.execute("SELECT * FROM audit_log WHERE action = ? AND subject = ? ORDER BY seq",
                                  (PRODUCE_REPLY, subject(item_id)))]
