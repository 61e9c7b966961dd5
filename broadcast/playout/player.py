"""The player of one output: airs items through the sink, paced to the clock, logging each
attempt; writes silence between items (and, on a sound card or a stream, whenever it waits, so
an Icecast listener hears one continuous stream); and answers requests from `--now`.

Pacing: PCM goes out in 0.1 s blocks, kept LEAD_SECONDS ahead of the clock, so the player
always knows how far into an item the listeners are, a Python hiccup never starves the card or
the stream, and a request or a SIGTERM is acted on within a block. A file output without
--realtime is written as fast as ffmpeg takes it (the log still records the real times)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from broadcast.core import db
from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.display import format_duration
from broadcast.playout import asrun, gate
from broadcast.playout.audio import decode_pcm, seconds_of, silence
from broadcast.playout.clock import Clock
from broadcast.playout.control import OutputControl
from broadcast.playout.outputs import BYTES_PER_SAMPLE, SAMPLE_RATE, OutputError, OutputSpec, Sink
from broadcast.playout.plan import DayPlan, Item, first_per_language, load_day

BLOCK = SAMPLE_RATE // 10 * BYTES_PER_SAMPLE     # 0.1 s of PCM
LEAD_SECONDS = 0.5
POLL_SECONDS = 0.25
BEAT_SECONDS = 1.0
WATCH_SECONDS = 5.0
# Behind the clock by more than this (the card or the network stalled), the player starts
# the timeline again instead of bursting to catch up.
RESYNC_SECONDS = 3.0
OPEN_CHECK_SECONDS = 0.4
REOPEN_SECONDS = 10.0


class Stopped(Exception):
    """SIGTERM (or the end of the run): stop at once."""


class Preempted(Exception):
    """An emergency request arrived while a normal item was on air."""


@dataclass(frozen=True)
class Outcome:
    item: Item | None
    result: str
    reason: str | None = None
    seq: int | None = None
    aired_seconds: float | None = None


class Player:
    def __init__(self, ws: Workspace, spec: OutputSpec, control: OutputControl, *, clock: Clock,
                 realtime: bool, gap_seconds: float, stop: threading.Event,
                 say: Callable[[str], None] = print) -> None:
        self.ws = ws
        self.spec = spec
        self.control = control
        self.clock = clock
        self.realtime = realtime or spec.realtime_only
        self.gap_seconds = gap_seconds
        self.stop = stop
        self.say = say
        self.watchers: list[Callable[[Player], None]] = []
        self.outcomes: list[Outcome] = []
        self.sink: Sink | None = None
        self.conn = None
        self._t0 = 0.0
        self._written = 0           # bytes of PCM since the sink started
        self._next_poll = self._next_beat = self._next_watch = self._next_reopen = 0.0
        self._on_air: dict | None = None

    # ---------------------------------------------------------------- open / close

    def open(self) -> None:
        """Open the log (closing what a killed player left on air here) and start the sink."""
        self.conn = db.connect(self.ws.db_path)
        for rec in asrun.close_orphans(self.conn, self.spec.key, self.control.last_beat(), self.clock.stamp()):
            self.say(f"{self._hms()} interrupted {rec['announcement']} [{rec['language']}] "
                     f"(left on air by a player that was killed; started {rec['started_at']})")
        self._start_sink()

    def _start_sink(self) -> None:
        self.sink = Sink(self.spec, label=self.ws.config.station)
        self.sink.start()
        self._t0 = time.monotonic()
        self._written = 0
        if self.realtime:
            try:
                self._raw_write(silence(LEAD_SECONDS))
                time.sleep(OPEN_CHECK_SECONDS)
                if not self.sink.alive:
                    raise OutputError(self.sink.why())
            except OutputError as exc:
                raise OutputError(exc.reason, hint=_output_hint(self.spec)) from None

    def ensure_sink(self) -> None:
        if self.sink is None or not self.sink.alive:
            if self.sink is not None:
                self.sink.kill()
            self._start_sink()

    def close(self) -> None:
        """Close the sink; its failure is an error unless an item's failure already said it."""
        if self.sink is None:
            return
        sink, self.sink = self.sink, None
        try:
            sink.close()
        except OutputError as exc:
            if any(o.result == "failed" for o in self.outcomes):
                self.say(f"{self._hms()} {exc.reason}")
            else:
                raise OutputError(exc.reason, hint=_output_hint(self.spec)) from None

    def abort(self) -> None:
        if self.sink is not None:
            self.sink.kill()
            self.sink = None

    # ---------------------------------------------------------------- airing

    def air(self, plan: DayPlan, item: Item, *, started_by: str, planned_at: datetime | None,
            out_of_slot: bool = False, detail: dict | None = None) -> Outcome:
        """Air one item (after its checks). An emergency request mid-item interrupts it, airs,
        and the item then airs again from its start. `out_of_slot`: aired at once, not as part
        of its slot (logged without a slot)."""
        while True:
            try:
                outcome = self._air_once(plan, item, started_by=started_by, planned_at=planned_at,
                                         slot=None if out_of_slot else item.slot, detail=detail,
                                         preemptible=started_by != "emergency")
            except Preempted:
                self.serve_requests()
                continue
            if outcome.result == "aired":
                self.gap()
            return outcome

    def _record(self, item: Item, *, started_by: str, planned_at: datetime | None, slot: str | None,
                detail: dict | None) -> dict:
        ap = item.approval or {}
        return {"day": item.day.isoformat(), "area": item.area, "slot": slot,
                "planned_at": self.clock.stamp(planned_at) if planned_at else None,
                "file": item.path, "sha256": item.sha256, "file_seconds": item.duration,
                "announcement": item.announcement, "language": item.language, "priority": item.priority,
                "approved_text_sha256": item.approved_text_sha256, "approval_sha256": ap.get("sha256"),
                "approved_by": ap.get("by"), "approved_at": ap.get("at"), "output": self.spec.display,
                "output_key": self.spec.key, "started_by": started_by, "operator": asrun.operator_name(),
                "detail": dict(detail or {})}

    def _air_once(self, plan: DayPlan, item: Item, *, started_by: str, planned_at, slot, detail,
                  preemptible: bool) -> Outcome:
        rec = self._record(item, started_by=started_by, planned_at=planned_at, slot=slot, detail=detail)
        data, why = gate.read_verified(plan, item)
        if why is None:
            why = gate.refusal(self.ws, self.conn, plan, item, self.clock.now())
        if why is not None:
            return self._log(item, {**rec, "attempt": asrun.new_attempt(), "result": "refused", "reason": why})
        try:
            pcm = decode_pcm(data, str(plan.path_of(item)))
            self.ensure_sink()
        except BroadcastError as exc:
            return self._log(item, {**rec, "attempt": asrun.new_attempt(), "result": "failed", "reason": exc.reason})
        rec.update(attempt=asrun.new_attempt(), started_at=self.clock.stamp(self._heard_at(self._written)))
        asrun.append(self.conn, {**rec, "result": "started"})
        self._on_air = {"attempt": rec["attempt"], "start": self._written, "rec": rec, "item": item}
        self.say(f"{self._hms()} on air  {item.label} {format_duration(item.duration)}  ({item.path})")
        try:
            self._write(pcm, preemptible=preemptible)
        except Preempted:
            self._close_on_air("interrupted", "interrupted by an emergency announcement")
            raise
        except Stopped:
            self._close_on_air("interrupted", "the player was stopped (SIGTERM) mid-item")
            raise
        except OutputError as exc:
            return self._close_on_air("failed", f"{exc.reason} — {_output_hint(self.spec)}")
        return self._close_on_air("aired", None)

    def _close_on_air(self, result: str, reason: str | None) -> Outcome:
        on_air, self._on_air = self._on_air, None
        assert on_air is not None
        aired = seconds_of(self._written - on_air["start"])
        rec = {**on_air["rec"], "result": result, "reason": reason, "aired_seconds": aired,
               "ended_at": self.clock.stamp(self._heard_at(self._written))}
        return self._log(on_air["item"], rec, aired=aired)

    def _log(self, item: Item | None, rec: dict, *, aired: float | None = None) -> Outcome:
        seq = asrun.append(self.conn, rec)
        outcome = Outcome(item, rec["result"], rec.get("reason"), seq, aired)
        self.outcomes.append(outcome)
        label = f"{rec['announcement']} [{rec['language']}]"
        if rec["result"] == "aired":
            self.say(f"{self._hms()} aired    {label} {format_duration(aired or 0)} of "
                     f"{format_duration(rec['file_seconds'] or 0)}")
        else:
            self.say(f"{self._hms()} {rec['result']:<8} {label}: {rec.get('reason')}")
        return outcome

    # ---------------------------------------------------------------- writing and waiting

    def _heard_at(self, written: int) -> datetime:
        """When the sample at byte `written` reaches the listeners (now, for a fast file)."""
        now = self.clock.now()
        if not self.realtime:
            return now
        return now + timedelta(seconds=seconds_of(written) - (time.monotonic() - self._t0))

    def _raw_write(self, pcm: bytes) -> None:
        assert self.sink is not None
        self.sink.write(pcm)
        self._written += len(pcm)

    def _write(self, pcm: bytes, *, preemptible: bool) -> None:
        for start in range(0, len(pcm), BLOCK):
            self._pace()
            self._raw_write(pcm[start:start + BLOCK])
            self._poll(preemptible=preemptible)

    def _pace(self) -> None:
        if not self.realtime:
            return
        ahead = seconds_of(self._written) - (time.monotonic() - self._t0)
        if ahead < -RESYNC_SECONDS:
            self._t0 = time.monotonic() - seconds_of(self._written)
        elif ahead > LEAD_SECONDS:
            time.sleep(ahead - LEAD_SECONDS)

    def _poll(self, *, preemptible: bool) -> None:
        if self.stop.is_set():
            raise Stopped()
        now = time.monotonic()
        if self._on_air is not None and now >= self._next_beat:
            self._next_beat = now + BEAT_SECONDS
            self.control.beat({"attempt": self._on_air["attempt"], "at": self.clock.stamp(),
                               "position": round(seconds_of(self._written - self._on_air["start"]), 3)})
        if now >= self._next_watch:
            self._next_watch = now + WATCH_SECONDS
            for watch in self.watchers:
                watch(self)
        if now >= self._next_poll:
            self._next_poll = now + POLL_SECONDS
            if preemptible and any((self.control.peek(p) or {}).get("interrupt") for p in self.control.pending()):
                raise Preempted()

    def gap(self) -> None:
        """The silence between items, exactly gap_seconds of it; requests waiting for the end of
        an item are served after it."""
        try:
            self._write(silence(self.gap_seconds), preemptible=False)
        except OutputError as exc:
            self.say(f"{self._hms()} output failed: {exc.reason}; opening it again")
            self.abort()
        if self.control.pending():
            self.serve_requests()

    def wait(self, seconds: float) -> None:
        """Wait, serving requests; a sound card or stream gets silence meanwhile (a file
        written fast does not: it holds the items and the gaps between them)."""
        write = self.realtime
        end = time.monotonic() + seconds
        while True:
            self._poll(preemptible=False)
            if self.control.pending():
                self.serve_requests()
            if time.monotonic() >= end:
                return
            if write and self._sink_ready():
                self._pace()
                try:
                    self._raw_write(silence(0.1))
                except OutputError as exc:
                    self.say(f"{self._hms()} output failed: {exc.reason}; opening it again")
                    self.abort()
            else:
                time.sleep(min(POLL_SECONDS, max(0.0, end - time.monotonic())))

    def _sink_ready(self) -> bool:
        """The sink is up, or was opened again (tried every REOPEN_SECONDS while it is down)."""
        if self.sink is not None and self.sink.alive:
            return True
        now = time.monotonic()
        if now < self._next_reopen:
            return False
        self._next_reopen = now + REOPEN_SECONDS
        try:
            self.ensure_sink()
            return True
        except BroadcastError as exc:
            self.say(f"{self._hms()} output {self.spec.display} cannot be opened: {exc.reason}")
            self.sink = None
            return False

    # ---------------------------------------------------------------- requests (--now)

    def serve_requests(self) -> None:
        for path in self.control.pending():
            req = self.control.claim(path)
            if req is None:
                continue
            results: list[dict] = []
            try:
                for outcome in self.serve(req):
                    results.append({"result": outcome.result, "reason": outcome.reason, "seq": outcome.seq})
            finally:
                self.control.finish(req["id"], {"by_pid": os.getpid(), "results": results or [
                    {"result": "interrupted", "reason": "the player was stopped before it aired the request"}]})

    def serve(self, req: dict) -> list[Outcome]:
        """Air a request's announcement in its area: each language's file once."""
        day = date.fromisoformat(req["day"])
        planned = datetime.fromisoformat(req["requested_at"])
        detail = {"request": req["id"], "requested_by": req.get("operator")}
        try:
            plan = load_day(self.ws, self.conn, day)
        except BroadcastError as exc:
            return [self._log_missing(req, f"{exc.reason}", planned, detail)]
        items = first_per_language(plan.for_area(req["area"]), req["announcement"])
        if not items:
            return [self._log_missing(req, f"no loudspeaker file for {req['announcement']} in {req['area']} on "
                                      f"{day.isoformat()}: produce it first", planned, detail)]
        out = []
        for item in items:
            out.append(self.air(plan, item, started_by=req["started_by"], planned_at=planned, out_of_slot=True,
                                detail=detail))
        return out

    def _log_missing(self, req: dict, reason: str, planned: datetime, detail: dict) -> Outcome:
        rec = {"attempt": asrun.new_attempt(), "result": "refused", "reason": reason, "day": req["day"],
               "area": req["area"], "slot": None, "planned_at": self.clock.stamp(planned),
               "announcement": req["announcement"], "language": None, "output": self.spec.display,
               "output_key": self.spec.key, "started_by": req["started_by"], "operator": asrun.operator_name(),
               "detail": detail}
        seq = asrun.append(self.conn, rec)
        self.say(f"{self._hms()} refused  {req['announcement']}: {reason}")
        outcome = Outcome(None, "refused", reason, seq)
        self.outcomes.append(outcome)
        return outcome

    def _hms(self) -> str:
        return self.clock.now().strftime("%H:%M:%S")


def _output_hint(spec: OutputSpec) -> str:
    return {"alsa": "check the device with `broadcast play --list-outputs` (is another program using it?)",
            "pulse": "is PulseAudio / PipeWire running for this user? `broadcast play --list-outputs`",
            "icecast": "is the Icecast server up, and are the source password and mount right?",
            "file": "can the folder be written?"}[spec.kind]
