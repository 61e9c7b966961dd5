"""The two one-shot ways to air: one slot of one area (`play --slot`), and one announcement at
once (`play --now`), which asks the player already airing on a busy output to interrupt."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date

from broadcast.core import db
from broadcast.core.config import CONFIG_NAME, Workspace
from broadcast.core.errors import BroadcastError
from broadcast.playout import asrun, runsheet
from broadcast.playout.clock import Clock
from broadcast.playout.control import OutputControl
from broadcast.playout.gate import Announcements
from broadcast.playout.outputs import OutputSpec, output_for_area, settings
from broadcast.playout.plan import DayPlan, Item, load_day, manifest_stamp, slot_moment
from broadcast.playout.player import Outcome, Player, Stopped

# How long `--now` waits for a busy player to air its request (an item on air first, when it
# is not an emergency).
NOW_WAIT_SECONDS = 30 * 60


class OutputBusy(BroadcastError):
    """Another player holds the output."""


@dataclass(frozen=True)
class NowResult:
    area: str
    output: str
    result: str
    reason: str | None


@contextmanager
def stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM and SIGINT set `stop`: the player ends the item on air as interrupted, logs it
    and closes the output. (Only the main thread can take signals; elsewhere this does nothing.)"""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    sigs = (signal.SIGTERM, signal.SIGINT)
    old = {s: signal.getsignal(s) for s in sigs}
    for s in sigs:
        signal.signal(s, lambda _signum, _frame: stop.set())
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)


def check_names(ws: Workspace, *, area: str | None = None, slot: str | None = None) -> None:
    where = ws.root / CONFIG_NAME
    if area is not None and area not in ws.config.areas:
        raise BroadcastError(f"unknown area {area!r}", where, hint=f"known: {', '.join(ws.config.areas)}")
    if slot is not None and slot not in ws.config.slots:
        raise BroadcastError(f"unknown slot {slot!r}", where, hint=f"known: {', '.join(ws.config.slots)}")


def busy_error(control: OutputControl) -> OutputBusy:
    holder = control.holder() or {}
    return OutputBusy(f"output {control.spec.display} is in use by `broadcast play` (pid {holder.get('pid', '?')})",
                      control.dir / "lock",
                      hint="wait for it to finish; an emergency goes through it: broadcast play --now ID")


def refreshed(ws: Workspace, conn, plan: DayPlan, item: Item) -> tuple[DayPlan, Item | None]:
    """The plan again if `produce` rewrote the day meanwhile, and the item as it is there."""
    if manifest_stamp(ws, plan.day) == plan.stamp:
        return plan, item
    plan = load_day(ws, conn, plan.day)
    same = [i for i in plan.for_slot(item.area, item.slot) if i.key == item.key]
    return plan, same[0] if same else None


def play_slot(ws: Workspace, *, day: date, slot: str, area: str, spec: OutputSpec, realtime: bool = False,
              again: bool = False, say: Callable[[str], None] = print, clock: Clock | None = None,
              stop: threading.Event | None = None) -> list[Outcome]:
    """Air a slot's items for an area in run-sheet order, each after its checks; items the log
    shows already aired in this slot are skipped unless `again`."""
    check_names(ws, area=area, slot=slot)
    clock = clock or Clock.from_env(ws.config.tz)
    stop = stop or threading.Event()
    conn = db.connect(ws.db_path)
    plan = load_day(ws, conn, day)
    items = plan.for_slot(area, slot)
    if not items:
        raise BroadcastError(f"nothing to air: no loudspeaker file for {area} in the {slot} slot of {day.isoformat()}",
                             plan.folder, hint="see the run sheet; `broadcast produce --date …` makes the files")
    aired = {(a["slot"], a["announcement"], a["language"]): a for a in asrun.aired_in_day(conn, day.isoformat(), area)
             if a["result"] == "aired"}
    if not again:
        for item in items:
            if item.key in aired:
                say(f"skipped  {item.label}: already aired in this slot at {aired[item.key]['started_at']}")
        items = [i for i in items if i.key not in aired]
        if not items:
            return []
    control = OutputControl(ws, spec)
    if not control.acquire():
        raise busy_error(control)
    player = Player(ws, spec, control, clock=clock, realtime=realtime, gap_seconds=settings(ws).gap_seconds,
                    stop=stop, say=say)
    planned = slot_moment(ws, day, slot)
    try:
        with stop_on_signals(stop):
            player.open()
            try:
                for item in items:
                    plan, current = refreshed(ws, conn, plan, item)
                    if current is None:
                        say(f"skipped  {item.label}: no longer in the run sheet (the day was produced again)")
                        continue
                    player.air(plan, current, started_by="operator", planned_at=planned)
                player.serve_requests()
            except Stopped:
                say("stopped")
            finally:
                player.close()
    finally:
        control.release()
    sheet = runsheet.refresh(ws, conn, day, area, say)
    if sheet:
        say(f"run sheet with what aired: {sheet}")
    return player.outcomes


def play_now(ws: Workspace, announcement: str, *, areas: list[str] | None = None, day: date | None = None,
             output: str | None = None, realtime: bool = False, say: Callable[[str], None] = print,
             clock: Clock | None = None, stop: threading.Event | None = None,
             wait_seconds: float = NOW_WAIT_SECONDS) -> list[NowResult]:
    """Air an announcement at once in each of its areas (or those given). On an output a player
    holds, the request goes to that player: an emergency interrupts the item on air."""
    clock = clock or Clock.from_env(ws.config.tz)
    stop = stop or threading.Event()
    anns = Announcements.load(ws)
    ann = anns.good.get(announcement)
    if ann is None:
        broken = anns.bad.get(announcement)
        raise BroadcastError(f"no valid announcement with id {announcement!r}" +
                             (f" ({broken.reason})" if broken else ""), ws.announcements_dir,
                             hint="check the id with `broadcast status`")
    for a in areas or []:
        check_names(ws, area=a)
    targets = list(areas or ann.areas)
    emergency = ann.priority == "emergency"
    day = day or clock.now().date()
    results: list[NowResult] = []
    with stop_on_signals(stop):
        for area in targets:
            spec = output_for_area(ws, area, output)
            req = {"announcement": announcement, "area": area, "day": day.isoformat(),
                   "started_by": "emergency" if emergency else "operator", "interrupt": emergency,
                   "operator": asrun.operator_name(), "requested_at": clock.stamp()}
            for outcome in _air_request(ws, spec, req, realtime=realtime, say=say, clock=clock, stop=stop,
                                        wait_seconds=wait_seconds):
                results.append(NowResult(area, spec.display, outcome["result"], outcome.get("reason")))
    return results


def _air_request(ws: Workspace, spec: OutputSpec, req: dict, *, realtime: bool, say, clock: Clock,
                 stop: threading.Event, wait_seconds: float) -> list[dict]:
    control = OutputControl(ws, spec)
    while True:
        if control.acquire():
            try:
                player = Player(ws, spec, control, clock=clock, realtime=realtime,
                                gap_seconds=settings(ws).gap_seconds, stop=stop, say=say)
                try:
                    player.open()
                    outcomes = player.serve({**req, "id": f"local-{time.time_ns()}"})
                except Stopped:
                    outcomes = player.outcomes or []
                    say("stopped")
                finally:
                    player.close()
                return [{"result": o.result, "reason": o.reason} for o in outcomes] or \
                    [{"result": "interrupted", "reason": "stopped before it aired"}]
            finally:
                control.release()
        holder = control.holder() or {}
        how = "now, interrupting the item on air" if req["interrupt"] else "after the item on air"
        say(f"{spec.display} is busy (broadcast play, pid {holder.get('pid', '?')}): asking it to air "
            f"{req['announcement']} {how}")
        req_id = control.submit(req)
        got = control.wait(req_id, timeout=wait_seconds, stop=stop.is_set)
        if got == "free":
            continue              # the player went away meanwhile: air it here
        if got == "timeout":
            return [{"result": "failed", "reason": f"the player on {spec.display} did not take the request "
                                                   f"within {wait_seconds / 60:.0f} minutes"}]
        return got.get("results", [])
