"""XLIFF 1.2 and PO files for translators, written and read through translate-toolkit.

A file names its announcement, language and the sha256 of the approved Vietnamese text it was
made from, so that an answer for an older text is recognised on import. Unit ids carry the
paragraph and sentence (p2-s1, p3-l2-s1) so the full text can be put back together."""

from __future__ import annotations

from pathlib import Path

from broadcast.core.fsutil import atomic_write_bytes
from broadcast.core.languages import SOURCE_LANGUAGE
from broadcast.translations.models import (
    APPROVED_STATES,
    FINAL,
    FORMAT_SUFFIX,
    NEEDS_REVIEW,
    NEEDS_TRANSLATION,
    ExchangeFile,
    ExchangeUnit,
    PlannedUnit,
    TranslationError,
)

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"
# Our own attribute on <file> (XLIFF 1.2 allows attributes from other namespaces there).
BROADCAST_NS = "urn:x-broadcast:translation"
SOURCE_SHA_ATTR = f"{{{BROADCAST_NS}}}source-text-sha256"
PO_ANNOUNCEMENT = "X-Broadcast-Announcement"
PO_SOURCE_SHA = "X-Broadcast-Source-Sha256"
NOTE_ORIGIN = "broadcast"

# translate-toolkit's xlifffile() writes XLIFF 1.1; starting from a 1.2 document keeps it on 1.2.
XLIFF_12_SKELETON = b"""<?xml version="1.0" encoding="UTF-8"?>
<xliff xmlns="urn:oasis:names:tc:xliff:document:1.2" xmlns:bc="urn:x-broadcast:translation" version="1.2">
  <file original="announcement" source-language="vi" target-language="und" datatype="plaintext" tool-id="broadcast">
    <header><tool tool-id="broadcast" tool-name="broadcast"/></header>
    <body></body>
  </file>
</xliff>
"""


def exchange_path(translations_dir: Path, announcement_id: str, language: str, fmt: str) -> Path:
    return translations_dir / announcement_id / f"{language}{FORMAT_SUFFIX[fmt]}"


def format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".xlf", ".xliff"):
        return "xliff"
    if suffix in (".po", ".pot"):
        return "po"
    head = path.read_bytes()[:400].lstrip()
    if head.startswith(b"<?xml") or head.startswith(b"<xliff"):
        return "xliff"
    if b"msgid" in head:
        return "po"
    raise TranslationError("neither XLIFF nor PO", path, hint="give a .xlf or .po file from `broadcast translate`")


def _unit_notes(planned: PlannedUnit) -> list[str]:
    notes = list(planned.notes)
    for s in planned.suggestions:
        about = ["not approved"]
        if s.differences:
            about.append(f"CHECK {', '.join(s.differences)}")
        if s.by:
            about.append(f"by {s.by}" + (f" {s.date}" if s.date else ""))
        notes.append(f"Memory suggestion {s.score:.0f}% ({'; '.join(about)}): {s.source} → {s.target}")
    return notes


def write_xliff(path: Path, *, announcement_id: str, language: str, source_sha256: str,
                units: list[PlannedUnit]) -> None:
    from lxml import etree
    from translate.storage import xliff

    root = etree.fromstring(XLIFF_12_SKELETON)
    file_node = root.find(f"{{{XLIFF_NS}}}file")
    file_node.set("original", announcement_id)
    file_node.set("target-language", language)
    file_node.set(SOURCE_SHA_ATTR, source_sha256)
    store = xliff.xlifffile.parsestring(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))
    for planned in units:
        unit = store.addsourceunit(planned.segment.text, filename=announcement_id)
        unit.setid(planned.segment.unit_id)
        # Setting .target marks a unit approved and translated; the state is set explicitly after.
        unit.target = planned.target or "-"
        if not planned.target:
            unit.getlanguageNode(lang=None, index=1).text = ""
        unit.set_state_n(unit.statemap[planned.state])
        if planned.state != FINAL:
            unit.markapproved(False)
        for s in planned.suggestions:
            unit.addalttrans(s.target, origin="memory", sourcetxt=s.source, matchquality=f"{s.score:.0f}")
        for note in _unit_notes(planned):
            unit.addnote(note, origin=NOTE_ORIGIN)
    etree.cleanup_namespaces(store.document)   # drops the stray 1.1 namespace declarations
    atomic_write_bytes(path, bytes(store))


def write_po(path: Path, *, announcement_id: str, language: str, source_sha256: str,
             units: list[PlannedUnit]) -> None:
    from translate.storage import po

    store = po.pofile()
    store.updateheader(add=True, Language=language, **{
        PO_ANNOUNCEMENT.replace("-", "_"): announcement_id,
        PO_SOURCE_SHA.replace("-", "_"): source_sha256,
    })
    for planned in units:
        unit = store.addsourceunit(planned.segment.text)
        unit.setcontext(planned.segment.unit_id)
        if planned.target:
            unit.target = planned.target
            unit.markfuzzy(planned.state != FINAL)
        for note in _unit_notes(planned):
            unit.addnote(note, origin="developer")
    atomic_write_bytes(path, bytes(store))


def read_exchange(path: Path) -> ExchangeFile:
    """Units of a translator's XLIFF or PO file, with their approval as DESIGN.md defines it."""
    if not path.is_file():
        raise TranslationError("no such file", path)
    fmt = format_of(path)
    try:
        return _read_xliff(path) if fmt == "xliff" else _read_po(path)
    except TranslationError:
        raise
    except Exception as exc:  # parse errors come as several lxml / translate-toolkit types
        raise TranslationError(f"cannot read as {fmt.upper()}: {exc}", path,
                               hint="ask the translator to save it again from their tool") from None


def _exchange_unit(u, unit_id: str, marked_approved: bool) -> ExchangeUnit:
    """A translate-toolkit unit as an ExchangeUnit: approved when marked so and translated."""
    target = str(u.target or "")
    approved = bool(target.strip()) and marked_approved
    return ExchangeUnit(
        unit_id=unit_id, source=str(u.source or ""), target=target,
        state=FINAL if approved else (NEEDS_REVIEW if target.strip() else NEEDS_TRANSLATION),
        approved=approved, notes=[n for n in (u.getnotes() or "").split("\n") if n],
    )


def _read_xliff(path: Path) -> ExchangeFile:
    from translate.storage import xliff

    store = xliff.xlifffile.parsestring(path.read_bytes())
    file_nodes = list(store.document.getroot().iterchildren(f"{{{XLIFF_NS}}}file"))
    if len(file_nodes) != 1:
        raise TranslationError(f"has {len(file_nodes)} <file> elements; expected one", path,
                               hint="import the file `broadcast translate` wrote, one announcement per file")
    file_node = file_nodes[0]
    if file_node.get("source-language", SOURCE_LANGUAGE) != SOURCE_LANGUAGE:
        raise TranslationError(f"source language is {file_node.get('source-language')}, not vi", path)
    units = []
    for u in store.units:
        if u.isheader():
            continue
        target_node = u.getlanguageNode(lang=None, index=1)
        state = target_node.get("state", "") if target_node is not None else ""
        units.append(_exchange_unit(u, u.xmlelement.get("id", ""),
                                    u.xmlelement.get("approved") == "yes" or state in APPROVED_STATES))
    return ExchangeFile(path, "xliff", file_node.get("original"), file_node.get("target-language"),
                        file_node.get(SOURCE_SHA_ATTR), units)


def _read_po(path: Path) -> ExchangeFile:
    from translate.storage import po

    store = po.pofile.parsestring(path.read_bytes())
    header = store.parseheader()
    units = []
    for u in store.units:
        if u.isheader() or u.isobsolete():
            continue
        # PO has no approval flag of its own: a translated entry that is not fuzzy is approved.
        units.append(_exchange_unit(u, u.getcontext() or "", not u.isfuzzy()))
    return ExchangeFile(path, "po", header.get(PO_ANNOUNCEMENT), header.get("Language"),
                        header.get(PO_SOURCE_SHA), units)
