"""`broadcast play --list-outputs`: the sound devices ffmpeg sees and the configured outputs,
each with whether it can be used now (a tenth of a second of silence is sent to find out)."""

from __future__ import annotations

import os
import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.playout.control import OutputControl
from broadcast.playout.outputs import FFMPEG, SAMPLE_RATE, OutputSpec, ffmpeg_output_args, parse_output, settings

PROBE_SECONDS = 0.1
PROBE_TIMEOUT = 8.0


@dataclass(frozen=True)
class OutputStatus:
    name: str                 # as it is written in --output (password hidden)
    where: str                # "sound device", "areas.men.output", "playout.output"
    usable: bool
    note: str


def sound_devices(kind: str) -> list[tuple[str, str]]:
    """(device, description) that ffmpeg lists for `alsa` or `pulse`."""
    try:
        proc = subprocess.run([FFMPEG, "-hide_banner", "-sinks", kind], capture_output=True, text=True,
                              timeout=PROBE_TIMEOUT)
    except (OSError, subprocess.TimeoutExpired):
        return []
    out = []
    for line in proc.stdout.splitlines():
        m = re.match(r"^\s*\*?\s*(\S+)\s+\[(.*)\]", line)
        if m:
            out.append((m.group(1), m.group(2)))
    return out


def probe(ws: Workspace, spec: OutputSpec) -> tuple[bool, str]:
    """Whether the output can be opened now, and what was found."""
    holder = OutputControl(ws, spec).holder()
    if holder is not None:
        return True, f"in use by `broadcast play` (pid {holder.get('pid', '?')}): --now requests go to it"
    if spec.kind == "file":
        folder = Path(spec.target).parent
        ok = folder.is_dir() and os.access(folder, os.W_OK)
        return ok, "the folder can be written" if ok else f"cannot write into {folder}"
    cmd = [FFMPEG, "-hide_banner", "-nostats", "-loglevel", "error", "-f", "lavfi", "-i",
           f"anullsrc=r={SAMPLE_RATE}:cl=mono", "-t", str(PROBE_SECONDS), *ffmpeg_output_args(spec, label="probe")]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        return False, f"no answer within {PROBE_TIMEOUT:.0f} s"
    except OSError as exc:
        return False, f"ffmpeg cannot run: {exc}"
    if proc.returncode != 0:
        said = " / ".join(line.strip() for line in proc.stderr.splitlines() if line.strip())[-300:]
        return False, spec.redact(said) or f"ffmpeg exit {proc.returncode}"
    return True, "opened"


def list_outputs(ws: Workspace) -> list[OutputStatus]:
    out: list[OutputStatus] = []
    where = ws.root / "broadcast.toml"
    s = settings(ws)
    configured: list[tuple[str, str]] = []
    if s.default_output:
        configured.append(("playout.output", s.default_output))
    configured += [(f"areas.{a}.output", text) for a, text in s.area_outputs.items()]
    for field, text in configured:
        try:
            spec = parse_output(text, source=field, where=where)
        except BroadcastError as exc:
            out.append(OutputStatus(text, field, False, exc.reason))
            continue
        ok, note = probe(ws, spec)
        out.append(OutputStatus(spec.display, field, ok, note))
    for kind in ("alsa", "pulse"):
        for device, description in sound_devices(kind):
            spec = OutputSpec(kind, device)
            ok, note = probe(ws, spec)
            out.append(OutputStatus(spec.display, f"{kind} device: {description}", ok, note))
    return out
