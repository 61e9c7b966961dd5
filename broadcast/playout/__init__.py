"""Playout: airs a day's verified loudspeaker files, slot by slot, to the sound card (ALSA,
PulseAudio), an Icecast mount or a file, and keeps the as-run log of what went on air.

What other layers use:
  play_slot(ws, day, slot, area, output)   one slot, in run-sheet order (runs.py)
  play_now(ws, announcement, ...)           an announcement at once; interrupts a busy output
  follow(ws, areas, ...)                    all day, every slot at its time (follow.py)
  build_report(ws, conn, days, area)        the as-run report, CSV or printable HTML (report.py)

Before each item the file's sha256 must match the manifest (and the manifest the one `produce`
recorded in the audit log), and its announcement's approval must still be current; what fails
is refused, logged with the reason, and the rest go on."""
