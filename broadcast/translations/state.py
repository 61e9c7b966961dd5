"""Whether an announcement's translation into one language may be produced, and why not.

A translation is approved only while three things agree: the newest `approve-translation`
entry for `<id>/<lang>` in the audit log, the text of `translations/<id>/<lang>.md` on disk
now, and the approved Vietnamese text it was made from."""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from broadcast.intake.announcements import normalise_body, sha256_text
from broadcast.intake.links import outside_link
from broadcast.core.config import Workspace
from broadcast.core.display import local_time
from broadcast.core.errors import BroadcastError
from broadcast.core.languages import SOURCE_LANGUAGE
from broadcast.core.models import Announcement
from broadcast.translations.exchange import read_exchange
from broadcast.translations.models import (
    APPROVED,
    DRAFT,
    FORMAT_SUFFIX,
    RECORDING_SUFFIXES,
    SOURCE,
    STALE,
    UNTRANSLATED,
    TranslationError,
)

APPROVE_ACTION = "approve-translation"


@dataclass(frozen=True)
class TranslationState:
    language: str
    state: str                 # "source" (vi) | "untranslated" | "draft" | "approved" | "stale"
    text: str | None           # the approved translation (approved only); paragraphs separated by blank lines
    text_sha256: str | None
    recording: Path | None     # translations/<id>/<lang>.(wav|mp3|m4a), a local speaker's reading
    approval: dict | None      # {"by", "at", "seq", "source_sha256"} (approved only)
    reason: str                # why it is not approved, with the command that fixes it

    @property
    def approved(self) -> bool:
        return self.state in (APPROVED, SOURCE)


def subject(announcement_id: str, language: str) -> str:
    return f"{announcement_id}/{language}"


def translation_dir(ws: Workspace, announcement_id: str) -> Path:
    return ws.translations_dir / announcement_id


def text_path(ws: Workspace, announcement_id: str, language: str) -> Path:
    return translation_dir(ws, announcement_id) / f"{language}.md"


def normalise_translation(text: str) -> str:
    """The canonical form an approval covers (NFC, LF, no trailing spaces), so that re-saving
    the file in another editor does not void it."""
    return normalise_body(text)


def read_translation(path: Path) -> tuple[str, str] | None:
    """(text, sha256) of an assembled translation file, or None when absent."""
    if not path.is_file():
        return None
    try:
        text = normalise_translation(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError as exc:
        raise TranslationError(f"not valid UTF-8 (byte {exc.start})", path,
                               hint="import the translator's file again to rewrite it") from None
    return text, sha256_text(text)


def recording_for(ws: Workspace, announcement_id: str, language: str) -> Path | None:
    folder = translation_dir(ws, announcement_id)
    for suffix in RECORDING_SUFFIXES:
        p = folder / f"{language}{suffix}"
        if p.is_file():
            return p
    return None


def latest_translation_approval(conn: sqlite3.Connection, announcement_id: str, language: str) -> dict | None:
    row = conn.execute(
        "SELECT * FROM audit_log WHERE action = ? AND subject = ? ORDER BY seq DESC LIMIT 1",
        (APPROVE_ACTION, subject(announcement_id, language)),
    ).fetchone()
    if row is None:
        return None
    detail = json.loads(row["detail"] or "{}")
    return {"by": row["actor"], "at": row["at"], "seq": row["seq"], "sha256": row["sha256"],
            "source_sha256": detail.get("source_text_sha256"), "detail": detail}


def exchange_files(ws: Workspace, announcement_id: str, language: str) -> list[Path]:
    folder = translation_dir(ws, announcement_id)
    return [folder / f"{language}{s}" for s in FORMAT_SUFFIX.values() if (folder / f"{language}{s}").is_file()]


def relative(ws: Workspace, path: Path) -> str:
    """`path` relative to the workspace root where it lies inside it, for messages (and the run
    sheets, whose text must not depend on where the workspace lies)."""
    try:
        return str(Path(path).resolve().relative_to(ws.root.resolve()))
    except ValueError:
        return str(path)


def translation_state(ws: Workspace, conn: sqlite3.Connection, ann: Announcement, lang: str) -> TranslationState:
    """The state of `ann`'s translation into `lang`, checked against the audit log and the disk."""
    recording = recording_for(ws, ann.id, lang)
    if lang == SOURCE_LANGUAGE:
        return TranslationState(lang, SOURCE, ann.body, ann.text_sha256, recording, None,
                                "the announcement's own language")
    translate_cmd = f"broadcast translate {ann.id} --to {lang}"
    md = text_path(ws, ann.id, lang)
    approval = latest_translation_approval(conn, ann.id, lang)

    def not_approved(state: str, reason: str) -> TranslationState:
        return TranslationState(lang, state, None, None, recording, None, reason)

    # A link out of the workspace is neither read nor aired (see intake.links).
    for path in (md, recording):
        link = outside_link(path, ws.config) if path is not None else None
        if link is not None:
            return TranslationState(lang, DRAFT, None, None, None, None, str(link))

    if approval is not None:
        if approval["source_sha256"] != ann.text_sha256:
            return not_approved(STALE, (
                f"approved by {approval['by']} at {local_time(approval['at'], ws.config.tz)} for an older Vietnamese text; "
                f"run `{translate_cmd}` (unchanged sentences are carried over), have the rest "
                f"translated, then `broadcast translations import FILE --by NAME`"))
        try:
            current = read_translation(md)
        except TranslationError as exc:
            return not_approved(DRAFT, f"{exc}")
        if current is None:
            return not_approved(DRAFT, (
                f"{md.name} was approved by {approval['by']} at {local_time(approval['at'], ws.config.tz)} but is missing; "
                f"import the translator's file again: broadcast translations import FILE --by NAME"))
        text, sha = current
        if sha != approval["sha256"]:
            return not_approved(DRAFT, (
                f"{md.name} was edited after {approval['by']} approved it at {local_time(approval['at'], ws.config.tz)}; "
                f"put the change through the translator's file and import it: "
                f"broadcast translations import FILE --by NAME"))
        return TranslationState(lang, APPROVED, text, sha, recording,
                                {"by": approval["by"], "at": approval["at"], "seq": approval["seq"],
                                 "source_sha256": approval["source_sha256"]},
                                "")

    files = exchange_files(ws, ann.id, lang)
    if files:
        link = outside_link(files[0], ws.config)
        try:
            if link is not None:
                raise link
            exchange = read_exchange(files[0])
            progress = f"{exchange.approved_count}/{len(exchange.units)} units approved in {files[0].name}"
        except BroadcastError as exc:
            progress = f"{files[0].name} cannot be read ({exc.reason})"
        return not_approved(DRAFT, (
            f"{progress}; send it to the translator, then "
            f"`broadcast translations import {relative(ws, files[0])} --by NAME`"))
    return not_approved(UNTRANSLATED, f"no translation yet; run `{translate_cmd}`")
