"""`broadcast check`: transcribe produced speech and compare it with the approved text."""

from __future__ import annotations

import click
from rich.table import Table

from broadcast.check import run_check
from broadcast.cli.root import PartialFailure, device_option, executor_options, parse_day, pass_workspace, report
from broadcast.cli.ui import console, deferred_progress, show_path
from broadcast.core.config import Workspace
from broadcast.executors import executor_spec
from broadcast.produce import today

FLAG_STYLE = {"ok": "green", "review": "yellow", "fail": "red"}


def _fmt(value, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def show_report(result) -> None:
    """The per-file table, then every issue of the files that did not pass."""
    table = Table(show_edge=False, pad_edge=False)
    for col in ("file", "lang", "flag", "CER", "WER", "covered", "numbers missing", "syl/s", "silence s",
                "clip", "length s (expected)"):
        table.add_column(col, no_wrap=col in ("flag", "lang"))
    for f in result.files:
        colour = FLAG_STYLE[f.flag]
        silence = "-" if f.leading_silence is None else f"{f.leading_silence:.1f}/{f.trailing_silence:.1f}"
        length = _fmt(f.duration, ".1f") + (f" ({f.expected_duration:.1f})" if f.expected_duration else "")
        table.add_row(f.path, f.language, f"[{colour}]{f.flag}[/{colour}]", _fmt(f.cer, ".2f"), _fmt(f.wer, ".2f"),
                      _fmt(f.coverage, ".0%"),
                      ", ".join(f.missing_numbers) or ("-" if f.transcribed else "n/a"),
                      _fmt(f.speech_rate, ".1f"), silence, _fmt(f.clipped_samples, "d"), length)
    console.print(table)
    shown: set[tuple] = set()
    for f in result.files:
        for issue in f.issues:
            key = (f.sha256, issue.message)
            if key in shown:   # the same master under several names: say it once
                continue
            shown.add(key)
            colour = FLAG_STYLE[issue.level]
            console.print(f"[{colour}]{issue.level}[/{colour}]  {f.path}: {issue.message}")
        if f.note and (f.sha256, f.note) not in shown:
            shown.add((f.sha256, f.note))
            console.print(f"note  {f.path}: {f.note}")
    console.print(f"{result.day.isoformat()}: {len(result.files)} files checked — {result.count('ok')} ok, "
                  f"{result.count('review')} review, {result.count('fail')} fail"
                  + (f"; model {result.model}" if result.model else ""))
    console.print(f"details: {show_path(result.folder / 'check.json')}")


def run_and_show(ws: Workspace, *, day, ids, backend: str | None, model: str | None, executor=None,
                 device: str | None = "auto"):
    with deferred_progress("checking") as bar:
        result = run_check(ws, day=day, ids=ids, backend_name=backend, model=model, progress=bar,
                           executor=executor, device=device)
    show_report(result)
    for e in result.errors:
        report(e)
    return result


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Date folder to check (default: today).")
@click.option("--backend", type=click.Choice(["faster-whisper", "openai-whisper"]), default=None,
              help="Speech-to-text backend (default: faster-whisper).")
@click.option("--model", default=None, help="Whisper model: a CTranslate2 folder or name (default: the packaged base model).")
@executor_options("the first readings are transcribed")
@device_option
@pass_workspace
def check(ws: Workspace, ids: tuple[str, ...], day: str | None, backend: str | None, model: str | None,
          executor: str | None, ray_address: str | None, device: str) -> None:
    """Does the produced speech say what was approved? Transcribes the first reading of every
    loudspeaker file of a date and compares it with the approved text as the voice was given it
    (CER, WER, how much of it the transcript covers, sentences and numbers heard), and
    checks the signal (silence, clipping, length, speech rate). Writes output/<date>/check.json.

    Each file is flagged ok / review / fail; limits are in [check] of broadcast.toml.
    Exit 1 if any file fails."""
    the_day = parse_day(day) or today(ws)
    result = run_and_show(ws, day=the_day, ids=list(ids) or None, backend=backend, model=model,
                          executor=executor_spec(ws, executor, ray_address), device=device)
    if result.failed:
        raise PartialFailure()


def register(cli: click.Group) -> None:
    cli.add_command(check)
