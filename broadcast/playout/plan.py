"""What a day holds for the air: the loudspeaker files of output/<date>/manifest.json, per area
and slot in run-sheet order, and whether the manifest is the one `produce` wrote."""

from __future__ import annotations

import sqlite3
import time
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import sha256_file
from broadcast.core.models import PRIORITIES
from broadcast.produce.manifest import manifest_path, read_manifest

RECORD_WAIT_SECONDS = 10
RECORD_WAIT_TRIES = 4


@dataclass(frozen=True)
class Item:
    """One loudspeaker file to air, with what the manifest says about it."""

    day: date
    area: str
    slot: str
    order: int
    path: str                         # relative to output/<day>/
    sha256: str
    duration: float
    announcement: str
    language: str
    priority: str
    approved_text_sha256: str | None
    approval: dict                    # seq, id, sha256, by, at
    translation_approval: dict | None

    @property
    def key(self) -> tuple[str, str, str]:
        """What "the same item in a slot" means: never aired twice under one key."""
        return (self.slot, self.announcement, self.language)

    @property
    def label(self) -> str:
        return f"{self.announcement} [{self.language}]"


@dataclass(frozen=True)
class DayPlan:
    day: date
    folder: Path
    items: list[Item]
    untrusted: str | None             # why the manifest cannot be trusted; None when it can
    stamp: tuple                      # changes when the manifest is rewritten

    def for_area(self, area: str) -> list[Item]:
        return sorted((i for i in self.items if i.area == area), key=lambda i: i.order)

    def for_slot(self, area: str, slot: str) -> list[Item]:
        return [i for i in self.for_area(area) if i.slot == slot]

    def path_of(self, item: Item) -> Path:
        return self.folder / item.path


def _priority(entry: dict) -> str:
    """The manifest's priority, else the one in the file name (NN-slot-priority-id-lang.mp3)."""
    if entry.get("priority") in PRIORITIES:
        return entry["priority"]
    rest = Path(entry["path"]).name[len(f"{int(entry.get('order', 0)):02d}-{entry.get('slot', '')}-"):]
    return next((p for p in PRIORITIES if rest.startswith(p + "-")), "normal")


def day_folder(ws: Workspace, day: date) -> Path:
    return ws.output_dir / day.isoformat()


def manifest_stamp(ws: Workspace, day: date) -> tuple:
    try:
        st = manifest_path(day_folder(ws, day)).stat()
    except FileNotFoundError:
        return ()
    return (st.st_mtime_ns, st.st_size, st.st_ino)


def load_day(ws: Workspace, conn: sqlite3.Connection, day: date) -> DayPlan:
    """The day's plan. A missing or corrupt manifest raises ManifestError; an entry that is
    not a complete loudspeaker record raises BroadcastError naming it."""
    folder = day_folder(ws, day)
    stamp = manifest_stamp(ws, day)
    manifest = read_manifest(folder)
    items = []
    for e in manifest.get("files", []):
        if e.get("kind") != "audio" or e.get("profile") != "loudspeaker":
            continue
        try:
            items.append(Item(
                day=day, area=str(e["area"]), slot=str(e["slot"]), order=int(e["order"]), path=e["path"],
                sha256=str(e["sha256"]), duration=float(e["duration"]), announcement=str(e["announcement"]),
                language=str(e["language"]), priority=_priority(e),
                approved_text_sha256=e.get("approved_text_sha256"), approval=dict(e["approval"]),
                translation_approval=e.get("translation_approval")))
        except (KeyError, TypeError, ValueError) as exc:
            raise BroadcastError(f"manifest entry {e.get('path')!r} lacks {exc} (not what `produce` writes)",
                                 manifest_path(folder), hint="run `broadcast produce` for this date again") from None
    untrusted = manifest_untrusted(conn, day, folder)
    # `produce` writes the manifest, then its audit entry: a manifest a few seconds old may be
    # waiting for its entry.
    for _ in range(RECORD_WAIT_TRIES):
        if untrusted is None or not stamp or time.time() - stamp[0] / 1e9 > RECORD_WAIT_SECONDS:
            break
        time.sleep(0.5)
        untrusted = manifest_untrusted(conn, day, folder)
    return DayPlan(day, folder, items, untrusted, stamp)


def manifest_untrusted(conn: sqlite3.Connection, day: date, folder: Path) -> str | None:
    """None when manifest.json is byte for byte the one the last `produce` of the day recorded
    in the audit log; else why not. A manifest edited to match an edited file fails here."""
    row = conn.execute("SELECT sha256 FROM audit_log WHERE action = 'produce' AND subject = ? "
                       "ORDER BY seq DESC LIMIT 1", (day.isoformat(),)).fetchone()
    if row is None:
        return "manifest.json is not recorded in the audit log (no `broadcast produce` of this date)"
    try:
        actual = sha256_file(manifest_path(folder))
    except OSError as exc:
        return f"manifest.json cannot be read: {exc.strerror or exc}"
    if actual != row[0]:
        return "manifest.json changed outside `broadcast produce` (its sha256 is not the one in the audit log)"
    return None


def slot_moment(ws: Workspace, day: date, slot: str) -> datetime:
    return datetime.combine(day, ws.config.slots[slot], tzinfo=ws.config.tz)


def first_per_language(items: list[Item], announcement: str) -> list[Item]:
    """An announcement's files in an area, once per language (the same master sits under
    each slot's name), in run-sheet order."""
    seen: set[str] = set()
    out = []
    for i in items:
        if i.announcement == announcement and i.language not in seen:
            seen.add(i.language)
            out.append(i)
    return out
