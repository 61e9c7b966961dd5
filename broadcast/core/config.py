"""Workspace discovery and the `broadcast.toml` format."""

from __future__ import annotations

import functools
import ipaddress
import os
import re
import tomllib
from dataclasses import dataclass, field
from datetime import time
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from broadcast.core.errors import Problem, WorkspaceError
from broadcast.core.feedback_rules import (  # noqa: F401  (re-exported: the [feedback] table)
    FEEDBACK_TEMPLATE,
    Category,
    FeedbackRules,
    feedback_rules,
    parse_holiday,
)
from broadcast.core.ids import ID_RE
from broadcast.core.languages import LANGUAGES

CONFIG_NAME = "broadcast.toml"
ENV_HOME = "BROADCAST_HOME"

# Folder names inside a workspace; `[paths]` in broadcast.toml may move any of them.
DEFAULT_PATHS = {
    "announcements": "announcements",
    "translations": "translations",
    "voices": "voices",
    "feedback": "feedback",
    "output": "output",
    "state": "state",
}


@dataclass(frozen=True)
class Area:
    id: str
    name: str
    languages: tuple[str, ...]
    zalo_group: str | None = None


@dataclass(frozen=True)
class Config:
    commune_name: str
    station: str
    timezone: str
    slots: dict[str, time]
    areas: dict[str, Area]
    sender: str
    paths: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_PATHS))
    raw: dict = field(default_factory=dict, compare=False, repr=False)
    # `[paths] follow_symlinks = true`: read inputs through symbolic links that point outside
    # the workspace (refused by default, naming the link and its target).
    follow_symlinks: bool = False
    root: Path | None = field(default=None, compare=False)   # the folder holding broadcast.toml
    # What run sheets and previews call each slot: `morning = { time = "05:30", name = "Buổi sáng" }`;
    # a slot written as a bare time ("05:30") is called by its id.
    slot_names: dict[str, str] = field(default_factory=dict)

    def slot_name(self, slot: str) -> str:
        """The slot's display name (its id when it has none)."""
        return self.slot_names.get(slot) or slot

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def section(self, name: str) -> dict:
        """A table of broadcast.toml that a later stage reads (e.g. `[check]`), or {}."""
        value = self.raw.get(name, {})
        return value if isinstance(value, dict) else {}

    @functools.cached_property
    def feedback(self) -> FeedbackRules:
        """`[feedback.units]`, `[feedback.categories.*]`, `[feedback] holidays` and `days`."""
        return feedback_rules(self.raw.get("feedback", {}))[0]


@dataclass(frozen=True)
class Workspace:
    root: Path
    config: Config

    def path(self, name: str) -> Path:
        return (self.root / self.config.paths[name]).resolve()

    @property
    def announcements_dir(self) -> Path:
        return self.path("announcements")

    @property
    def translations_dir(self) -> Path:
        return self.path("translations")

    @property
    def voices_dir(self) -> Path:
        return self.path("voices")

    @property
    def feedback_dir(self) -> Path:
        return self.path("feedback")

    @property
    def output_dir(self) -> Path:
        return self.path("output")

    @property
    def state_dir(self) -> Path:
        d = self.path("state")
        d.mkdir(parents=True, exist_ok=True)
        return d

    @property
    def db_path(self) -> Path:
        return self.state_dir / "broadcast.db"

    @property
    def cache_dir(self) -> Path:
        d = self.state_dir / "cache"
        d.mkdir(parents=True, exist_ok=True)
        return d


def find_workspace_root(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Path:
    """`--workspace` first, then `$BROADCAST_HOME`, then the nearest folder upwards holding broadcast.toml."""
    if explicit:
        root = Path(explicit).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise WorkspaceError(
                f"no {CONFIG_NAME} in this folder", root, hint=f"create one with `broadcast init {explicit}`"
            )
        return root
    home = os.environ.get(ENV_HOME)
    if home:
        root = Path(home).expanduser().resolve()
        if not (root / CONFIG_NAME).is_file():
            raise WorkspaceError(
                f"${ENV_HOME} points at a folder without {CONFIG_NAME}", root,
                hint=f"run `broadcast init {home}` or unset {ENV_HOME}",
            )
        return root
    here = (cwd or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_NAME).is_file():
            return folder
    raise WorkspaceError(
        f"no workspace found: no {CONFIG_NAME} in {here} or any folder above it",
        hint=f"run `broadcast init DIR`, pass --workspace DIR, or set ${ENV_HOME}",
    )


def load_workspace(explicit: str | os.PathLike | None = None, cwd: Path | None = None) -> Workspace:
    root = find_workspace_root(explicit, cwd)
    return Workspace(root=root, config=load_config(root / CONFIG_NAME))


def _parse_hhmm(value: object) -> time | None:
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)", value.strip())
        if m:
            return time(int(m.group(1)), int(m.group(2)))
    return None


SLOT_FORMS = 'write it as "HH:MM" or { time = "HH:MM", name = "Buổi sáng" }'


def _parse_slot(slot: str, value: object, bad) -> tuple[time, str | None] | None:
    """`morning = "05:30"` or `morning = { time = "05:30", name = "Buổi sáng" }` → (time, name);
    None after reporting what is wrong."""
    name, where = None, f"slots.{slot}"
    if isinstance(value, dict):
        where += ".time"
        unknown = sorted(set(value) - {"time", "name"})
        if unknown:
            bad(f"slots.{slot}", f"unknown key {', '.join(unknown)}", SLOT_FORMS)
            return None
        name = value.get("name")
        if name is not None and (not isinstance(name, str) or not name.strip()):
            bad(f"slots.{slot}.name", f"{name!r} is not a name", 'e.g. name = "Buổi sáng"')
            return None
        if "time" not in value:
            bad(f"slots.{slot}", "missing time", f'e.g. {slot} = {{ time = "05:30", name = "{name or "Buổi sáng"}" }}')
            return None
        value = value["time"]
    parsed = _parse_hhmm(value)
    if parsed is None:
        bad(where, f"{value!r} is not a time of day", SLOT_FORMS)
        return None
    return parsed, name.strip() if name else None


def load_config(path: Path) -> Config:
    """Read and check broadcast.toml; every problem is reported at once."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError as exc:
        raise WorkspaceError(f"not valid UTF-8 ({exc.reason} at byte {exc.start})", path,
                             hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise WorkspaceError(f"TOML syntax error: {exc}", path, hint="fix the line named") from None
    except OSError as exc:
        raise WorkspaceError(f"cannot read: {exc.strerror}", path) from None

    problems: list[Problem] = []

    def bad(field_name: str, message: str, hint: str | None = None) -> None:
        problems.append(Problem(path, message, field=field_name, hint=hint))

    commune = raw.get("commune")
    if not isinstance(commune, dict):
        bad("commune", "missing [commune] table", 'add [commune] with name = "Xã …" and timezone')
        commune = {}
    name = commune.get("name")
    if not isinstance(name, str) or not name.strip():
        bad("commune.name", "missing commune name", 'e.g. name = "Xã Chiềng Sinh"')
        name = ""
    station = commune.get("station") or (f"Đài truyền thanh {name}" if name else "")
    tzname = commune.get("timezone", "Asia/Ho_Chi_Minh")
    try:
        ZoneInfo(str(tzname))
    except (ZoneInfoNotFoundError, ValueError):
        bad("commune.timezone", f"unknown timezone {tzname!r}", 'use an IANA name such as "Asia/Ho_Chi_Minh"')
        tzname = "Asia/Ho_Chi_Minh"
    sender = commune.get("sender") or (f"ubnd.{_slug(name)}@broadcast.local" if name else "broadcast@localhost")

    slots: dict[str, time] = {}
    slot_names: dict[str, str] = {}
    raw_slots = raw.get("slots", {})
    if not isinstance(raw_slots, dict) or not raw_slots:
        bad("slots", "no broadcast slots defined", 'add [slots] with e.g. morning = "05:30"')
    else:
        for slot, value in raw_slots.items():
            if not ID_RE.match(slot):
                bad(f"slots.{slot}", "slot names may use only a-z, 0-9 and '-'")
                continue
            parsed = _parse_slot(slot, value, bad)
            if parsed is not None:
                slots[slot] = parsed[0]
                slot_names[slot] = parsed[1] or slot

    areas: dict[str, Area] = {}
    raw_areas = raw.get("areas", {})
    if not isinstance(raw_areas, dict) or not raw_areas:
        bad("areas", "no areas defined", 'add [areas.<id>] with name = "Bản …" and languages = ["vi"]')
    else:
        for area_id, spec in raw_areas.items():
            if not ID_RE.match(area_id):
                bad(f"areas.{area_id}", "area ids may use only a-z, 0-9 and '-'")
                continue
            if not isinstance(spec, dict):
                bad(f"areas.{area_id}", "must be a table", f'write [areas.{area_id}] with name = "…"')
                continue
            langs = spec.get("languages", ["vi"])
            if not isinstance(langs, list) or not all(isinstance(x, str) for x in langs):
                bad(f"areas.{area_id}.languages", "must be a list of language tags", 'e.g. ["vi", "hmn"]')
                langs = ["vi"]
            unknown = [x for x in langs if x not in LANGUAGES]
            if unknown:
                bad(f"areas.{area_id}.languages", f"unknown language {', '.join(unknown)}",
                    f"known: {', '.join(LANGUAGES)}")
            areas[area_id] = Area(
                id=area_id,
                name=str(spec.get("name", area_id)),
                languages=tuple(x for x in langs if x in LANGUAGES),
                zalo_group=spec.get("zalo_group"),
            )

    paths = dict(DEFAULT_PATHS)
    follow_symlinks = False
    raw_paths = raw.get("paths", {})
    if isinstance(raw_paths, dict):
        for key, value in raw_paths.items():
            if key == "follow_symlinks":
                if isinstance(value, bool):
                    follow_symlinks = value
                else:
                    bad("paths.follow_symlinks", f"{value!r} is not true or false",
                        "write follow_symlinks = true (or false, the default)")
            elif key not in DEFAULT_PATHS:
                bad(f"paths.{key}", "unknown path", f"known: {', '.join(DEFAULT_PATHS)}")
            elif not isinstance(value, str) or not value:
                bad(f"paths.{key}", "must be a folder path string")
            else:
                paths[key] = value

    problems += [Problem(path, message, field=f, hint=hint)
                 for f, message, hint in feedback_rules(raw.get("feedback", {}))[1]]

    if problems:
        raise WorkspaceError(problems[0].message, path, field=problems[0].field,
                             hint=problems[0].hint, problems=problems)
    return Config(
        commune_name=name, station=station, timezone=str(tzname), slots=slots, areas=areas,
        sender=sender, paths=paths, raw=raw,
        follow_symlinks=follow_symlinks, root=path.parent.resolve(), slot_names=slot_names,
    )


# ---------------------------------------------------------------- [review]: the review web page

HOST_LABEL_RE = re.compile(r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$")


@dataclass(frozen=True)
class ReviewSettings:
    """Who may reach `broadcast review serve` (the password, port and language of `[review]` are
    read where they are used)."""

    allowed_hosts: tuple[str, ...] | None = None
    """Host names and addresses browsers may use for the page ("*.x" for any name under x);
    None: derived from the address listened on."""
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of reverse proxies whose X-Forwarded-For names the client; from
    anyone else the header is ignored."""


def _host_ok(value: str) -> bool:
    try:
        ipaddress.ip_address(value.strip("[]"))
        return True
    except ValueError:
        pass
    name = value.lower().removeprefix("*.").rstrip(".")
    return bool(name) and all(HOST_LABEL_RE.match(label) for label in name.split("."))


def review_settings(config: Config, source: Path | None = None) -> ReviewSettings:
    """`[review] allowed_hosts` and `trusted_proxies` as ReviewSettings (WorkspaceError naming the key)."""
    section = config.section("review")
    hosts = section.get("allowed_hosts")
    if hosts is not None:
        if not isinstance(hosts, list) or not hosts or not all(isinstance(h, str) for h in hosts):
            raise WorkspaceError("must be a list of host names or addresses", source, field="review.allowed_hosts",
                                 hint='e.g. allowed_hosts = ["192.168.1.10", "may-xa.local"]')
        for host in hosts:
            if not _host_ok(host.strip()):
                raise WorkspaceError(f"{host!r} is not a host name or address", source,
                                     field="review.allowed_hosts",
                                     hint='a name ("may-xa.local", "*.xa.vn"), an address ("192.168.1.10"); '
                                          "non-Latin names in their xn-- form")
        hosts = tuple(h.strip().lower() for h in hosts)
    proxies = section.get("trusted_proxies", [])
    if not isinstance(proxies, list) or not all(isinstance(p, str) for p in proxies):
        raise WorkspaceError("must be a list of addresses", source, field="review.trusted_proxies",
                             hint='e.g. trusted_proxies = ["127.0.0.1"] for a proxy on this PC')
    for proxy in proxies:
        try:
            ipaddress.ip_network(proxy.strip(), strict=False)
        except ValueError:
            raise WorkspaceError(f"{proxy!r} is not an address or network", source, field="review.trusted_proxies",
                                 hint='the proxy\'s address, e.g. "192.168.1.1" or "10.0.0.0/24"') from None
    return ReviewSettings(hosts, tuple(p.strip() for p in proxies))


def _slug(text: str) -> str:
    import unicodedata

    text = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[^a-z0-9]+", "-", text).strip("-") or "commune"


CONFIG_TEMPLATE = """\
# broadcast workspace configuration
[commune]
name = "{name}"
station = "Đài truyền thanh {name}"   # spoken in the station ident
timezone = "Asia/Ho_Chi_Minh"
# sender = "ubnd@example.gov.vn"        # CAP <sender>; derived from the name when absent

# Each slot: its time, and the name run sheets and previews show (a bare time also works:
# morning = "05:30"); the id (morning) is what announcements list under `slots:`.
[slots]
morning = {{ time = "05:30", name = "Buổi sáng" }}
evening = {{ time = "17:00", name = "Buổi chiều" }}

[areas.trung-tam]
name = "Trung tâm xã"
languages = ["vi"]
zalo_group = "Trung tâm xã"

""" + FEEDBACK_TEMPLATE + """# [paths]                              # folders, relative to this file
# announcements = "announcements"
# output = "output"
# follow_symlinks = false              # true: read files through links pointing outside the workspace
"""


# ---------------------------------------------------------------- [record]: human readings


@dataclass(frozen=True)
class RecordLimits:
    """When a human reading passes (`[record]` in broadcast.toml overrides any of these by name;
    `[record.phrases]` holds the texts of the fixed phrases). Shares are 0–1. Calibrated on
    espeak-ng readings heard by the packaged Whisper base model: README, "Recorded readings"."""

    sentence_heard: float = 0.2
    """A sentence is heard when at least this share of its syllables was heard (in runs of two or
    more: lone look-alike syllables are chance). Correct espeak-ng readings: 0.29–0.85 (one
    outlier 0.17); sentences left out: 0.00–0.06."""
    number_heard: float = 0.3
    """A number is heard when at least this share of its syllables was heard (alike), …"""
    number_present: float = 0.8
    """… at least this share of each group of its digits ("15", "12", "2026" of 15/12/2026) has
    something heard in its place (a syllable misheard is there, one left out is not: "mười lăm"
    read as "mười"), and none was heard as another number word."""
    match_similarity: float = 0.5
    """Two syllables (toneless) at least this alike (rapidfuzz ratio) count as the same one heard."""
    refuse_below: float = 0.18
    """Under this share of the whole text heard (or no sentence heard), the take is not a reading
    of the text at all. Another announcement read: 0.04–0.13; a reading with a sentence left
    out: 0.24 and more."""
    extra_words: int = 8
    """This many heard syllables in a row that are not in the text are reported as extra speech."""
    max_clipped_share: float = 0.001
    """More samples than this share at full scale: clipped, record again with the level lower."""
    min_loudness_lufs: float = -45.0
    """A take quieter than this (integrated, after cleaning) is too quiet: noise would be raised with it."""
    min_words_per_s: float = 0.7
    """Plausible reading speed for a text (words, Vietnamese syllables, per second of speech) for
    languages Whisper does not hear; outside it the take is not a reading of that text."""
    max_words_per_s: float = 8.0
    length_slack_s: float = 10.0
    """Seconds allowed beyond the slowest plausible reading (an intro, a long pause)."""
    max_upload_mb: float = 50.0
    """The studio refuses larger uploads."""


def record_limits(config: Config, source: Path | None = None) -> RecordLimits:
    """`[record]` of broadcast.toml as RecordLimits (WorkspaceError naming the key when wrong)."""
    section = config.section("record")
    known = RecordLimits.__dataclass_fields__
    values: dict = {}
    for key, value in section.items():
        if key == "phrases":
            if not isinstance(value, dict) or not all(isinstance(v, str) and v.strip() for v in value.values()):
                raise WorkspaceError("must be a table of texts", source, field="record.phrases",
                                     hint='e.g. opening = "Kính thưa bà con …"')
            continue
        if key not in known:
            raise WorkspaceError(f"unknown setting {key!r}", source, field=f"record.{key}",
                                 hint=f"known: {', '.join(known)}, phrases")
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise WorkspaceError(f"must be a number, not {value!r}", source, field=f"record.{key}")
        if key != "min_loudness_lufs" and value < 0:
            raise WorkspaceError("must not be negative", source, field=f"record.{key}")
        if key in ("sentence_heard", "number_heard", "number_present", "match_similarity", "refuse_below") \
                and value > 1:
            raise WorkspaceError("is a share: between 0 and 1", source, field=f"record.{key}")
        values[key] = int(value) if key == "extra_words" else float(value)
    limits = RecordLimits(**values)
    if limits.min_words_per_s > limits.max_words_per_s:
        raise WorkspaceError("min_words_per_s is above max_words_per_s", source, field="record")
    return limits
