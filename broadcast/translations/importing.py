"""`broadcast translations import`: translators' XLIFF/PO files back in, any number at once.

Each file is read and checked first (outside any lock). Then, per language, the memory is
read, every accepted pair of every file for that language is added, and the memory is written
once, all under that language's lock (`memory.memory_lock`): two imports into one language at
the same time take turns and neither loses the other's pairs. Last, per file, the exchange
file is stored and, when every unit is approved, the full text is written and its approval
recorded in the audit log."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from broadcast.core import audit
from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_bytes, atomic_write_text
from broadcast.core.models import Announcement
from broadcast.intake.announcements import sha256_text
from broadcast.intake.approval import require_approved
from broadcast.intake.links import refuse_outside_link
from broadcast.translations.exchange import exchange_path, read_exchange
from broadcast.translations.glossary import Glossary
from broadcast.translations.memory import TranslationMemory, memory_lock, normalise
from broadcast.translations.models import ExchangeFile, ExchangeUnit, TranslationError
from broadcast.translations.segments import assemble, segment
from broadcast.translations.state import (
    APPROVE_ACTION,
    latest_translation_approval,
    normalise_translation,
    relative,
    subject,
    text_path,
)
from broadcast.translations.workflow import Announcements, check_language


@dataclass
class ImportResult:
    announcement_id: str
    language: str
    path: Path
    stored_as: Path | None = None
    total: int = 0
    approved: int = 0
    added_to_memory: int = 0
    refused: list[str] = field(default_factory=list)
    assembled: Path | None = None
    approval_seq: int | None = None
    already_approved: bool = False
    stale: TranslationError | None = None    # the file is for an older source text: nothing assembled

    @property
    def ok(self) -> bool:
        return self.stale is None and not self.refused


@dataclass
class _Checked:
    """One file read and checked, waiting for the memory and the audit log."""

    exchange: ExchangeFile
    announcement: Announcement
    result: ImportResult
    accepted: list[ExchangeUnit]
    stale: bool


def _identify(exchange: ExchangeFile) -> tuple[str, str]:
    ann_id = exchange.announcement_id or exchange.path.parent.name
    lang = exchange.language or exchange.path.stem
    if not ann_id or not lang or lang == "und":
        raise TranslationError("does not say which announcement and language it is for", exchange.path,
                               hint="import the file made by `broadcast translate`, or name it <id>/<lang>.xlf")
    check_language(lang)
    return ann_id, lang


def import_exchanges(ws: Workspace, conn: sqlite3.Connection, paths: list[Path], by: str, *,
                     on_wait: Callable[[str], None] | None = None) -> list[ImportResult | BroadcastError]:
    """Take translators' XLIFF/PO files back in; one result (or the error that stopped that
    file) per path, in order. Approved units that pass the glossary enter the memory; a file
    whose units are all approved has its full text written and its approval recorded.
    Refused units are listed in the result (the others are still taken)."""
    by = by.strip()
    if not by:
        raise TranslationError("translator name is empty", hint="pass --by 'Full Name'")
    announcements = Announcements(ws)
    glossaries: dict[str, Glossary] = {}
    out: list[ImportResult | BroadcastError | _Checked] = []
    for path in paths:
        try:
            out.append(_check(ws, conn, Path(path), announcements, glossaries))
        except BroadcastError as exc:
            out.append(exc)

    by_language: dict[str, list[_Checked]] = {}
    for item in out:
        if isinstance(item, _Checked):
            by_language.setdefault(item.result.language, []).append(item)
    for lang, items in by_language.items():
        try:
            _add_to_memory(ws, lang, items, by, on_wait)
        except BroadcastError as exc:
            out = [exc if any(item is i for i in items) else item for item in out]

    results: list[ImportResult | BroadcastError] = []
    complete: list[tuple[_Checked, str]] = []
    for item in out:
        if isinstance(item, _Checked):
            try:
                sha = _store(ws, conn, item)
            except BroadcastError as exc:
                item = exc
            else:
                if sha is not None:
                    complete.append((item, sha))
                item = item.result
        results.append(item)
    _record_approvals(ws, conn, complete, by)
    return results


def import_exchange(ws: Workspace, conn: sqlite3.Connection, path: Path, by: str) -> ImportResult:
    """One file: `import_exchanges` for a single path, its error raised."""
    (result,) = import_exchanges(ws, conn, [path], by)
    if isinstance(result, BroadcastError):
        raise result
    return result


def _check(ws: Workspace, conn, path: Path, announcements: Announcements,
           glossaries: dict[str, Glossary]) -> _Checked:
    refuse_outside_link(path, ws.config)
    exchange = read_exchange(path)
    ann_id, lang = _identify(exchange)
    ann = announcements.find(ann_id)
    require_approved(conn, ann, ws.config.tz)
    result = ImportResult(ann_id, lang, path, total=len(exchange.units))

    segments = {s.unit_id: s for s in segment(ann.body)}
    current_sentences = {normalise(s.text) for s in segments.values()}
    in_file = {u.unit_id: normalise(u.source) for u in exchange.units}
    same_text = in_file == {k: normalise(s.text) for k, s in segments.items()}
    stale = (exchange.source_sha256 is not None and exchange.source_sha256 != ann.text_sha256) or not same_text

    if lang not in glossaries:
        glossary_path = ws.translations_dir / "glossary" / f"{lang}.csv"
        refuse_outside_link(glossary_path, ws.config)
        glossaries[lang] = Glossary.load(glossary_path, lang)
    glossary = glossaries[lang]
    accepted: list[ExchangeUnit] = []
    for u in exchange.units:
        if not u.approved:
            continue
        missing = glossary.missing(u.source, u.target)
        if missing:
            result.refused.append(
                f"unit {u.unit_id}: the source has the glossary term "
                + "; ".join(f"{t.source!r} but the translation lacks its approved rendering {t.target!r}"
                            for t in missing)
                + f" (glossary {relative(ws, glossary.path)})")
            continue
        if stale and normalise(u.source) not in current_sentences:
            continue   # a sentence the approved text no longer has: not taken
        accepted.append(u)
    result.approved = len(accepted)
    return _Checked(exchange, ann, result, accepted, stale)


def _add_to_memory(ws: Workspace, lang: str, items: list[_Checked], by: str,
                   on_wait: Callable[[str], None] | None) -> None:
    """Every accepted pair of `items` into `lang`'s memory: read, add, write once, locked."""
    if not any(item.accepted for item in items):
        return
    with memory_lock(ws.translations_dir, lang, on_wait=on_wait):
        memory_path = ws.translations_dir / "memory" / f"{lang}.tmx"
        refuse_outside_link(memory_path, ws.config)
        memory = TranslationMemory(memory_path, lang)     # read under the lock: the newest
        added = 0
        for item in items:
            for u in item.accepted:
                if memory.add(u.source, u.target, by=by):
                    item.result.added_to_memory += 1
                    added += 1
        if added:
            memory.save()


def _store(ws: Workspace, conn, item: _Checked) -> str | None:
    """Store the exchange file and, when every unit is approved, write the full text; the
    sha256 of that text when its approval is still to be recorded, else None."""
    exchange, ann, result = item.exchange, item.announcement, item.result
    path = exchange.path
    translate_cmd = f"broadcast translate {ann.id} --to {result.language}"
    if item.stale:
        kept = (f"; {len(item.accepted)} still-valid approved units were kept in the memory"
                if item.accepted else "")
        older = exchange.source_sha256 is not None and exchange.source_sha256 != ann.text_sha256
        result.stale = TranslationError(
            ("was made from an older Vietnamese text of the announcement" if older
             else "its Vietnamese sentences do not match the approved text") + kept,
            path, hint=f"run `{translate_cmd}` (unchanged sentences are carried over) and send the new file")
        return None

    stored = exchange_path(ws.translations_dir, ann.id, result.language, exchange.format)
    if path.resolve() != stored.resolve():
        atomic_write_bytes(stored, path.read_bytes())
    result.stored_as = stored

    if result.refused or result.approved < len(exchange.units):
        return None
    text = normalise_translation(assemble([(u.unit_id, u.target) for u in exchange.units]))
    sha = sha256_text(text)
    md = text_path(ws, ann.id, result.language)
    if not _holds(md, text + "\n"):
        atomic_write_text(md, text + "\n")
    result.assembled = md
    previous = latest_translation_approval(conn, ann.id, result.language)
    if previous and previous["sha256"] == sha and previous["source_sha256"] == ann.text_sha256:
        result.already_approved = True
        result.approval_seq = previous["seq"]
        return None
    return sha


def _holds(path: Path, text: str) -> bool:
    """Whether `path` is a plain file holding exactly `text` (then it is not written again)."""
    try:
        return not path.is_symlink() and path.read_bytes() == text.encode("utf-8")
    except OSError:
        return False


def _record_approvals(ws: Workspace, conn, complete: list[tuple[_Checked, str]], by: str) -> None:
    """One audit-log entry per complete translation, all in one write transaction (one commit
    for the run, not one per file); the full texts are already on disk, so an interrupted run
    leaves them unapproved, and importing again records them."""
    if not complete:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        recorded: dict[tuple[str, str, str], int] = {}
        for item, sha in complete:
            ann, result = item.announcement, item.result
            key = (ann.id, result.language, sha)
            if key in recorded:           # the same text twice in one run (its .xlf and its .po)
                result.already_approved, result.approval_seq = True, recorded[key]
                continue
            recorded[key] = result.approval_seq = audit.append(
                conn, actor=by, action=APPROVE_ACTION, subject=subject(ann.id, result.language), sha256=sha,
                detail={"source_text_sha256": ann.text_sha256, "translator": by, "language": result.language,
                        "announcement": ann.id, "xliff": relative(ws, result.stored_as),
                        "units": len(item.exchange.units)})
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        for item, _sha in complete:
            item.result.approval_seq = None
        raise
    newest = audit.head(conn)
    if newest is not None:
        audit.remember_head(conn, *newest)
