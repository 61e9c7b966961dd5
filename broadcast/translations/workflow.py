"""The two jobs: `translate` (approved Vietnamese → an exchange file for the translator, filled
from memory) and `import` (the translator's file → memory, and when complete the approved
full translation recorded in the audit log)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from broadcast.core import audit
from broadcast.intake.announcements import load_announcements, sha256_text
from broadcast.intake.approval import require_approved
from broadcast.core.config import Workspace
from broadcast.core.fsutil import atomic_write_bytes, atomic_write_text
from broadcast.core.languages import LANGUAGES, SOURCE_LANGUAGE
from broadcast.core.models import Announcement
from broadcast.translations.exchange import exchange_path, read_exchange, write_po, write_xliff
from broadcast.translations.glossary import Glossary
from broadcast.translations.memory import FUZZY_THRESHOLD, TranslationMemory, normalise
from broadcast.translations.models import (
    FINAL,
    FORMAT_SUFFIX,
    NEEDS_REVIEW,
    NEEDS_TRANSLATION,
    ExchangeFile,
    ExchangeUnit,
    PlannedUnit,
    TranslationError,
)
from broadcast.translations.segments import assemble, segment
from broadcast.translations.state import (
    APPROVE_ACTION,
    exchange_files,
    latest_translation_approval,
    normalise_translation,
    relative,
    subject,
    text_path,
)


@dataclass
class TranslateResult:
    announcement_id: str
    language: str
    path: Path
    units: list[PlannedUnit]

    def count(self, state: str) -> int:
        return sum(1 for u in self.units if u.state == state)

    @property
    def suggestions(self) -> int:
        return sum(1 for u in self.units if u.suggestions and u.state != FINAL)

    def by_origin(self, origin: str) -> int:
        return sum(1 for u in self.units if u.origin == origin)


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


def find_announcement(ws: Workspace, announcement_id: str) -> Announcement:
    good, bad = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
    for ann in good:
        if ann.id == announcement_id:
            return ann
    for err in bad:
        if Path(err.path).stem == announcement_id:
            raise err
    raise TranslationError(f"no announcement with id {announcement_id!r}", ws.announcements_dir,
                           hint="`broadcast status` lists the ids")


def check_language(lang: str) -> None:
    if lang == SOURCE_LANGUAGE:
        raise TranslationError("vi is the source language; nothing to translate",
                               hint="pass --to with a target language, e.g. --to hmn")
    if lang not in LANGUAGES:
        raise TranslationError(f"unknown language {lang!r}", hint=f"known: {', '.join(LANGUAGES)}")


def _previous_units(ws: Workspace, ann_id: str, lang: str) -> dict[str, ExchangeUnit]:
    """Units of the exchange files already in the workspace, by source sentence: a translator's
    earlier work, approved or draft, for sentences that have not changed."""
    out: dict[str, ExchangeUnit] = {}
    for path in exchange_files(ws, ann_id, lang):
        try:
            previous = read_exchange(path)
        except TranslationError:
            continue
        for u in previous.units:
            key = normalise(u.source)
            if u.target.strip() and (key not in out or (u.approved and not out[key].approved)):
                out[key] = u
    return out


def plan_units(ann: Announcement, lang: str, memory: TranslationMemory, glossary: Glossary,
               previous: dict[str, ExchangeUnit], *, threshold: float = FUZZY_THRESHOLD,
               machine=None) -> list[PlannedUnit]:
    """Each sentence with what we know: an exact memory match or a still-valid approved unit
    (final), an earlier draft or a machine draft (needs review), else nothing (needs translation);
    near matches only as suggestions."""
    units: list[PlannedUnit] = []
    for seg in segment(ann.body):
        planned = PlannedUnit(seg)
        for term in glossary.terms_in(seg.text):
            planned.notes.append(f"Glossary: {term.source} → {term.target}" + (f" ({term.note})" if term.note else ""))
        exact = memory.exact(seg.text)
        earlier = previous.get(normalise(seg.text))
        if exact is not None:
            planned.target, planned.state, planned.origin = exact.target, FINAL, "memory"
            planned.notes.append("From the translation memory" + (f" ({exact.by}, {exact.date})" if exact.by else ""))
        elif earlier is not None and earlier.approved:
            planned.target, planned.state, planned.origin = earlier.target, FINAL, "carried-over"
            planned.notes.append("Carried over: this sentence is unchanged and its translation was approved")
        elif earlier is not None:
            planned.target, planned.state, planned.origin = earlier.target, NEEDS_REVIEW, "draft-kept"
            planned.notes.append("Earlier draft, not yet approved")
        if planned.state == FINAL:
            missing = glossary.missing(seg.text, planned.target)
            if missing:
                planned.state = NEEDS_REVIEW
                planned.notes.append("Review: lacks the glossary rendering of "
                                     + ", ".join(f"{t.source} → {t.target}" for t in missing))
        if planned.state != FINAL:
            planned.suggestions = memory.suggestions(seg.text, threshold)
        units.append(planned)
    if machine is not None:
        todo = [u for u in units if u.state == NEEDS_TRANSLATION]
        for u, draft in zip(todo, machine.translate([u.segment.text for u in todo], lang)):
            if draft:
                u.target, u.state, u.origin = draft, NEEDS_REVIEW, "machine"
                u.notes.append(f"Machine draft ({machine.model_dir.name}): review and correct before approving")
    return units


def translate_announcement(ws: Workspace, conn: sqlite3.Connection, ann: Announcement, lang: str, *,
                           fmt: str = "xliff", threshold: float = FUZZY_THRESHOLD,
                           machine=None) -> TranslateResult:
    """Write `translations/<id>/<lang>.xlf` (or .po) for the translator."""
    check_language(lang)
    require_approved(conn, ann)
    if fmt not in FORMAT_SUFFIX:
        raise TranslationError(f"unknown format {fmt!r}", hint="use xliff or po")
    memory = TranslationMemory.for_language(ws.translations_dir, lang)
    glossary = Glossary.for_language(ws.translations_dir, lang)
    previous = _previous_units(ws, ann.id, lang)
    units = plan_units(ann, lang, memory, glossary, previous, threshold=threshold, machine=machine)
    path = exchange_path(ws.translations_dir, ann.id, lang, fmt)
    writer = write_xliff if fmt == "xliff" else write_po
    writer(path, announcement_id=ann.id, language=lang, source_sha256=ann.text_sha256, units=units)
    return TranslateResult(ann.id, lang, path, units)


def _identify(ws: Workspace, exchange: ExchangeFile) -> tuple[str, str]:
    ann_id = exchange.announcement_id or exchange.path.parent.name
    lang = exchange.language or exchange.path.stem
    if not ann_id or not lang or lang == "und":
        raise TranslationError("does not say which announcement and language it is for", exchange.path,
                               hint="import the file made by `broadcast translate`, or name it <id>/<lang>.xlf")
    check_language(lang)
    return ann_id, lang


def import_exchange(ws: Workspace, conn: sqlite3.Connection, path: Path, by: str) -> ImportResult:
    """Take a translator's XLIFF/PO back in. Approved units that pass the glossary enter the
    memory; when every unit is approved, the full text is written and its approval recorded.
    Refused units are listed in the result (the others are still taken)."""
    by = by.strip()
    if not by:
        raise TranslationError("translator name is empty", hint="pass --by 'Full Name'")
    exchange = read_exchange(path)
    ann_id, lang = _identify(ws, exchange)
    ann = find_announcement(ws, ann_id)
    require_approved(conn, ann)
    result = ImportResult(ann_id, lang, path, total=len(exchange.units))
    translate_cmd = f"broadcast translate {ann_id} --to {lang}"

    segments = {s.unit_id: s for s in segment(ann.body)}
    current_sentences = {normalise(s.text) for s in segments.values()}
    in_file = {u.unit_id: normalise(u.source) for u in exchange.units}
    same_text = in_file == {k: normalise(s.text) for k, s in segments.items()}
    stale = (exchange.source_sha256 is not None and exchange.source_sha256 != ann.text_sha256) or not same_text

    memory = TranslationMemory.for_language(ws.translations_dir, lang)
    glossary = Glossary.for_language(ws.translations_dir, lang)
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
    for u in accepted:
        if memory.add(u.source, u.target, by=by):
            result.added_to_memory += 1
    if result.added_to_memory:
        memory.save()
    result.approved = len(accepted)

    if stale:
        kept = f"; {len(accepted)} still-valid approved units were kept in the memory" if accepted else ""
        older = exchange.source_sha256 is not None and exchange.source_sha256 != ann.text_sha256
        result.stale = TranslationError(
            ("was made from an older Vietnamese text of the announcement" if older
             else "its Vietnamese sentences do not match the approved text") + kept,
            path, hint=f"run `{translate_cmd}` (unchanged sentences are carried over) and send the new file")
        return result

    stored = exchange_path(ws.translations_dir, ann_id, lang, exchange.format)
    if Path(path).resolve() != stored.resolve():
        atomic_write_bytes(stored, Path(path).read_bytes())
    result.stored_as = stored

    if result.refused or result.approved < len(exchange.units):
        return result
    text = normalise_translation(assemble([(u.unit_id, u.target) for u in exchange.units]))
    sha = sha256_text(text)
    md = text_path(ws, ann_id, lang)
    atomic_write_text(md, text + "\n")
    result.assembled = md
    previous = latest_translation_approval(conn, ann_id, lang)
    if previous and previous["sha256"] == sha and previous["source_sha256"] == ann.text_sha256:
        result.already_approved = True
        result.approval_seq = previous["seq"]
        return result
    result.approval_seq = audit.append(
        conn, actor=by, action=APPROVE_ACTION, subject=subject(ann_id, lang), sha256=sha,
        detail={"source_text_sha256": ann.text_sha256, "translator": by, "language": lang,
                "announcement": ann_id, "xliff": relative(ws, stored), "units": len(exchange.units)})
    return result
