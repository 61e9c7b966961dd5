"""`broadcast play`: one slot, one announcement at once, or all day; and its service unit."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from broadcast.cli.root import PartialFailure, parse_day, pass_workspace
from broadcast.cli.ui import error
from broadcast.core.config import Workspace
from broadcast.playout.clock import Clock
from broadcast.playout.outputs import output_for_area
from broadcast.playout.runs import play_slot
from broadcast.playout.runs import play_now
from broadcast.playout.devices import list_outputs
from broadcast.playout.outputs import parse_output
from broadcast.playout.service import SYSTEM_UNIT_DIR, install, unit_text
from broadcast.playout.follow import follow as run_follow

OUTPUT_HELP = ("Where to air: alsa[:DEVICE], pulse[:SINK], icecast://source:PASSWORD@HOST:PORT/MOUNT or "
               "file:PATH.wav (default: the area's `output` in broadcast.toml, else [playout] output).")


def _say(line: str) -> None:
    click.echo(line)


@click.command()
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Broadcast date (default: today in the commune's time zone).")
@click.option("--slot", metavar="SLOT", help="Air this slot's items for --area, in run-sheet order, then stop.")
@click.option("--area", "areas", metavar="AREA", multiple=True,
              help="Area (one for --slot; for --now and --follow any number, default: all of the announcement's / "
              "all areas).")
@click.option("--output", "output", metavar="OUT", help=OUTPUT_HELP)
@click.option("--now", "now_id", metavar="ID",
              help="Air announcement ID at once (an emergency interrupts the item on air on a busy output).")
@click.option("--follow", is_flag=True, help="Run all day: every slot at its time, new emergencies at once; stop "
              "with SIGTERM or Ctrl-C.")
@click.option("--realtime", is_flag=True, help="A file output is written at the pace of the air, not as fast as it "
              "can be (sound cards and Icecast always are).")
@click.option("--again", is_flag=True, help="With --slot: air items the as-run log shows already aired in the slot.")
@click.option("--list-outputs", is_flag=True, help="Show the sound devices and the configured outputs, and whether "
              "each can be used now.")
@click.option("--install-service", is_flag=True, help="Print a systemd unit that runs `play --follow` (with --area / "
              "--output as given); with --yes, install it.")
@click.option("--yes", is_flag=True, help="With --install-service: write the unit and enable it.")
@click.option("--unit-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="With --install-service --yes: write the unit here instead of /etc/systemd/system.")
@pass_workspace
def play(ws: Workspace, day: str | None, slot: str | None, areas: tuple[str, ...], output: str | None,
         now_id: str | None, follow: bool, realtime: bool, again: bool, list_outputs: bool, install_service: bool,
         yes: bool, unit_dir: Path | None) -> None:
    """Air the day's loudspeaker files and keep the as-run log.

    \b
      broadcast play --slot morning --area men --output alsa
      broadcast play --now canh-bao-lu-quet
      broadcast play --follow

    Before each item its sha256 must match the manifest and its announcement's approval must
    still be current (not changed, withdrawn or expired); an item that fails is not aired, the
    reason is shown and logged, the rest go on, and the exit code is 1."""
    modes = [m for m, on in (("--slot", slot), ("--now", now_id), ("--follow", follow),
                             ("--list-outputs", list_outputs), ("--install-service", install_service)) if on]
    if len(modes) != 1:
        raise click.UsageError("give one of --slot, --now, --follow, --list-outputs or --install-service"
                               + (f" (not {' and '.join(modes)})" if modes else ""))
    if (yes or unit_dir) and not install_service:
        raise click.UsageError("--yes and --unit-dir go with --install-service")
    if again and not slot:
        raise click.UsageError("--again goes with --slot")
    if list_outputs:
        return _list_outputs(ws)
    if install_service:
        return _install_service(ws, list(areas), output, yes, unit_dir)
    if follow:
        if day:
            raise click.UsageError("--follow airs today (and every day after); leave out --date")
        run_follow(ws, areas=list(areas) or None, output=output, realtime=realtime, say=_say)
        return
    if now_id:
        return _now(ws, now_id, list(areas), parse_day(day), output, realtime)
    return _slot(ws, parse_day(day), slot, list(areas), output, realtime, again)


def _slot(ws: Workspace, day: date | None, slot: str, areas: list[str], output: str | None, realtime: bool,
          again: bool) -> None:
    if len(areas) != 1:
        if len(areas) == 0 and len(ws.config.areas) == 1:
            areas = list(ws.config.areas)
        else:
            raise click.UsageError(f"--slot needs one --area (one of {', '.join(ws.config.areas)})")
    clock = Clock.from_env(ws.config.tz)
    the_day = day or clock.now().date()
    spec = output_for_area(ws, areas[0], output)
    outcomes = play_slot(ws, day=the_day, slot=slot, area=areas[0], spec=spec, realtime=realtime, again=again,
                         say=_say, clock=clock)
    counts = {r: sum(o.result == r for o in outcomes) for r in ("aired", "refused", "failed", "interrupted")}
    named = ws.config.slot_name(slot)
    click.echo(f"{the_day.isoformat()} {named if named == slot else f'{named} ({slot})'} {areas[0]} on {spec.display}: "
                  + ", ".join(f"{n} {r}" for r, n in counts.items()))
    last: dict = {}
    for o in outcomes:            # an item interrupted by an emergency airs again: its last try counts
        last[o.item.key if o.item else id(o)] = o.result
    if any(result != "aired" for result in last.values()):
        raise PartialFailure()


def _now(ws: Workspace, ann_id: str, areas: list[str], day: date | None, output: str | None,
         realtime: bool) -> None:
    results = play_now(ws, ann_id, areas=areas or None, day=day, output=output, realtime=realtime, say=_say)
    bad = [r for r in results if r.result != "aired"]
    for r in results:
        click.echo(f"{ann_id} in {r.area} on {r.output}: {r.result}" + (f" ({r.reason})" if r.reason else ""))
    if bad or not results:
        raise PartialFailure()


def _list_outputs(ws: Workspace) -> None:
    rows = list_outputs(ws)
    for r in rows:
        click.echo(f"{'yes' if r.usable else 'no ':<4} {r.name}  ({r.where}): {r.note}")
    if not rows:
        click.echo("no sound devices found and no output configured; see `broadcast play --help`")


def _install_service(ws: Workspace, areas: list[str], output: str | None, yes: bool, unit_dir: Path | None) -> None:
    args: list[str] = []
    for a in areas:
        args += ["--area", a]
    if output:
        parse_output(output)
        args += ["--output", output]
    text = unit_text(ws, args)
    if not yes:
        click.echo(text, nl=False)
        click.echo(f"# not installed; to install: broadcast play --install-service --yes "
                   f"(writes {SYSTEM_UNIT_DIR}/broadcast-play.service)", err=True)
        return
    path, steps = install(ws, text, unit_dir or SYSTEM_UNIT_DIR)
    click.echo(f"installed {path}")
    for step in steps:
        click.echo(f"  {step}")
    if output and "icecast://" in output:
        error("the unit holds the Icecast password as given; prefer output = \"icecast://source:${VAR}@…\" "
              "in broadcast.toml with Environment=VAR=… in a drop-in")


def register(cli: click.Group) -> None:
    cli.add_command(play)
