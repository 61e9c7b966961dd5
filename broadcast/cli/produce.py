"""`broadcast produce` and `broadcast verify`."""

from __future__ import annotations

import click

from broadcast.cli.check import run_and_show
from broadcast.cli.root import PartialFailure, executor_options, parse_day, pass_workspace, report
from broadcast.cli.ui import console, deferred_progress, show_path, warn
from broadcast.core import audit, db
from broadcast.core.config import Workspace
from broadcast.executors import executor_spec
from broadcast.produce import ManifestError, today
from broadcast.produce import produce as run_produce
from broadcast.produce import verify as verify_day
from broadcast.produce.integrity import audit_problems


@click.command()
@click.argument("ids", nargs=-1)
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Broadcast date (default: today in the commune's timezone).")
@click.option("--jobs", "-j", type=click.IntRange(1, 64), help="Renditions made in parallel (default: number of cores).")
@click.option("--wait", is_flag=True, help="If another produce holds this date, wait for it instead of stopping.")
@click.option("--check", "check_after", is_flag=True,
              help="Then run `broadcast check` on the date and mark the files it does not pass in the run sheets.")
@executor_options("renditions (and --check's transcriptions) are made")
@pass_workspace
def produce(ws: Workspace, ids: tuple[str, ...], day: str | None, jobs: int | None, wait: bool,
            check_after: bool, executor: str | None, ray_address: str | None) -> None:
    """The main job: approved announcements scheduled on a date → mastered loudspeaker MP3s
    with playlist and run sheet per area, Zalo voice files and message texts, CAP alerts, and
    output/<date>/manifest.json. Give IDS to produce only those announcements.

    A rerun redoes only what changed. Exit 1 if any rendition failed (the rest are produced)."""
    parsed = parse_day(day)
    spec = executor_spec(ws, executor, ray_address)

    with deferred_progress("rendering") as bar:
        result = run_produce(ws, ids=list(ids) or None, day=parsed, jobs=jobs, wait=wait, progress=bar,
                             executor=spec)
    for failure in result.failures:
        report(failure)
    for m in result.missing:
        warn(f"missing {m.announcement_id} [{m.language}] for {m.area}: {m.reason}")
    for ann_id in result.not_approved:
        warn(f"{ann_id}: not approved yet, left out (broadcast approve FILE --by NAME)")
    for ann_id, why, _areas in result.expired:
        console.print(f"left out {ann_id}: {why}")
    for rel in result.kept:
        warn(f"kept {rel} from the previous run: this run could not make it again (see above)")
    console.print(
        f"{result.day.isoformat()}: {result.files} files listed in the manifest; "
        f"{result.rendered} renditions made, {result.reused} reused; "
        f"{len(result.written)} files written, {result.unchanged} unchanged, {len(result.removed)} removed; "
        f"{len(result.missing)} missing, {len(result.failures)} failed"
    )
    withheld = {(w.announcement_id, w.language) for w in result.withheld}
    if withheld:
        console.print(f"{len(withheld)} scheduled item(s) withheld from air: listed at the top of the run sheets")
    console.print(f"output: {show_path(result.folder)}")
    if check_after and result.files:
        checked = run_and_show(ws, day=result.day, ids=list(ids) or None, backend=None, model=None,
                               executor=spec)   # --executor ray: the transcriptions on the cluster too
        # Produce again: nothing is rendered (every master is cached); the run sheets pick up the
        # flags from check.json and the manifest follows the rewritten run sheets.
        marked = run_produce(ws, ids=list(ids) or None, day=result.day, jobs=jobs, wait=wait)
        for failure in marked.failures:
            report(failure)
        flagged = checked.count("fail") + checked.count("review")
        if flagged:
            warn(f"{checked.count('fail')} file(s) marked check-failed and {checked.count('review')} marked "
                 f"review in the run sheets: listen to them before they are played")
        if checked.failed or marked.failures:
            raise PartialFailure()
    if result.failures:
        raise PartialFailure()


@click.command()
@click.option("--date", "day", metavar="YYYY-MM-DD", help="Date folder to verify (default: today).")
@click.option("--all", "all_days", is_flag=True, help="Verify every date folder under output/.")
@pass_workspace
def verify(ws: Workspace, day: str | None, all_days: bool) -> None:
    """Check every file under output/<date>/ against the manifest's sha256: reports files that
    were edited, removed or added after production. Also checks the audit log: its hash chain
    (entries edited outside broadcast) and that it still holds every entry the manifests and
    run sheets name (a log deleted, emptied, replaced or cut short). Exit 1 if anything differs."""
    if all_days:
        days = sorted(p.name for p in ws.output_dir.iterdir() if p.is_dir()) if ws.output_dir.is_dir() else []
    else:
        days = [(parse_day(day) or today(ws)).isoformat()]
    bad = False
    for name in days:
        folder = ws.output_dir / name
        try:
            problems = verify_day(ws, parse_day(name))
        except ManifestError as exc:
            report(exc)
            bad = True
            continue
        except click.BadParameter:
            continue                    # a folder that is not a date
        for p in problems:
            click.echo(f"error: {show_path(folder / p.split(': ', 1)[0])}: {p.split(': ', 1)[1]}", err=True)
        bad = bad or bool(problems)
    conn = db.connect(ws.db_path)
    for seq in audit.verify_chain(conn):
        click.echo(f"error: {show_path(ws.db_path)}: audit log entry #{seq} does not match its hash "
                   "(changed outside broadcast)", err=True)
        bad = True
    for problem in audit_problems(ws, conn):
        click.echo(f"error: {show_path(ws.db_path)}: {problem}", err=True)
        bad = True
    if bad:
        raise PartialFailure()
    console.print(f"{', '.join(days) or 'no dates'}: every file matches the manifest; the audit log is intact")


def register(cli: click.Group) -> None:
    cli.add_command(produce)
    cli.add_command(verify)
