"""`broadcast review assign/reply/correct/contact/link/group/duplicates/approve-reply/voice-reply`:
the case commands of the review group, a thin shell over feedback/cases.py and replies.py."""

from __future__ import annotations

import click

from broadcast.cli.review import _conn, _default_reviewer, _one_line, review
from broadcast.cli.root import local_time, pass_workspace
from broadcast.cli.ui import show_path
from broadcast.core.config import Workspace
from broadcast.feedback import cases
from broadcast.feedback.linking import GROUP_SCORE, near_duplicate_groups
from broadcast.feedback.models import OPEN_STATUSES
from broadcast.feedback.queue import iter_all, parse_date
from broadcast.feedback.replies import produce_voice_reply

BY_HELP = "Who does it (default: $BROADCAST_REVIEWER or $USER)."


def _line(it, cases) -> str:
    due = f"due {it.due_date}" + (" (overdue)" if cases.is_overdue(it) else "") if it.due_date else "no due date"
    return f"#{it.id}  {it.status}  {it.unit or '-'} / {it.category or '-'}  {due}"


@review.command()
@click.argument("item_id", type=int)
@click.option("--unit", default=None, metavar="U",
              help="Unit that handles it (an id of [feedback.units]; default: the category's unit).")
@click.option("--category", default=None, metavar="C",
              help="Its category (an id of [feedback.categories]); the due date follows the category's days.")
@click.option("--note", default=None, help="Why, or what the unit should do (kept in the assignment history).")
@click.option("--by", "by", default=None, help=BY_HELP)
@pass_workspace
def assign(ws: Workspace, item_id: int, unit: str | None, category: str | None, note: str | None,
           by: str | None) -> None:
    """Hand an item to a unit, optionally in a category: its due date is then the category's
    working days from receipt (weekends and [feedback] holidays skipped)."""

    rules = cases.Cases.of(ws)
    it = cases.assign(_conn(ws), rules, item_id, unit=unit, category=category, by=by or _default_reviewer(),
                      note=note)
    click.echo(_line(it, rules))


@review.command()
@click.argument("item_id", type=int)
@click.option("--text", "text", required=True, help="The reply to the citizen.")
@click.option("--by", "by", required=True, help="Who answered (kept with the reply and in the audit log).")
@click.option("--on", "on", default=None, metavar="DATE",
              help="The day the reply was given, when it is recorded afterwards (YYYY-MM-DD; default: now).")
@click.option("--group", "whole_group", is_flag=True,
              help="Give the same reply to every open item of this item's group of near-duplicates.")
@pass_workspace
def reply(ws: Workspace, item_id: int, text: str, by: str, on: str | None, whole_group: bool) -> None:
    """Record the reply to the citizen: the item becomes answered (on time when the reply's
    date is not after the due date). A changed reply needs a new approval for a voice reply."""

    rules = cases.Cases.of(ws)
    done = cases.reply(_conn(ws), rules, item_id, text=text, by=by, on=parse_date(on) if on else None,
                       group=whole_group)
    for it in done:
        late = " (late)" if it.due_date and rules.answered_on(it).isoformat() > it.due_date else ""
        click.echo(f"#{it.id}  answered by {it.reply_by} on {it.reply_at[:10]}{late}")


@review.command()
@click.argument("item_id", type=int)
@click.argument("text")
@click.option("--by", "by", default=None, help=BY_HELP)
@pass_workspace
def correct(ws: Workspace, item_id: int, text: str, by: str | None) -> None:
    """Store the corrected transcript TEXT (what the citizen really said; the machine
    transcript is kept beside it)."""

    it = cases.correct(_conn(ws), item_id, text, by=by or _default_reviewer())
    click.echo(f"#{it.id}  corrected: {_one_line(it.corrected_transcript)}")


@review.command()
@click.argument("item_id", type=int)
@click.argument("phone", required=False)
@click.option("--clear", is_flag=True, help="Remove the contact.")
@click.option("--by", "by", default=None, help=BY_HELP)
@pass_workspace
def contact(ws: Workspace, item_id: int, phone: str | None, clear: bool, by: str | None) -> None:
    """Set the citizen's phone number PHONE (typed; the number in the recording's tags or file
    name is taken on its own). Exports with --redact mask it."""

    if not clear and not phone:
        raise click.UsageError("give the PHONE number, or --clear")
    it = cases.set_contact(_conn(ws), item_id, None if clear else phone, by=by or _default_reviewer())
    click.echo(f"#{it.id}  contact: {it.contact or '-'}")


@review.command()
@click.argument("item_id", type=int)
@click.argument("announcement", required=False)
@click.option("--by", "by", default=None, help=BY_HELP)
@pass_workspace
def link(ws: Workspace, item_id: int, announcement: str | None, by: str | None) -> None:
    """Confirm the announcement suggested for an item (see `review show`), or link it to
    ANNOUNCEMENT instead."""

    it = cases.link(_conn(ws), item_id, announcement, by=by or _default_reviewer())
    click.echo(f"#{it.id}  announcement: {it.announcement_id}")


@review.command()
@click.argument("item_ids", nargs=-1, type=int, required=True)
@click.option("--remove", "remove", is_flag=True, help="Take these items out of their groups instead.")
@click.option("--by", "by", default=None, help=BY_HELP)
@pass_workspace
def group(ws: Workspace, item_ids: tuple[int, ...], remove: bool, by: str | None) -> None:
    """Put items that raise the same problem into one group (named by its lowest id), to
    answer them together with `review reply ID --group`."""

    conn, who = _conn(ws), by or _default_reviewer()
    if remove:
        for item_id in item_ids:
            cases.ungroup(conn, item_id, by=who)
        click.echo(f"ungrouped {', '.join(f'#{i}' for i in item_ids)}")
        return
    members = cases.group(conn, list(item_ids), by=who)
    click.echo(f"group #{members[0].group_id}: {', '.join(f'#{m.id}' for m in members)}")


@review.command()
@click.option("--threshold", default=None, type=click.FloatRange(0, 100),
              help="Similarity (0–100, rapidfuzz token-set ratio) from which two transcripts count as "
              "the same problem (default 72).")
@pass_workspace
def duplicates(ws: Workspace, threshold: float | None) -> None:
    """Suggest groups of open items (new, assigned) that raise the same problem, each with the
    `review group` command that makes it."""

    found = near_duplicate_groups(iter_all(_conn(ws), status=list(OPEN_STATUSES)),
                                  GROUP_SCORE if threshold is None else threshold)
    for members in found:
        already = len({m.group_id for m in members}) == 1 and members[0].group_id is not None
        click.echo(("grouped   " if already else "") + "broadcast review group "
                   + " ".join(str(m.id) for m in members))
        for m in members:
            click.echo(f"  #{m.id}  {m.area or '-'}  {_one_line(m.best_transcript, 70)}")
    click.echo(f"{len(found)} group(s) of near-duplicates", err=True)


@review.command("approve-reply")
@click.argument("item_id", type=int)
@click.option("--by", "by", required=True, help="Name of the official approving (recorded in the audit log).")
@pass_workspace
def approve_reply(ws: Workspace, item_id: int, by: str) -> None:
    """Record an official's approval of the exact reply text (its sha256, in the audit log):
    a voice reply is made only from an approved text."""

    approval, new = cases.approve_reply(_conn(ws), item_id, by=by)
    verb = "approved" if new else "already approved"
    click.echo(f"{verb}  reply of #{item_id}  by {approval['by']} at {local_time(ws, approval['at'])}  "
               f"sha256 {approval['sha256'][:12]}")


@review.command("voice-reply")
@click.argument("item_id", type=int)
@click.option("--by", "by", default=None, help=BY_HELP)
@pass_workspace
def voice_reply(ws: Workspace, item_id: int, by: str | None) -> None:
    """Speak the approved reply in the item's language and master it as a Zalo voice note:
    feedback/replies/<id>-<lang>.m4a, for an officer to send to the citizen."""

    made = produce_voice_reply(_conn(ws), ws, item_id, by=by or _default_reviewer())
    click.echo(f"made {show_path(made.path)}  ({made.language}, {made.duration:.1f} s, "
               f"{made.integrated_lufs:.1f} LUFS, true peak {made.true_peak_dbtp:.1f} dBTP, {made.voice})")


def register(cli: click.Group) -> None:
    """The commands attach to the `review` group when this module is imported."""
