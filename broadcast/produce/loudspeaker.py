"""The loudspeaker channel: per area, one file per slot, language and announcement, numbered in
play order, with the playlist and the run sheets (rundown.txt, rundown.html)."""

from __future__ import annotations

from broadcast.core.config import Area
from broadcast.mastering import PROFILES
from broadcast.produce import rundown
from broadcast.produce.checkmarks import CheckMarks
from broadcast.produce.models import Scheduled
from broadcast.produce.output import Output

SHEETS = ("playlist.m3u8", "rundown.txt", "rundown.html")


def package_loudspeaker(out: Output, area_id: str, area: Area, playing: list[Scheduled],
                        checked: CheckMarks) -> None:
    """Place the area's loudspeaker files and write its run sheets. `checked` (from check.json)
    marks a file on the run sheet while its bytes are the ones `check` did not pass."""
    ws, report = out.ws, out.report
    entries: list[rundown.RundownEntry] = []
    folder = out.folder / "loudspeaker" / area_id
    extension = PROFILES["loudspeaker"].extension
    order = 0
    for slot in ws.config.slots:
        in_slot = [s.announcement for s in playing if slot in s.slots and "loudspeaker" in s.announcement.channels]
        in_slot.sort(key=lambda ann: rundown.play_order_key(ann.priority, ann.id))
        for ann in in_slot:
            for r, res in out.ready(ann, area, "loudspeaker"):
                order += 1
                name = f"{order:02d}-{slot}-{ann.priority}-{ann.id}-{r.language}{extension}"
                m = out.place(r, res, "loudspeaker", folder / name, area=area_id, slot=slot, order=order)
                status = checked.status_for(out.entries[-1]["path"], m["sha256"])
                entries.append(rundown.RundownEntry(
                    order=order, slot=slot, slot_time=ws.config.slots[slot], priority=ann.priority,
                    announcement_id=ann.id, title=ann.title, language=r.language, filename=name,
                    duration=m["duration"], readings=ann.readings,
                    status=status))
    withheld = [rundown.WithheldLine(w.announcement_id, w.title, w.priority, slot, w.language, w.reason, w.fix)
                for w in report.withheld if area_id in w.areas
                for slot in (w.slots or (None,))]
    if not (entries or withheld or any("loudspeaker" in s.announcement.channels for s in playing)):
        return

    def write_sheets(d) -> None:
        rundown.write_playlist(d / "playlist.m3u8", entries)
        rundown.write_rundown(d, area_name=area.name, station=ws.config.station, day=out.day,
                              entries=entries, expired=[], missing=[], withheld=withheld,
                              anchor=out.anchor["code"] if out.anchor else None,
                              slot_names=ws.config.slot_names)

    out.write_generated(folder, write_sheets, SHEETS, kind="rundown", area=area_id)
