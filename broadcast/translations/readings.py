"""Human readings: whether the reading of an approved text (an announcement in one language, or
a fixed phrase) may be aired now, and why not.

A reading may be aired only while three things agree: the newest `accept-reading` entry of its
subject in the audit log, the file on disk now (same sha256), and the approved text it was read
from (same sha256 as the text approved today). Takes waiting for verification or for a second
person's listening approval are kept by `broadcast.recording` under the state folder, each with
a JSON record; this module only reads those records to say what is waiting.

States: none (nothing recorded) · to verify (a file or take that is not accepted) · verified
(accepted, current: this is what produce airs) · stale (accepted for an older text)."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from broadcast.core import audit
from broadcast.core.config import Workspace
from broadcast.core.display import local_time
from broadcast.core.fsutil import sha256_file
from broadcast.core.models import Announcement
from broadcast.intake.announcements import sha256_text
from broadcast.translations.models import RECORDING_SUFFIXES
from broadcast.translations.state import relative, translation_dir, translation_state

NONE, TO_VERIFY, VERIFIED, STALE = "none", "to verify", "verified", "stale"
STATES = (NONE, TO_VERIFY, VERIFIED, STALE)
READING_SUFFIX = ".wav"          # an accepted reading is stored cleaned, as 16-bit PCM WAV
TAKES_FOLDER = "readings"        # under the workspace's state folder
# Take verdicts (the JSON record of each take).
PASSED, FAILED, LISTEN = "passed", "failed", "listen"

# Fixed phrases a person may record instead of the synthetic voice. {station} and {commune}
# are filled in from broadcast.toml; `[record.phrases]` there may replace any text.
PHRASES: dict[str, str] = {
    "ident": "Đây là {station}.",
    "opening": "Kính thưa bà con nhân dân, sau đây là thông báo của {commune}.",
    "closing": "Xin cảm ơn bà con đã lắng nghe.",
}
PHRASE_LANGUAGE = "vi"


@dataclass(frozen=True)
class Reading:
    """An accepted, current reading: the file produce airs, and its acceptance."""

    path: Path
    sha256: str
    text_sha256: str
    reader: str
    accepted_by: str
    accepted_at: str
    how: str          # "verified" | "overridden" | "listened"
    reason: str       # why it was accepted despite the verification ("" otherwise)
    seq: int          # the audit entry

    def manifest(self) -> dict:
        """What the manifest says about it, beside engine "recorded"."""
        return {"reader": self.reader, "accepted_by": self.accepted_by, "accepted_at": self.accepted_at,
                "how": self.how, "reason": self.reason, "reading_sha256": self.sha256,
                "text_sha256": self.text_sha256, "audit_seq": self.seq}


@dataclass(frozen=True)
class ReadingState:
    subject: str
    language: str
    state: str                    # one of STATES
    reason: str                   # what is wrong, with the command that fixes it ("" when verified)
    reading: Reading | None       # set only when verified
    path: Path                    # where the accepted reading lives (or will)
    take: dict | None             # the newest take's record, when there is one
    text_sha256: str | None       # the approved text now (None: no approved text)

    @property
    def current(self) -> bool:
        return self.reading is not None


def subject(announcement_id: str, language: str) -> str:
    return f"{announcement_id}/{language}"


def phrase_subject(name: str) -> str:
    return f"phrase:{name}"


def reading_path(ws: Workspace, announcement_id: str, language: str) -> Path:
    """translations/<id>/<lang>.wav: beside the translation it reads (vi too)."""
    return translation_dir(ws, announcement_id) / f"{language}{READING_SUFFIX}"


def phrase_path(ws: Workspace, name: str) -> Path:
    """voices/<name>.wav (voices/ident.wav is what the station ident plays)."""
    return ws.voices_dir / f"{name}{READING_SUFFIX}"


def takes_dir(ws: Workspace, subject_: str) -> Path:
    """state/readings/<id>/<lang>/ or state/readings/phrases/<name>/: every take, cleaned and
    original, with its JSON record."""
    if subject_.startswith("phrase:"):
        return ws.state_dir / TAKES_FOLDER / "phrases" / subject_.split(":", 1)[1]
    ann_id, lang = subject_.split("/", 1)
    return ws.state_dir / TAKES_FOLDER / ann_id / lang


def phrase_text(ws: Workspace, name: str) -> str:
    """The text of a fixed phrase, from `[record.phrases]` or the default."""
    record = ws.config.section("record")
    phrases = record.get("phrases") if isinstance(record.get("phrases"), dict) else {}
    template = phrases.get(name, PHRASES[name])
    if not isinstance(template, str):
        template = PHRASES[name]
    return template.replace("{station}", ws.config.station).replace("{commune}", ws.config.commune_name)


def take_records(ws: Workspace, subject_: str) -> list[dict]:
    """Every take's record, oldest first (a record that cannot be read is left out)."""
    folder = takes_dir(ws, subject_)
    out = []
    for path in folder.glob("*.json") if folder.is_dir() else ():
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and isinstance(record.get("sha256"), str):
            out.append(record)
    return sorted(out, key=lambda r: (str(r.get("at", "")), str(r.get("sha256"))))


def commands(subject_: str, language: str) -> tuple[str, str]:
    """(record, approve): the commands that record a take of `subject_` and approve one by ear."""
    if subject_.startswith("phrase:"):
        name = subject_.split(":", 1)[1]
        return f"broadcast record phrase {name} FILE --by NAME", f"broadcast record approve --phrase {name} --by NAME"
    ann_id = subject_.split("/", 1)[0]
    return (f"broadcast record {ann_id} --lang {language} FILE --by NAME",
            f"broadcast record approve {ann_id} --lang {language} --by NAME")


def reading_state(ws: Workspace, conn: sqlite3.Connection, subject_: str, language: str, path: Path,
                  text_sha256: str | None, no_text: str = "no approved text to read in this language") -> ReadingState:
    """The state of the reading of `subject_`, whose approved text is now `text_sha256` (None:
    there is none, and `no_text` says why)."""
    fix = commands(subject_, language)[0]
    accepted = audit.latest_reading_acceptance(conn, subject_)
    takes = take_records(ws, subject_)
    take = takes[-1] if takes else None
    if accepted is not None and take is not None and take.get("sha256") == accepted["sha256"]:
        take = None        # the newest take is the accepted one
    shown = relative(ws, path)

    def state(kind: str, reason: str, reading: Reading | None = None) -> ReadingState:
        return ReadingState(subject_, language, kind, reason, reading, path, take, text_sha256)

    waiting = _waiting(take, text_sha256, subject_, language)
    dropped = next((p for p in (path.with_suffix(s) for s in RECORDING_SUFFIXES) if p.is_file()), None)
    if text_sha256 is None:
        if accepted is None and take is None:
            if dropped is not None:
                return state(TO_VERIFY, f"{relative(ws, dropped)} cannot be verified yet: {no_text}")
            return state(NONE, no_text)
        return state(STALE, f"the reading is of a text that is no longer approved: {no_text}")
    if accepted is not None:
        by = f"accepted by {accepted['accepted_by']} at {local_time(accepted['at'], ws.config.tz)}"
        if accepted.get("text_sha256") != text_sha256:
            return state(TO_VERIFY, waiting) if waiting else state(
                STALE, f"the reading was {by} for an older text; the approved text changed since: "
                       f"read the new text: {fix}")
        if not path.is_file():
            return state(TO_VERIFY, waiting or f"{shown} was {by} but is missing: record it again: {fix}")
        if sha256_file(path) != accepted["sha256"]:
            return state(TO_VERIFY, waiting or f"{shown} was changed after it was {by}; "
                                               f"put the new file through verification: {fix}")
        reading = Reading(path, accepted["sha256"], text_sha256, str(accepted.get("reader", "")),
                          accepted["accepted_by"], accepted["at"], str(accepted.get("how", "")),
                          str(accepted.get("reason", "")), int(accepted["seq"]))
        return state(VERIFIED, "", reading)
    if waiting:
        return state(TO_VERIFY, waiting)
    if take is not None:
        return state(STALE, f"the last take was read from an older text; read the new text: {fix}")
    if dropped is not None:
        return state(TO_VERIFY, f"{relative(ws, dropped)} has not been verified against the approved text: "
                                f"{fix.replace('FILE', relative(ws, dropped))}")
    return state(NONE, f"no reading yet: {fix}")


def _waiting(take: dict | None, text_sha256: str | None, subject_: str, language: str) -> str:
    """Why the newest take (of the current text) is not aired yet, or "" when there is none."""
    if take is None or take.get("text_sha256") != text_sha256:
        return ""
    record, approve = commands(subject_, language)
    if take.get("verdict") == LISTEN:
        return f"the take read by {take.get('reader', '?')} waits for a second person to listen to it: {approve}"
    problems = "; ".join(take.get("problems") or []) or "it did not pass verification"
    return (f"the last take was refused ({problems}); record it again, or accept it anyway: "
            f"{record} --accept --reason TEXT")


def current_reading(ws: Workspace, conn: sqlite3.Connection, ann: Announcement, lang: str) -> ReadingState:
    """The reading of `ann` in `lang`: `.reading` is set when it is accepted and current (this is
    what produce airs); otherwise `.state` and `.reason` say why not and how to fix it."""
    text = translation_state(ws, conn, ann, lang)
    sha = text.text_sha256 if text.approved else None
    return reading_state(ws, conn, subject(ann.id, lang), lang, reading_path(ws, ann.id, lang), sha,
                         f"{lang} translation {text.state}: {text.reason}")


def phrase_reading(ws: Workspace, conn: sqlite3.Connection, name: str) -> ReadingState:
    """The reading of a fixed phrase (ident, opening, closing), bound to its text in broadcast.toml."""
    return reading_state(ws, conn, phrase_subject(name), PHRASE_LANGUAGE, phrase_path(ws, name),
                         sha256_text(phrase_text(ws, name)))
