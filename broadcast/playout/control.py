"""One player per output, and how others talk to it: state/playout/<output key>/

    lock             flock held by the player airing on this output (names its pid)
    requests/*.json  announcements to air at once, left by `broadcast play --now`
    done/*.json      what became of each request, for the `--now` that waits on it
    heartbeat.json   the item on air and how far it is, rewritten every second

`--now` on a busy output leaves a request and waits; the player looks at requests/ several
times a second, even mid-item. An emergency stops the item on air (logged as interrupted),
airs at once, and the interrupted item then airs again from its start; any other request
airs after the current item. A request is claimed by renaming it, so if the player goes away
meanwhile, the waiting `--now` takes the output and airs the request itself, exactly once."""

from __future__ import annotations

import fcntl
import json
import os
import time
import uuid
from collections.abc import Callable
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.fsutil import atomic_write_text
from broadcast.playout.outputs import OutputSpec


class OutputControl:
    def __init__(self, ws: Workspace, spec: OutputSpec) -> None:
        self.spec = spec
        self.dir = ws.state_dir / "playout" / spec.key
        self.requests = self.dir / "requests"
        self.done_dir = self.dir / "done"
        self._fh = None

    # ---- the lock

    def acquire(self) -> bool:
        """Take the output; False when another player holds it."""
        self.dir.mkdir(parents=True, exist_ok=True)
        fh = open(self.dir / "lock", "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            return False
        fh.seek(0)
        fh.truncate()
        fh.write(json.dumps({"pid": os.getpid(), "output": self.spec.display}))
        fh.flush()
        self._fh = fh
        return True

    def release(self) -> None:
        if self._fh is not None:
            fcntl.flock(self._fh, fcntl.LOCK_UN)
            self._fh.close()
            self._fh = None

    def holder(self) -> dict | None:
        """{"pid", "output"} of the player holding the output, or None when it is free."""
        path = self.dir / "lock"
        if self._fh is not None:
            return {"pid": os.getpid(), "output": self.spec.display}
        if not path.exists():
            return None
        with open(path, "a+") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                fh.seek(0)
                try:
                    return json.loads(fh.read() or "{}") or {"pid": "?"}
                except ValueError:
                    return {"pid": "?"}
            fcntl.flock(fh, fcntl.LOCK_UN)
        return None

    # ---- requests

    def submit(self, request: dict) -> str:
        """Leave a request for the player; returns its id."""
        req_id = f"{time.time_ns()}-{uuid.uuid4().hex[:8]}"
        self.requests.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.requests / f"{req_id}.json", json.dumps({**request, "id": req_id}, ensure_ascii=False))
        return req_id

    def pending(self) -> list[Path]:
        if not self.requests.is_dir():
            return []
        return sorted(p for p in self.requests.glob("*.json") if not p.name.startswith("."))

    def peek(self, path: Path) -> dict | None:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def claim(self, path: Path) -> dict | None:
        """The request, now ours alone; None if someone else claimed it first."""
        taken = path.with_name(f".{path.stem}.taken-{os.getpid()}")
        try:
            os.rename(path, taken)
        except FileNotFoundError:
            return None
        try:
            return json.loads(taken.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        finally:
            taken.unlink(missing_ok=True)

    def withdraw(self, req_id: str) -> dict | None:
        return self.claim(self.requests / f"{req_id}.json")

    def finish(self, req_id: str, outcome: dict) -> None:
        self.done_dir.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.done_dir / f"{req_id}.json", json.dumps(outcome, ensure_ascii=False))

    def outcome(self, req_id: str) -> dict | None:
        path = self.done_dir / f"{req_id}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        path.unlink(missing_ok=True)
        return data

    def wait(self, req_id: str, *, timeout: float, stop: Callable[[], bool] = lambda: False) -> dict | str:
        """The outcome of a request; "free" when the player went away without taking it (the
        request is withdrawn: the caller airs it), "timeout" when it is still waiting."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not stop():
            got = self.outcome(req_id)
            if got is not None:
                return got
            if self.holder() is None:
                got = self.outcome(req_id)
                if got is not None:
                    return got
                if self.withdraw(req_id) is not None:
                    return "free"
            time.sleep(0.2)
        if self.withdraw(req_id) is not None:
            return "timeout"
        got = self.outcome(req_id)
        return got if got is not None else "timeout"

    # ---- heartbeat

    def beat(self, data: dict) -> None:
        atomic_write_text(self.dir / "heartbeat.json", json.dumps(data, ensure_ascii=False))

    def last_beat(self) -> dict | None:
        try:
            return json.loads((self.dir / "heartbeat.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
