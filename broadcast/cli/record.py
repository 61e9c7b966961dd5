"""`broadcast record`: human readings of approved texts, verified before they can be aired."""

from __future__ import annotations

from pathlib import Path

import click
from rich.markup import escape
from rich.table import Table

from broadcast.cli.root import PartialFailure, local_time, pass_workspace
from broadcast.cli.ui import console, error, show_path
from broadcast.core import db
from broadcast.core.config import Workspace
from broadcast.recording.studio import overview
from broadcast.recording.takes import announcement_target, approve_take, phrase_target, record_take
from broadcast.translations.readings import commands

STATE_STYLE = {"verified": "green", "to verify": "yellow", "stale": "red", "none": "dim"}


class RecordGroup(click.Group):
    """`broadcast record ID --lang L FILE` records a take; `approve`, `phrase` and `list` are
    subcommands (an announcement cannot be called by one of their names)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("-h", "--help"):
            args = ["take", *args]
        return super().parse_args(ctx, args)


def _take_options(fn):
    fn = click.option("--reason", default="", metavar="TEXT",
                      help="Why a take that failed verification is aired anyway (with --accept; "
                      "written in the audit log).")(fn)
    fn = click.option("--accept", is_flag=True,
                      help="Accept the take even if verification fails (needs --reason; the audit log "
                      "names you). Languages Whisper cannot hear still need a listener's approval.")(fn)
    fn = click.option("--reader", default=None, metavar="NAME",
                      help="Who read it, when that is not the person given by --by.")(fn)
    fn = click.option("--by", "by", required=True, metavar="NAME",
                      help="Who records or imports the take (the reader, unless --reader says otherwise).")(fn)
    return fn


@click.group(cls=RecordGroup, invoke_without_command=False)
def record() -> None:
    """Human readings of approved texts, verified against them before they are aired.

    \b
      broadcast record ID --lang L FILE --by NAME      import a take (any format ffmpeg reads)
      broadcast record phrase NAME FILE --by NAME      a fixed phrase: ident, opening, closing
      broadcast record approve ID --lang L --by NAME   a second person listened (hmn, blt, …)
      broadcast record list                            every reading and its state

    A take is cleaned (mono, 80 Hz high-pass, gentle denoise, silence trimmed at both ends).
    In languages Whisper hears (vi, km, zh, yue, lo, en) it is transcribed and must say every
    sentence and every number of the approved text, or it is refused (exit 1) with the sentences
    to read again. In the others its sound and length are checked and a second person must
    listen to it. Only an accepted reading of the current text is aired."""


@record.command("take", hidden=True)
@click.argument("announcement_id", metavar="ID")
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--lang", "lang", required=True, metavar="L", help="Language of the reading (BCP 47 tag, e.g. vi, hmn).")
@_take_options
@pass_workspace
def take(ws: Workspace, announcement_id: str, file: Path, lang: str, by: str, reader: str | None,
         accept: bool, reason: str) -> None:
    """Record a take of announcement ID in language L from FILE."""

    conn = db.connect(ws.db_path)
    target = announcement_target(ws, conn, announcement_id, lang)
    _show(ws, record_take(ws, conn, target, file, by=by, reader=reader, accept=accept, reason=reason))


@record.command("phrase")
@click.argument("name", type=click.Choice(["ident", "opening", "closing"]))
@click.argument("file", type=click.Path(path_type=Path, dir_okay=False))
@_take_options
@pass_workspace
def phrase(ws: Workspace, name: str, file: Path, by: str, reader: str | None, accept: bool, reason: str) -> None:
    """Record a fixed phrase (station ident, opening, closing) from FILE, verified against its text
    (`[record.phrases]` in broadcast.toml, or the default)."""

    conn = db.connect(ws.db_path)
    target = phrase_target(ws, name)
    _show(ws, record_take(ws, conn, target, file, by=by, reader=reader, accept=accept, reason=reason))


@record.command("approve")
@click.argument("announcement_id", metavar="ID", required=False)
@click.option("--lang", "lang", default=None, metavar="L", help="Language of the reading.")
@click.option("--phrase", "phrase_name", type=click.Choice(["ident", "opening", "closing"]), default=None,
              help="Approve a fixed phrase's take instead of an announcement's.")
@click.option("--by", "by", required=True, metavar="NAME",
              help="Who listened to the take (not its reader); written in the audit log.")
@click.option("--take", "take_sha", default=None, metavar="SHA",
              help="The take to approve (start of its sha256; default: the newest waiting).")
@pass_workspace
def approve(ws: Workspace, announcement_id: str | None, lang: str | None, phrase_name: str | None, by: str,
            take_sha: str | None) -> None:
    """A second person listened to the newest take of ID in L and approves it for air (languages
    Whisper cannot hear: hmn, blt, …)."""

    if phrase_name is None and (not announcement_id or not lang):
        raise click.UsageError("give ID and --lang L, or --phrase NAME")
    conn = db.connect(ws.db_path)
    target = phrase_target(ws, phrase_name) if phrase_name else announcement_target(ws, conn, announcement_id, lang)
    result = approve_take(ws, conn, target, by=by, sha=take_sha)
    console.print(escape(f"{target.label}: approved by {by} after listening; the take read by "
                         f"{result.record.get('reader')} is aired from {show_path(target.final_path)}"))


@record.command("list")
@click.argument("ids", nargs=-1, metavar="[ID]...")
@pass_workspace
def list_readings(ws: Workspace, ids: tuple[str, ...]) -> None:
    """Every approved announcement × language, and the fixed phrases, with the state of its
    reading: none / to verify / verified / stale, and what to do."""

    conn = db.connect(ws.db_path)
    table = Table(show_edge=False, pad_edge=False)
    for col in ("reading", "state", "read by", "accepted", "what to do"):
        table.add_column(col)
    for row in overview(ws, conn, ids=list(ids) or None):
        st = row.state
        colour = STATE_STYLE.get(st.state, "white")
        r = st.reading
        table.add_row(escape(row.label), f"[{colour}]{st.state}[/{colour}]", escape(r.reader) if r else "",
                      escape(f"{r.accepted_by} ({r.how}) {local_time(ws, r.accepted_at)}") if r else "",
                      escape(st.reason))
    console.print(table)


def _say(text: str) -> None:
    console.print(escape(text))


def _show(ws: Workspace, result) -> None:
    rec = result.record
    target = result.target
    v = result.verdict
    heard = (f"{sum(s.ok for s in v.sentences)}/{len(v.sentences)} sentences and "
             f"{sum(n.ok for n in v.numbers)}/{len(v.numbers)} numbers heard ({v.heard:.0%} of the text)"
             if v else f"{rec['signal']['speech_seconds']:.1f} s of speech")
    for note in rec.get("notes", []):
        _say(f"note  {target.label}: {note}")
    if result.accepted:
        how = {"verified": "verified", "overridden": f"accepted by {rec['recorded_by']} despite the checks"}[result.how]
        _say(f"{target.label}: {how} — {heard}; aired from {show_path(target.final_path)} "
                      f"(take {rec['sha256'][:12]})")
        for problem in rec.get("problems", []) if result.how == "overridden" else []:
            _say(f"  overridden: {problem}")
        return
    if rec["verdict"] == "listen":
        _say(f"{target.label}: sound checked — {heard}; waits for a second person to listen "
                      f"(take {rec['sha256'][:12]}): {commands(target.subject, target.language)[1]}")
        return
    for problem in rec.get("problems", []):
        error(f"{target.label}: {problem}")
    if v and v.missing_sentences and not v.refused:
        _say("read again:")
        for s in v.missing_sentences:
            _say(f"  {s.index}. {s.text}")
    _say(f"{target.label}: refused (take {rec['sha256'][:12]} kept); record it again, or "
                  f"accept it anyway with --accept --reason TEXT")
    raise PartialFailure()


def register(cli: click.Group) -> None:
    cli.add_command(record)
