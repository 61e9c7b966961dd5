"""`broadcast translate` and `broadcast translations import/status`: a thin shell over
`broadcast.translations.workflow`."""

from __future__ import annotations

from pathlib import Path

import click

from broadcast.cli.root import PartialFailure, local_time, pass_workspace, report
from broadcast.cli.ui import console, error, show_path, warn
from broadcast.core import db
from broadcast.core.errors import BroadcastError
from broadcast.intake.announcements import load_announcements
from broadcast.intake.approval import approved_announcements
from broadcast.translations.engine import load_engine
from broadcast.translations.importing import import_exchanges
from broadcast.translations.memory import FUZZY_THRESHOLD
from broadcast.translations.models import FINAL, FORMATS, NEEDS_REVIEW, NEEDS_TRANSLATION
from broadcast.translations.state import translation_state
from broadcast.translations.workflow import Announcements, translate_announcement


def register(cli: click.Group) -> None:
    cli.add_command(translate)
    cli.add_command(translations)


def _announcements(ws, ids: tuple[str, ...]):
    """(announcements named by ID, number that could not be found or read)."""
    index = Announcements(ws)
    anns, failed = [], 0
    for ann_id in ids:
        try:
            anns.append(index.find(ann_id))
        except BroadcastError as exc:
            report(exc)
            failed += 1
    return anns, failed


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--to", "languages", multiple=True, metavar="LANG",
              help="Target language (repeatable). Default: each language the announcement lists, except vi.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="xliff", show_default=True,
              help="Exchange file for the translator: XLIFF 1.2 (.xlf) or gettext PO (.po).")
@click.option("--engine", type=click.Choice(["ct2"]), default=None,
              help="Optional machine drafts (written as needs-review, never approved).")
@click.option("--model", "model_dir", type=click.Path(path_type=Path), default=None,
              help="CTranslate2 model folder for --engine ct2 (model.bin + sentencepiece model).")
@click.option("--threshold", type=click.IntRange(50, 99), default=FUZZY_THRESHOLD, show_default=True,
              help="Lowest memory similarity (percent) offered as a suggestion; only exact matches are approved.")
@pass_workspace
def translate(ws, ids: tuple[str, ...], languages: tuple[str, ...], fmt: str, engine: str | None,
              model_dir: Path | None, threshold: int) -> None:
    """Write translations/<id>/<lang>.xlf (or .po) for the translator, for each approved
    announcement ID (default: every approved announcement).

    Sentences found exactly in the translation memory are filled in as final; near matches
    are only suggestions; unchanged sentences of an earlier translation are carried over."""

    conn = db.connect(ws.db_path)
    machine = load_engine(engine or "ct2", model_dir) if (engine or model_dir) else None
    if ids:
        anns, failed = _announcements(ws, ids)
    else:
        approved, _others = approved_announcements(ws, conn)
        anns, failed = [a for a, _ in approved], 0
        if not anns:
            console.print("no approved announcements to translate")
    for ann in anns:
        targets = list(languages) or [lang for lang in ann.languages if lang != "vi"]
        if not targets:
            console.print(f"{ann.id}: only in Vietnamese; pass --to LANG to translate it anyway")
        for lang in targets:
            try:
                res = translate_announcement(ws, conn, ann, lang, fmt=fmt, threshold=threshold, machine=machine)
            except BroadcastError as exc:
                report(exc)
                failed += 1
                continue
            note = "" if lang in ann.languages else f" (note: {lang} is not among the announcement's languages)"
            console.print(
                f"{ann.id} → {lang}: {show_path(res.path)}: {res.count(FINAL)} final "
                f"({res.by_origin('memory')} from memory, {res.by_origin('carried-over')} carried over), "
                f"{res.count(NEEDS_REVIEW)} to review ({res.by_origin('machine')} machine drafts), "
                f"{res.count(NEEDS_TRANSLATION)} to translate, {res.suggestions} with suggestions{note}")
    if failed:
        raise PartialFailure()


@click.group()
def translations() -> None:
    """Translators' files in and out: import an answered XLIFF/PO, see per-language state."""


@translations.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--by", "by", required=True,
              help="Translator approving the units (recorded in the memory and the audit log).")
@pass_workspace
def import_(ws, files: tuple[Path, ...], by: str) -> None:
    """Take translators' XLIFF or PO FILES back in (any number in one run).

    Approved units (approved="yes", or state final/signed-off; in PO: translated and not
    fuzzy) enter the translation memory. Units that miss a glossary term are refused, naming
    the term. When every unit is approved, translations/<id>/<lang>.md is written and its
    approval recorded in the audit log, tied to the approved Vietnamese text. Each language's
    memory is written once per run, under a lock: an import started meanwhile into the same
    language waits for this one (and says so), then adds its own units."""

    conn = db.connect(ws.db_path)
    failed = 0
    for path, res in zip(files, import_exchanges(ws, conn, list(files), by, on_wait=warn)):
        if isinstance(res, BroadcastError):
            report(res)
            failed += 1
            continue
        for problem in res.refused:
            error(f"{show_path(path)}: {problem}")
        if res.stale is not None:
            report(res.stale)
            failed += 1
            continue
        line = (f"{res.announcement_id} → {res.language}: {res.approved}/{res.total} units approved, "
                f"{res.added_to_memory} new in the memory")
        if res.refused:
            failed += 1
            line += f", {len(res.refused)} refused"
        if res.assembled is not None:
            verb = "already approved" if res.already_approved else f"approved by {by}"
            line += f"; {show_path(res.assembled)} {verb} (audit #{res.approval_seq})"
        elif not res.refused:
            line += "; the full text is written when every unit is approved"
        console.print(line)
    if failed:
        raise PartialFailure()


@translations.command("status")
@click.argument("ids", nargs=-1)
@pass_workspace
def status(ws, ids: tuple[str, ...]) -> None:
    """Per announcement and language: untranslated / draft / approved / stale, with the reason
    and the command that moves it on."""

    conn = db.connect(ws.db_path)
    if ids:
        anns, failed = _announcements(ws, ids)
    else:
        anns, _bad = load_announcements([ws.announcements_dir], ws.config, check_expiry=False)
        failed = 0
    for ann in anns:
        for lang in ann.languages:
            if lang == "vi":
                continue
            st = translation_state(ws, conn, ann, lang)
            who = f" by {st.approval['by']} at {local_time(ws, st.approval['at'])}" if st.approval else ""
            rec = f", recording {st.recording.name}" if st.recording else ""
            console.print(f"{ann.id}  {lang}  {st.state}{who}{rec}" + (f"  — {st.reason}" if st.reason else ""))
    if failed:
        raise PartialFailure()
