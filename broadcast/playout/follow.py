"""`broadcast play --follow`: all day, every slot at its time in the commune's time zone.

One player per output (areas that share an output share its player, one slot after another),
each in its own thread. Each step a player looks at the clock, the day's manifest (read again
whenever `produce` rewrote it) and the as-run log, and airs the next item due:

- a slot is due from its time until `late_minutes` after it (a PC started late still airs
  it); once begun, it airs to its end;
- an item already aired in that slot never airs again (the log survives restarts); one
  interrupted (SIGTERM, a kill, an emergency) or failed airs again from its start, up to
  MAX_TRIES; one refused airs only once its checks pass (they are tried every RECHECK_SECONDS,
  silently while the reason stays the same);
- an emergency whose approved version never aired in the area is aired at once, interrupting
  what is on air, unless one of its slots is open or opens within SLOT_SOON: that slot airs it,
  emergencies first (one added to a slot already on air waits for the item on air to end);
  in a slot it already aired in since the slot began, it is not aired again."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta

from broadcast.core import db
from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.playout import asrun, gate, runsheet
from broadcast.playout.clock import Clock
from broadcast.playout.control import OutputControl
from broadcast.playout.outputs import OutputSpec, output_for_area, settings
from broadcast.playout.plan import DayPlan, Item, load_day, manifest_stamp, slot_moment
from broadcast.playout.player import Player, Stopped
from broadcast.playout.runs import busy_error, check_names, stop_on_signals

MAX_TRIES = 3
RECHECK_SECONDS = 30.0
IDLE_SECONDS = 1.0
RETRY_OPEN_SECONDS = 10.0
# A new emergency whose slot opens sooner than this airs in the slot, not once more just before it.
SLOT_SOON = timedelta(minutes=5)


class Schedule:
    """The scheduler of one output and the areas it serves."""

    def __init__(self, ws: Workspace, spec: OutputSpec, areas: list[str], *, clock: Clock, realtime: bool,
                 stop: threading.Event, say: Callable[[str], None]) -> None:
        self.ws = ws
        self.spec = spec
        self.areas = areas
        self.clock = clock
        self.realtime = realtime
        self.stop = stop
        self.say = say
        self.late = timedelta(minutes=settings(ws).late_minutes)
        self.control = OutputControl(ws, spec)
        self.conn = None
        self._plans: dict[date, DayPlan | None] = {}
        self._stamps: dict[date, tuple] = {}
        self._said_missing: set[date] = set()
        self._requested: set[tuple] = set()
        self._refusals: dict[tuple, tuple[float, str]] = {}
        self._current: tuple | None = None    # (day, area, slot) begun and not yet finished

    # ---- the loop

    def run(self) -> None:
        if not self.control.acquire():
            raise busy_error(self.control)
        try:
            self.conn = db.connect(self.ws.db_path)
            player = self._open_player()
            if player is None:
                return
            try:
                while not self.stop.is_set():
                    if not self.step(player):
                        player.wait(IDLE_SECONDS)
            except Stopped:
                pass
            finally:
                try:
                    player.close()
                except BroadcastError as exc:
                    self.say(f"closing {self.spec.display}: {exc.reason}")
                self.say(f"stopped {self.spec.display}")
        finally:
            self.control.release()

    def _open_player(self) -> Player | None:
        while not self.stop.is_set():
            player = Player(self.ws, self.spec, self.control, clock=self.clock, realtime=self.realtime,
                            gap_seconds=settings(self.ws).gap_seconds, stop=self.stop, say=self.say)
            player.watchers.append(self.watch_emergencies)
            try:
                player.open()
                self.say(f"following {', '.join(self.areas)} on {self.spec.display}")
                return player
            except BroadcastError as exc:
                player.abort()
                self.say(f"cannot open {self.spec.display}: {exc.reason}; trying again in "
                         f"{RETRY_OPEN_SECONDS:.0f} s")
                self.stop.wait(RETRY_OPEN_SECONDS)
        return None

    def step(self, player: Player) -> bool:
        """Air the next thing due; False when nothing is."""
        self.watch_emergencies(player)
        if self.control.pending():
            player.serve_requests()
            return True
        now = self.clock.now()
        for day in (now.date() - timedelta(days=1), now.date()):
            plan = self.plan(day)
            if plan is None:
                continue
            for area in self.areas:
                for slot in self._slots_by_time():
                    moment = slot_moment(self.ws, day, slot)
                    begun = self._current == (day, area, slot)
                    if not begun and not moment <= now < moment + self.late:
                        continue
                    todo = self._todo(plan, area, slot, moment)
                    if not todo:
                        if begun:
                            self._current = None
                        continue
                    self._current = (day, area, slot)
                    try:
                        player.air(plan, todo[0], started_by="schedule", planned_at=moment)
                    finally:
                        runsheet.refresh(self.ws, self.conn, day, area, self.say)
                    return True
        return False

    def _slots_by_time(self) -> list[str]:
        return sorted(self.ws.config.slots, key=lambda s: self.ws.config.slots[s])

    # ---- what is due

    def plan(self, day: date) -> DayPlan | None:
        stamp = manifest_stamp(self.ws, day)
        if day in self._plans and self._stamps.get(day) == stamp:
            return self._plans[day]
        self._stamps[day] = stamp
        try:
            plan = load_day(self.ws, self.conn, day)
            if day in self._plans:
                self.say(f"{self.clock.now():%H:%M:%S} {day.isoformat()} was produced again: "
                         f"{len(plan.items)} loudspeaker files")
        except BroadcastError as exc:
            plan = None
            if day == self.clock.now().date() and day not in self._said_missing:
                self._said_missing.add(day)
                self.say(f"{day.isoformat()}: {exc.reason}")
        self._plans[day] = plan
        return plan

    def _todo(self, plan: DayPlan, area: str, slot: str, moment: datetime) -> list[Item]:
        done = asrun.aired_in_day(self.conn, plan.day.isoformat(), area)
        out = []
        for item in plan.for_slot(area, slot):
            tries = [a for a in done if (a["slot"], a["announcement"], a["language"]) == item.key]
            if any(a["result"] == "aired" for a in tries):
                continue
            if item.priority == "emergency" and any(
                    a["result"] == "aired" and a["slot"] is None and a["announcement"] == item.announcement
                    and a["language"] == item.language and a["started_at"] and
                    datetime.fromisoformat(a["started_at"]) >= moment for a in done):
                continue          # aired at once since the slot began
            if sum(a["result"] in ("interrupted", "failed") for a in tries) >= MAX_TRIES:
                continue
            refused = [a for a in tries if a["result"] == "refused"]
            if refused and not self._passes_now(plan, item, refused[-1]["reason"]):
                continue
            out.append(item)
        return out

    def _passes_now(self, plan: DayPlan, item: Item, last_reason: str) -> bool:
        """Whether a refused item's checks pass now; tried every RECHECK_SECONDS."""
        key = (plan.day, item.area, *item.key)
        checked_at, _reason = self._refusals.get(key, (0.0, last_reason))
        if time.monotonic() - checked_at < RECHECK_SECONDS:
            return False
        self._refusals[key] = (time.monotonic(), last_reason)
        _data, why = gate.read_verified(plan, item)
        why = why or gate.refusal(self.ws, self.conn, plan, item, self.clock.now())
        return why is None or why != last_reason

    # ---- emergencies at once

    def watch_emergencies(self, player: Player) -> None:
        """Ask this output's player to air at once each emergency whose approved version has
        never aired in the area and whose checks pass."""
        now = self.clock.now()
        today = now.date()
        plan = self.plan(today)
        if plan is None:
            return
        for area in self.areas:
            for item in plan.for_area(area):
                if item.priority != "emergency":
                    continue
                key = (area, item.announcement, item.approval.get("sha256"))
                if key in self._requested:
                    continue
                if asrun.ever_aired(self.conn, area, item.announcement, item.language, item.approval.get("sha256")):
                    continue
                if any(now - self.late < slot_moment(self.ws, today, i.slot) <= now + SLOT_SOON
                       for i in plan.for_area(area) if i.announcement == item.announcement):
                    continue      # one of its slots is open, or opens in a moment: that slot airs it first
                _data, why = gate.read_verified(plan, item)
                if why or gate.refusal(self.ws, self.conn, plan, item, self.clock.now()):
                    continue      # refused in its slot, with the reason
                self._requested.add(key)
                self.say(f"{self.clock.now():%H:%M:%S} new emergency {item.announcement} for {area}: airing it now")
                self.control.submit({"announcement": item.announcement, "area": area, "day": today.isoformat(),
                                     "started_by": "emergency", "interrupt": True, "operator": "schedule",
                                     "requested_at": self.clock.stamp()})


def follow(ws: Workspace, *, areas: list[str] | None = None, output: str | None = None, realtime: bool = False,
           say: Callable[[str], None] = print, clock: Clock | None = None,
           stop: threading.Event | None = None) -> None:
    """Run until SIGTERM / SIGINT (or `stop`): one Schedule per output, each in a thread."""
    clock = clock or Clock.from_env(ws.config.tz)
    stop = stop or threading.Event()
    chosen = list(areas or ws.config.areas)
    for a in chosen:
        check_names(ws, area=a)
    groups: dict[str, tuple[OutputSpec, list[str]]] = {}
    for a in chosen:
        spec = output_for_area(ws, a, output)
        groups.setdefault(spec.key, (spec, []))[1].append(a)
    schedules = [Schedule(ws, spec, group, clock=clock, realtime=realtime, stop=stop, say=say)
                 for spec, group in groups.values()]
    for s in schedules:           # refuse at once when another player holds an output
        if s.control.holder() is not None:
            raise busy_error(s.control)
    errors: list[BaseException] = []

    def run(schedule: Schedule) -> None:
        try:
            schedule.run()
        except BaseException as exc:  # reported by the main thread, which stops the others
            errors.append(exc)
            stop.set()

    with stop_on_signals(stop):
        threads = [threading.Thread(target=run, args=(s,), name=f"play {s.spec.display}") for s in schedules]
        for t in threads:
            t.start()
        while any(t.is_alive() for t in threads):
            for t in threads:
                t.join(0.2)
    if errors:
        raise errors[0]
