"""Where the audio goes: one `--output` grammar, the playout settings in broadcast.toml, and the
sink — one long-lived ffmpeg process per output, reading PCM on its standard input.

    alsa[:DEVICE]                                 the PC's sound card (default: "default")
    pulse[:SINK]                                  a PulseAudio / PipeWire sink (default sink)
    icecast://source:PASSWORD@HOST:PORT/MOUNT     an Icecast mount, for IP receivers
    file:PATH.wav                                 a file (.wav, .mp3, .ogg, .flac by its extension)

Why ffmpeg: Debian's build has the ALSA, PulseAudio and Icecast outputs in one program the
project already needs, and a process that stays open for the whole run makes one continuous
Icecast stream (the player writes silence between items) instead of a reconnect per file. The
player decodes each verified file itself and writes PCM, so what is aired is exactly the bytes
that were checked, and it paces the writes to the clock, so it knows where in an item it is.

In broadcast.toml:

    [playout]
    output = "alsa:default"           # every area's output unless the area names its own
    gap_seconds = 2                   # silence between items
    late_minutes = 60                 # --follow still starts a slot this long after its time

    [areas.men]
    output = "icecast://source:${ICECAST_SOURCE_PASSWORD}@127.0.0.1:8000/men.mp3"

`${NAME}` is taken from the environment, so a password need not sit in the file."""

from __future__ import annotations

import collections
import hashlib
import os
import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import temp_path_for
from broadcast.mastering import PROFILES

FFMPEG = shutil.which("ffmpeg") or "ffmpeg"
# The loudspeaker masters' rate: the sink takes it as is, nothing is resampled on the way out.
SAMPLE_RATE = PROFILES["loudspeaker"].sample_rate
BYTES_PER_SAMPLE = 2                       # s16le mono
ICECAST_BITRATE_KBPS = PROFILES["loudspeaker"].bitrate_kbps
FILE_FORMATS = {".wav": ("wav", ["-c:a", "pcm_s16le"]), ".mp3": ("mp3", ["-c:a", "libmp3lame", "-b:a", "128k"]),
                ".ogg": ("ogg", ["-c:a", "libvorbis", "-q:a", "4"]), ".flac": ("flac", ["-c:a", "flac"])}
DEFAULT_GAP_SECONDS = 2.0
DEFAULT_LATE_MINUTES = 60
GRAMMAR = "alsa[:DEVICE], pulse[:SINK], icecast://source:PASSWORD@HOST:PORT/MOUNT or file:PATH.wav"


class OutputError(BroadcastError):
    """An output that cannot be parsed, opened or kept open."""


@dataclass(frozen=True)
class OutputSpec:
    kind: str            # alsa | pulse | icecast | file
    target: str          # the device, the sink, the icecast URL or the file path
    source: str = ""     # where it was given (for messages): "--output", "areas.men.output", …

    @property
    def realtime_only(self) -> bool:
        """Sound cards and streams play at the clock's pace; a file can be written at once."""
        return self.kind != "file"

    @property
    def display(self) -> str:
        """As people see it (logs, reports, messages): never the Icecast password."""
        if self.kind == "icecast":
            u = urlsplit(self.target)
            user = f"{u.username}:***@" if u.username else ""
            return f"icecast://{user}{u.hostname}:{u.port}{u.path}"
        return f"{self.kind}:{self.target}"

    def redact(self, text: str) -> str:
        """`text` (ffmpeg's words, say) without the Icecast password."""
        if self.kind == "icecast":
            u = urlsplit(self.target)
            for secret in {u.password, unquote(u.password or "")} - {None, ""}:
                text = text.replace(secret, "***")
        return text

    @property
    def key(self) -> str:
        """A name for the output's lock and control folder (state/playout/<key>/)."""
        if self.kind == "icecast":
            u = urlsplit(self.target)
            text = f"icecast-{u.hostname}-{u.port}-{u.path.strip('/')}"
        elif self.kind == "file":
            text = "file-" + hashlib.sha256(str(Path(self.target).resolve()).encode()).hexdigest()[:12]
        else:
            text = f"{self.kind}-{self.target}"
        return re.sub(r"[^a-z0-9.]+", "-", text.lower()).strip("-")


def parse_output(text: str, *, source: str = "--output", where: Path | str | None = None) -> OutputSpec:
    """An OutputSpec from the grammar above, or OutputError naming what is wrong."""
    value = _expand_env(str(text).strip(), source, where)

    def bad(message: str) -> OutputError:
        return OutputError(f"output {text!r}: {message}", where, field=source if where else None,
                           hint=f"write {GRAMMAR}")

    kind, _, rest = value.partition(":")
    kind = kind.lower()
    if kind in ("alsa", "pulse"):
        target = rest or "default"
        if not re.fullmatch(r"[\w.,:=@/-]+", target):
            raise bad(f"{target!r} is not a device name")
        return OutputSpec(kind, target, source)
    if kind == "icecast":
        u = urlsplit(value)
        if not u.hostname or not u.path.strip("/"):
            raise bad("needs a host and a mount: icecast://source:PASSWORD@HOST:PORT/MOUNT")
        try:
            port = u.port
        except ValueError:
            raise bad("the port is not a number") from None
        if port is None:
            raise bad("needs a port (Icecast's default is 8000)")
        if not u.password:
            raise bad("needs the source password: icecast://source:PASSWORD@HOST:PORT/MOUNT")
        return OutputSpec("icecast", value, source)
    if kind == "file":
        if not rest:
            raise bad("needs a path: file:PATH.wav")
        path = Path(rest).expanduser()
        if path.suffix.lower() not in FILE_FORMATS:
            raise bad(f"unknown file type {path.suffix or '(none)'}; use one of {', '.join(FILE_FORMATS)}")
        return OutputSpec("file", str(path.resolve()), source)
    raise bad(f"unknown output kind {kind!r}")


def _expand_env(value: str, source: str, where) -> str:
    def swap(m: re.Match) -> str:
        name = m.group(1)
        if name not in os.environ:
            raise OutputError(f"${{{name}}} is not set", where, field=source if where else None,
                              hint=f"export {name}=… before running broadcast play, or write the value")
        return os.environ[name]

    return re.sub(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}", swap, value)


# ---------------------------------------------------------------- settings


@dataclass(frozen=True)
class PlayoutSettings:
    default_output: str | None
    area_outputs: dict[str, str]
    gap_seconds: float
    late_minutes: float


def settings(ws: Workspace) -> PlayoutSettings:
    cfg = ws.config.section("playout")
    where = ws.root / "broadcast.toml"
    areas = {}
    raw_areas = ws.config.raw.get("areas", {})
    for area_id in ws.config.areas:
        spec = raw_areas.get(area_id, {})
        if isinstance(spec, dict) and spec.get("output"):
            areas[area_id] = str(spec["output"])

    def number(name: str, default: float, low: float, high: float) -> float:
        value = cfg.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not low <= value <= high:
            raise OutputError(f"{value!r} is not a number from {low:g} to {high:g}", where,
                              field=f"playout.{name}", hint=f"e.g. {name} = {default:g}")
        return float(value)

    return PlayoutSettings(default_output=str(cfg["output"]) if cfg.get("output") else None, area_outputs=areas,
                           gap_seconds=number("gap_seconds", DEFAULT_GAP_SECONDS, 0, 60),
                           late_minutes=number("late_minutes", DEFAULT_LATE_MINUTES, 0, 24 * 60))


def output_for_area(ws: Workspace, area_id: str, given: str | None = None) -> OutputSpec:
    """--output when given, else the area's `output`, else [playout] output."""
    if given:
        return parse_output(given)
    s = settings(ws)
    where = ws.root / "broadcast.toml"
    if area_id in s.area_outputs:
        return parse_output(s.area_outputs[area_id], source=f"areas.{area_id}.output", where=where)
    if s.default_output:
        return parse_output(s.default_output, source="playout.output", where=where)
    raise OutputError(f"no output for area {area_id!r}", where,
                      hint=f'pass --output ({GRAMMAR}), or set output = "…" under [areas.{area_id}] or [playout]')


# ---------------------------------------------------------------- the sink


def ffmpeg_output_args(spec: OutputSpec, dest: str | None = None, *, label: str = "") -> list[str]:
    if spec.kind == "alsa":
        return ["-f", "alsa", spec.target]
    if spec.kind == "pulse":
        args = ["-f", "pulse"]
        if spec.target != "default":
            args += ["-device", spec.target]
        return [*args, label or "broadcast"]
    if spec.kind == "icecast":
        return ["-c:a", "libmp3lame", "-b:a", f"{ICECAST_BITRATE_KBPS}k", "-content_type", "audio/mpeg",
                "-ice_name", label or "broadcast", "-f", "mp3", spec.target]
    fmt, codec = FILE_FORMATS[Path(spec.target).suffix.lower()]
    return [*codec, "-f", fmt, "-y", dest or spec.target]


class Sink:
    """One ffmpeg process for the whole run. `write` blocks when the card or the network is
    behind; a dead ffmpeg raises OutputError with the end of what it said."""

    def __init__(self, spec: OutputSpec, *, label: str = "") -> None:
        self.spec = spec
        self.label = label
        self.proc: subprocess.Popen | None = None
        self._stderr: collections.deque[str] = collections.deque(maxlen=20)
        self._tmp: Path | None = None
        self._drainer: threading.Thread | None = None

    def start(self) -> None:
        dest = None
        if self.spec.kind == "file":
            Path(self.spec.target).parent.mkdir(parents=True, exist_ok=True)
            self._tmp = temp_path_for(self.spec.target)
            dest = str(self._tmp)
        cmd = [FFMPEG, "-hide_banner", "-nostats", "-loglevel", "error", "-f", "s16le", "-ar", str(SAMPLE_RATE),
               "-ac", "1", "-i", "pipe:0", *ffmpeg_output_args(self.spec, dest, label=self.label)]
        try:
            self.proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                                         stderr=subprocess.PIPE, start_new_session=True)
        except FileNotFoundError:
            raise OutputError("ffmpeg is not installed", hint="install it: apt-get install ffmpeg") from None
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()

    def _drain(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None
        for line in iter(self.proc.stderr.readline, b""):
            text = line.decode("utf-8", "replace").strip()
            if text:
                self._stderr.append(text)

    @property
    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def why(self) -> str:
        if self.proc is not None and self.proc.poll() is not None and self._drainer is not None:
            self._drainer.join(2.0)       # ffmpeg's last words, before they are quoted
        said = " / ".join(self._stderr) or "no message"
        code = self.proc.poll() if self.proc else None
        return self.spec.redact(f"ffmpeg for {self.spec.display} stopped (exit {code}): {said}")

    def write(self, pcm: bytes) -> None:
        if not self.alive:
            raise OutputError(self.why())
        try:
            assert self.proc is not None and self.proc.stdin is not None
            self.proc.stdin.write(pcm)
        except (BrokenPipeError, OSError, ValueError):
            try:
                self.proc.wait(2.0)
            except subprocess.TimeoutExpired:
                pass
            raise OutputError(self.why()) from None

    def close(self, timeout: float = 30.0) -> None:
        """Let ffmpeg play out what it holds and finish; a file gets its final name only now."""
        if self.proc is None:
            return
        try:
            if self.proc.stdin:
                self.proc.stdin.close()
        except OSError:
            pass
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        if self._tmp is not None:
            if code == 0 and self._tmp.exists():
                os.replace(self._tmp, self.spec.target)
            else:
                self._tmp.unlink(missing_ok=True)
        if code != 0:
            raise OutputError(self.why())

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        if self._tmp is not None:
            self._tmp.unlink(missing_ok=True)
