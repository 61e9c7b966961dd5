"""`broadcast preview`: each sentence of an announcement as the voice will read it, numbered,
with the voice that will read it; `--out` writes that reading as WAV. `--text` prints only the
spoken form of a text, one sentence per line, for scripts."""

from __future__ import annotations

from pathlib import Path

import click

from broadcast.cli.root import local_time
from broadcast.cli.ui import console, show_path
from broadcast.core import audit, db
from broadcast.core.config import Workspace, load_workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.languages import LANGUAGES, SOURCE_LANGUAGE, language_name
from broadcast.core.models import Announcement
from broadcast.intake.announcements import parse_announcement
from broadcast.speech import load_recording, synthesize
from broadcast.speech.catalogue import how_to_add
from broadcast.speech.preview import Preview, VoiceChoice, preview, spoken_lines, write_wav
from broadcast.translations import UNTRANSLATED, translation_state
from broadcast.translations.readings import current_reading
from broadcast.translations.state import read_translation, relative, text_path
from broadcast.translations.workflow import find_announcement

UNMASTERED = ("the unmastered reading: the voice's speech with its pauses, read once — no station ident, "
              "attention signal, repeats or loudness mastering (`broadcast produce` makes the aired master)")


def voice_line(choice: VoiceChoice, announcement_id: str = "ID") -> str:
    """Who reads it: "vi-north (espeak-ng 1.51, voices/vi.toml)", or why nobody can and how to add a voice."""
    if choice.voice is None:
        why = choice.reason if choice.reason.startswith("no ") else f"no voice for {choice.lang} here: {choice.reason}"
        return f"{why} — {how_to_add(choice.lang, announcement_id)}"
    where = f", {show_path(choice.source)}" if choice.source else ""
    return f"{choice.voice} ({choice.engine} {choice.engine_version}{where})"


def print_preview(result: Preview, *, only_normalised: bool = False, indent: str = "") -> None:
    """The numbered spoken sentences, each followed by what the normaliser read otherwise than
    written ("15/12/2099 → mười lăm tháng mười hai …"); `only_normalised`: just those sentences."""
    width = len(str(len(result.sentences)))
    for s in result.sentences:
        if only_normalised and not s.normalised:
            continue
        console.print(f"{indent}{s.number:>{width}}. {s.spoken}", markup=False)
        for change in s.changes:
            written = change.written or "(added)"
            console.print(f"{indent}{' ' * (width + 2)}   {written} → {change.spoken}", markup=False)


def approval_line(ws: Workspace, conn, ann: Announcement) -> str:
    """Whether this exact content is approved, by whom and when (the commune's time)."""
    approval = audit.approval_for(conn, ann.id, ann.sha256)
    if approval is not None:
        return f"approved by {approval.by} at {local_time(ws, approval.at)}"
    previous = audit.latest_approvals(conn).get(ann.id)
    if previous is not None:
        return (f"changed since it was approved by {previous.by} at {local_time(ws, previous.at)}: "
                "not approved in this form")
    return "draft: not approved yet"


def _text_for(ws: Workspace, conn, ann: Announcement, lang: str) -> tuple[str, str]:
    """(text, state line) of `ann` in `lang`: the announcement's own text, or its translation
    as it stands (approved, or a draft, stale or edited file, which is previewed all the same)."""
    if lang == SOURCE_LANGUAGE:
        return ann.body, approval_line(ws, conn, ann)
    state = translation_state(ws, conn, ann, lang)
    if state.approved and state.text:
        approval = state.approval or {}
        return state.text, (f"translation approved by {approval.get('by')} at "
                            f"{local_time(ws, approval['at']) if approval.get('at') else '?'}")
    md = text_path(ws, ann.id, lang)
    current = read_translation(md)
    if current is None:
        raise BroadcastError(f"no {language_name(lang)} text of {ann.id} to preview ({state.state})", md,
                             hint=state.reason)
    if state.state == UNTRANSLATED:   # a file put there by hand, never imported
        return current[0], f"{relative(ws, md)} is not an approved translation (none was imported)"
    return current[0], f"translation {state.state}, not approved: {state.reason}"


def schedule_line(ws: Workspace, ann: Announcement) -> str:
    """When it is aired: "14/12/2099, 15/12/2099 · 05:30 Buổi sáng, 17:00 Buổi chiều · read 2 times"."""
    days = [d.strftime("%d/%m/%Y") for d in ann.dates]
    when = ", ".join(days) if len(days) <= 3 else f"{days[0]} … {days[-1]} ({len(days)} days)"
    slots = ", ".join(f"{ws.config.slots[s].strftime('%H:%M')} {ws.config.slot_name(s)}" for s in ann.slots
                      if s in ws.config.slots)
    return f"{when} · {slots} · read {ann.readings} time{'s' * (ann.readings != 1)} a slot"


def _load(ws: Workspace, target: str) -> Announcement:
    path = Path(target)
    if path.suffix == ".md" and path.is_file():
        return parse_announcement(path, ws.config, check_expiry=False)
    return find_announcement(ws, target)


def _reading_note(ws: Workspace, conn, ann: Announcement, lang: str):
    """The accepted human reading aired for `ann` in `lang`, if there is one (else None)."""
    if lang == SOURCE_LANGUAGE:
        return None
    reading = current_reading(ws, conn, ann, lang)
    return reading.reading if reading.current else None


@click.command("preview")
@click.argument("target", metavar="[ID]", required=False)
@click.option("--text", "text", metavar="TEXT", default=None,
              help="Print only the spoken form of TEXT, one sentence per line and nothing else (for scripts); "
              "no workspace needed.")
@click.option("--lang", default=None, metavar="TAG",
              help="Language to preview (BCP 47 tag; default vi). For an announcement, another language "
              "previews its translation, approved or not.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE.wav",
              help="Also write the reading as a WAV file: the speech as the voice reads it, unmastered "
              "(one reading, without ident, attention signal or loudness mastering).")
@click.pass_context
def preview_command(ctx: click.Context, target: str | None, text: str | None, lang: str | None,
                    out: Path | None) -> None:
    """Show what will be read aloud: each sentence of announcement ID (its id, or its .md file)
    as the voice will say it — numbers, dates, codes and abbreviations in words — numbered, with
    the voice and engine that will read it. Works on drafts too: nothing is approved or recorded.

    \b
      broadcast preview tiem-chung                  the Vietnamese text as it will be read
      broadcast preview tiem-chung --lang hmn       its H'Mông translation
      broadcast preview tiem-chung --out nghe.wav   and write the reading to listen to
      broadcast preview --text "Gọi 1900 1234."     the spoken form only, one sentence a line
    """
    lang = lang or SOURCE_LANGUAGE
    if lang not in LANGUAGES:
        raise BroadcastError(f"unknown language {lang!r}", hint=f"known: {', '.join(LANGUAGES)}")
    if (target is None) == (text is None):
        raise click.UsageError("give an announcement ID, or --text TEXT (not both)")
    if text is not None:
        if out is not None:
            raise click.UsageError("--out needs an announcement ID; --text prints the spoken form only")
        lines = spoken_lines(text, lang)
        if not lines:
            raise BroadcastError("nothing to say: the text has no words", hint="pass the text to read")
        for line in lines:
            click.echo(line)
        return
    if out is not None and out.suffix.lower() != ".wav":
        raise click.BadParameter(f"{out} does not end in .wav; the reading is written as WAV", param_hint="--out")
    ws = ctx.obj.get("workspace") or load_workspace(ctx.obj.get("workspace_arg"))
    ctx.obj["workspace"] = ws
    ann = _load(ws, target)
    conn = db.connect(ws.db_path)
    body, state = _text_for(ws, conn, ann, lang)
    result = preview(ws, body, lang)
    reading = _reading_note(ws, conn, ann, lang)
    console.print(f"{ann.id} · {ann.title} · {language_name(lang)} ({lang}) · {state}", markup=False)
    console.print(f"on air {schedule_line(ws, ann)}", markup=False)
    if reading is not None:
        console.print(f"aired from the accepted reading {relative(ws, reading.path)} (read by {reading.reader}, "
                      f"accepted by {reading.accepted_by}); below is the text it was checked against, as the "
                      f"voice would read it", markup=False)
    console.print(("read by " if result.voice.voice else "") + voice_line(result.voice, ann.id), markup=False)
    for skip in result.voice.skipped:
        console.print(f"  skipped {skip}", markup=False)
    print_preview(result)
    n, p, held = len(result.sentences), result.paragraphs, len(result.normalised)
    console.print(f"{n} sentence{'s' * (n != 1)} in {p} paragraph{'s' * (p != 1)}; {held} hold{'s' * (held == 1)} "
                  "numbers, dates, codes or abbreviations (each shown as written → as read)", markup=False)
    if out is None:
        return
    if reading is not None:
        speech = load_recording(reading.path, body, lang)
    elif result.voice.voice is None:
        raise BroadcastError(f"no synthetic voice for {lang}: nothing can read it here", out,
                             hint=how_to_add(lang, ann.id))
    else:
        speech = synthesize(ws, lang, body)
    seconds = write_wav(speech, out)
    who = f"{speech.voice} ({speech.engine} {speech.engine_version})"
    console.print(f"wrote {show_path(out)}: {seconds:.1f} s, {who} — {UNMASTERED}", markup=False)
    for skip in speech.fallbacks:
        console.print(f"  skipped {skip}", markup=False)


def register(cli: click.Group) -> None:
    cli.add_command(preview_command)
