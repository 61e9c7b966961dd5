"""Announcement intake: Markdown with YAML front matter, checked field by field.

Every problem in a file is reported at once, each with the file, the line where known,
the field, and how to fix it."""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import date, datetime, timedelta
from pathlib import Path

import yaml

from broadcast.core.config import ID_RE, Config
from broadcast.core.errors import InvalidAnnouncement, Problem
from broadcast.core.languages import LANGUAGES, SOURCE_LANGUAGE
from broadcast.core.models import CAP_CATEGORIES, CHANNELS, DEFAULT_REPEAT, PRIORITIES, Announcement
from broadcast.intake.links import outside_link

MAX_FILE_BYTES = 256 * 1024
MAX_FRONT_MATTER_BYTES = 16 * 1024
MAX_ID_LENGTH = 80
MAX_SCHEDULE_DAYS = 366

KNOWN_FIELDS = ("id", "title", "priority", "areas", "languages", "channels", "schedule",
                "repeat", "expires", "category")
REQUIRED_FIELDS = ("id", "title", "areas", "schedule")
SCHEDULE_FIELDS = ("dates", "from", "to", "slots")


class _StrictLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases (no alias bombs) and keeps dates as strings, so that
    an impossible date such as 2026-02-30 becomes our message instead of a Python error."""

    def compose_node(self, parent, index):  # noqa: D401 - PyYAML hook
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.composer.ComposerError(
                None, None, "YAML aliases (*name) are not allowed in announcements", event.start_mark
            )
        return super().compose_node(parent, index)


# Control characters other than tab and newline (C0, DEL, C1) and the non-characters U+FFFE/FFFF:
# nothing to read aloud, refused by YAML in the front matter and by XML in the translators' files.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufffe\uffff]")

_StrictLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def announcement_files(paths: list[Path]) -> list[Path]:
    """Expand folders into their `*.md` files (sorted); files are taken as given."""
    out: list[Path] = []
    for p in paths:
        if p.is_dir():
            out.extend(sorted(x for x in p.rglob("*.md") if x.is_file() and not x.name.startswith(".")))
        else:
            out.append(p)
    return out


def canonical_content(front: dict, body: str) -> str:
    """The exact content an approval covers: front matter values and body, with line endings
    and Unicode normalised so that a re-save by another editor does not void an approval."""
    return json.dumps({"front": front, "body": body}, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"), default=str)


def normalise_body(body: str) -> str:
    body = unicodedata.normalize("NFC", body.replace("\r\n", "\n").replace("\r", "\n"))
    lines = [ln.rstrip() for ln in body.split("\n")]
    return "\n".join(lines).strip("\n")


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_announcement(path: Path, config: Config, *, now: datetime | None = None,
                       check_expiry: bool = True) -> Announcement:
    """Read and check one announcement file; raise InvalidAnnouncement with every problem."""
    problems: list[Problem] = []

    def bad(message: str, *, line: int | None = None, field: str | None = None, hint: str | None = None):
        problems.append(Problem(path, message, line=line, field=field, hint=hint))

    def fail():
        raise InvalidAnnouncement(path, problems)

    link = outside_link(path, config)
    if link is not None:
        bad(link.reason, hint=link.problem.hint)
        fail()
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            bad(f"file is {size // 1024} KiB, over the {MAX_FILE_BYTES // 1024} KiB limit",
                hint="an announcement is a page of text; split it or remove pasted data")
            fail()
        raw = path.read_bytes()
    except FileNotFoundError:
        bad("file not found", hint="check the path")
        fail()
    except IsADirectoryError:
        bad("is a folder, not an announcement file")
        fail()
    except OSError as exc:
        bad(f"cannot read ({exc.strerror})")
        fail()

    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        bad(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line=line,
            hint="save the file as UTF-8 text; a file from an old Vietnamese typing setup "
                 "(Windows-1258, TCVN3, VNI) needs converting to Unicode first, e.g. with UniKey's converter")
        fail()
    if "\x00" in text:
        bad("contains NUL bytes: this is not a text file", line=text[: text.index("\x00")].count("\n") + 1,
            hint="an announcement is a UTF-8 Markdown file")
        fail()

    text = text.replace("\r\n", "\n").replace("\r", "\n")
    control = _CONTROL.search(text)
    if control is not None:
        bad(f"contains the invisible control character U+{ord(control.group()):04X}",
            line=text[: control.start()].count("\n") + 1,
            hint="delete it (it comes from text copied out of another program) or retype that line")
        fail()
    if not text.strip():
        bad("the file is empty", hint="write the front matter (between --- lines) and the text")
        fail()
    lines = text.split("\n")
    if not lines or lines[0].strip() != "---":
        bad("does not start with a '---' front-matter line", line=1,
            hint="begin the file with ---, the YAML fields, then --- and the text")
        fail()
    close = next((i for i in range(1, len(lines)) if lines[i].strip() in ("---", "...")), None)
    if close is None:
        bad("front matter is never closed", line=1, hint="add a line with --- after the last field")
        fail()
    front_text = "\n".join(lines[1:close])
    body = normalise_body("\n".join(lines[close + 1:]))
    if len(front_text.encode("utf-8")) > MAX_FRONT_MATTER_BYTES:
        bad(f"front matter is over {MAX_FRONT_MATTER_BYTES // 1024} KiB", line=2,
            hint="the fields of an announcement fit in a few lines")
        fail()

    # Line numbers of the YAML are offset by the opening '---'.
    offset = 2
    loader = None
    try:
        loader = _StrictLoader(front_text)
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        tag = exc.problem or "unsupported YAML tag"
        bad(f"unsupported YAML: {tag}", line=mark.line + offset if mark else None,
            hint="use plain values; tags such as !!python/... are not allowed")
        fail()
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        reason = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        bad(f"YAML syntax error: {reason}", line=mark.line + offset if mark else None,
            hint="indent with spaces, not tabs" if "'\\t'" in reason else
            "check indentation, colons and brackets on that line")
        fail()
    finally:
        if loader is not None:
            loader.dispose()
    if not isinstance(data, dict):
        bad("front matter is not a set of 'field: value' lines", line=2,
            hint="write e.g. 'id: 2026-11-24-tiem-chung' on its own line")
        fail()

    key_lines: dict[str, int] = {}
    for key_node, _value in node.value:
        if isinstance(key_node.value, str):
            key_lines[key_node.value] = key_node.start_mark.line + offset

    def line_of(name: str) -> int | None:
        return key_lines.get(name.split(".")[0])

    for key in data:
        if key not in KNOWN_FIELDS:
            bad(f"unknown field {key!r}", line=line_of(str(key)), field=str(key),
                hint=f"allowed fields: {', '.join(KNOWN_FIELDS)}")
    for key in REQUIRED_FIELDS:
        if key not in data or data[key] in (None, "", []):
            bad("missing", field=key, line=2 if key not in data else line_of(key),
                hint=_REQUIRED_HINTS[key])

    # id
    ann_id = data.get("id")
    if ann_id is not None:
        if not isinstance(ann_id, str) or not ID_RE.match(ann_id) or len(ann_id) > MAX_ID_LENGTH:
            bad(f"{ann_id!r} is not a valid id", field="id", line=line_of("id"),
                hint="use lowercase letters a-z, digits and single '-' (e.g. 2026-11-24-tiem-chung)")
            ann_id = None

    title = data.get("title")
    if title is not None and (not isinstance(title, str) or not title.strip()):
        bad("must be text", field="title", line=line_of("title"), hint="e.g. title: Lịch tiêm chủng tháng 12")
    title = title.strip() if isinstance(title, str) else ""

    priority = data.get("priority", "normal")
    if priority not in PRIORITIES:
        bad(f"unknown priority {priority!r}", field="priority", line=line_of("priority"),
            hint=f"use one of: {', '.join(PRIORITIES)}")
        priority = "normal"

    areas = _string_list(data.get("areas"), "areas", bad, line_of)
    for a in areas:
        if a not in config.areas:
            bad(f"unknown area {a!r}", field="areas", line=line_of("areas"),
                hint=f"areas in broadcast.toml: {', '.join(config.areas) or '(none)'}")

    languages = _string_list(data.get("languages", [SOURCE_LANGUAGE]), "languages", bad, line_of)
    for lang in languages:
        if lang not in LANGUAGES:
            bad(f"unknown language {lang!r}", field="languages", line=line_of("languages"),
                hint=f"use BCP 47 tags: {', '.join(LANGUAGES)}")
    if SOURCE_LANGUAGE not in languages:
        languages = [SOURCE_LANGUAGE, *languages]

    channels = _string_list(data.get("channels", ["loudspeaker", "zalo"]), "channels", bad, line_of)
    for ch in channels:
        if ch not in CHANNELS:
            bad(f"unknown channel {ch!r}", field="channels", line=line_of("channels"),
                hint=f"use: {', '.join(CHANNELS)}")
    if "channels" in data and not channels:
        bad("no channel", field="channels", line=line_of("channels"), hint="e.g. channels: [loudspeaker, zalo]")

    dates, slots = _check_schedule(data.get("schedule"), config, bad, line_of)

    repeat = data.get("repeat", DEFAULT_REPEAT[priority])
    if isinstance(repeat, bool) or not isinstance(repeat, int) or not 1 <= repeat <= 10:
        bad(f"{repeat!r} is not a whole number from 1 to 10", field="repeat", line=line_of("repeat"),
            hint="how many times the text is read per slot, e.g. repeat: 2")
        repeat = DEFAULT_REPEAT[priority]

    category = data.get("category", "Safety")
    if category not in CAP_CATEGORIES:
        bad(f"unknown CAP category {category!r}", field="category", line=line_of("category"),
            hint=f"use one of: {', '.join(CAP_CATEGORIES)}")

    expires = None
    if "expires" in data and data["expires"] is not None:
        expires = _parse_expires(data["expires"], config)
        if expires is None:
            bad(f"{data['expires']!r} is not a date-time", field="expires", line=line_of("expires"),
                hint="write it like 2026-11-26T00:00:00+07:00")
        elif check_expiry:
            moment = now or datetime.now(config.tz)
            if expires <= moment:
                bad(f"expired on {expires.isoformat()}", field="expires", line=line_of("expires"),
                    hint="set a future expiry, or remove the file from the announcements folder")

    if not body.strip():
        bad("the announcement text (after the closing ---) is empty", field="body", line=close + 2,
            hint="write the Vietnamese text below the front matter")

    if problems:
        fail()

    front = {
        "id": ann_id, "title": title, "priority": priority, "areas": areas, "languages": languages,
        "channels": channels, "dates": [d.isoformat() for d in dates], "slots": slots, "repeat": repeat,
        "expires": expires.isoformat() if expires else None, "category": category,
    }
    canonical = canonical_content(front, body)
    return Announcement(
        id=ann_id, title=title, priority=priority, areas=tuple(areas), languages=tuple(languages),
        channels=tuple(channels), dates=tuple(dates), slots=tuple(slots), repeat=repeat,
        expires=expires, body=body, path=path, sha256=sha256_text(canonical),
        text_sha256=sha256_text(body), category=category, lines=key_lines,
    )


_REQUIRED_HINTS = {
    "id": "add e.g. 'id: 2026-11-24-tiem-chung' (a-z, 0-9 and '-')",
    "title": "add e.g. 'title: Lịch tiêm chủng tháng 12'",
    "areas": "add e.g. 'areas: [ly-xom]' with area ids from broadcast.toml",
    "schedule": "add 'schedule:' with 'dates: [YYYY-MM-DD]' and 'slots: [morning]'",
}


def _string_list(value, name, bad, line_of) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        bad("must be a list of names", field=name, line=line_of(name), hint=f"e.g. {name}: [a, b]")
        return []
    seen: list[str] = []
    for v in value:
        if v not in seen:
            seen.append(v)
    return seen


def _parse_date(value) -> date | None:
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", value.strip()):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _check_schedule(schedule, config: Config, bad, line_of) -> tuple[list[date], list[str]]:
    if schedule is None:
        return [], []
    if not isinstance(schedule, dict):
        bad("must contain 'dates' (or 'from'/'to') and 'slots'", field="schedule", line=line_of("schedule"),
            hint="schedule:\\n  dates: [2026-11-24]\\n  slots: [morning]")
        return [], []
    line = line_of("schedule")
    for key in schedule:
        if key not in SCHEDULE_FIELDS:
            bad(f"unknown field {key!r}", field=f"schedule.{key}", line=line,
                hint=f"allowed: {', '.join(SCHEDULE_FIELDS)}")
    dates: list[date] = []
    if "dates" in schedule:
        raw_dates = schedule["dates"]
        if not isinstance(raw_dates, list):
            raw_dates = [raw_dates]
        for value in raw_dates:
            d = _parse_date(value)
            if d is None:
                bad(f"{value!r} is not a real date", field="schedule.dates", line=line,
                    hint="write dates as YYYY-MM-DD, e.g. 2026-11-24")
            elif d not in dates:
                dates.append(d)
        if "from" in schedule or "to" in schedule:
            bad("give either 'dates' or 'from'/'to', not both", field="schedule", line=line)
    elif "from" in schedule or "to" in schedule:
        start, end = _parse_date(schedule.get("from")), _parse_date(schedule.get("to"))
        if start is None:
            bad(f"{schedule.get('from')!r} is not a real date", field="schedule.from", line=line,
                hint="write it as YYYY-MM-DD")
        if end is None:
            bad(f"{schedule.get('to')!r} is not a real date", field="schedule.to", line=line,
                hint="write it as YYYY-MM-DD")
        if start and end:
            if end < start:
                bad("'to' is before 'from'", field="schedule.to", line=line)
            elif (end - start).days >= MAX_SCHEDULE_DAYS:
                bad(f"runs for more than {MAX_SCHEDULE_DAYS} days", field="schedule", line=line,
                    hint="split it into shorter announcements")
            else:
                dates = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    else:
        bad("no dates", field="schedule.dates", line=line, hint="add 'dates: [YYYY-MM-DD]' or 'from:'/'to:'")
    slots = _string_list(schedule.get("slots"), "schedule.slots", bad, lambda _n: line)
    if not slots:
        bad("no slots", field="schedule.slots", line=line,
            hint=f"add e.g. 'slots: [{next(iter(config.slots), 'morning')}]'")
    for s in slots:
        if s not in config.slots:
            bad(f"unknown slot {s!r}", field="schedule.slots", line=line,
                hint=f"slots in broadcast.toml: {', '.join(config.slots) or '(none)'}")
    return sorted(dates), slots


def _parse_expires(value, config: Config) -> datetime | None:
    text = str(value).strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            moment = datetime.fromisoformat(text + "T00:00:00")
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=config.tz)
    return moment


def load_announcements(paths: list[Path], config: Config, *, now: datetime | None = None,
                       check_expiry: bool = True) -> tuple[list[Announcement], list[InvalidAnnouncement]]:
    """Parse every file; good ones are returned even when others fail. Files sharing an id
    are all errors, each naming the others: which one is meant cannot be told from the files,
    and an approval recorded for the id must not pass from one file to another."""
    parsed: list[Announcement] = []
    bad: list[InvalidAnnouncement] = []
    for path in announcement_files(paths):
        try:
            parsed.append(parse_announcement(path, config, now=now, check_expiry=check_expiry))
        except InvalidAnnouncement as exc:
            bad.append(exc)
    by_id: dict[str, list[Announcement]] = {}
    for ann in parsed:
        by_id.setdefault(ann.id, []).append(ann)
    good: list[Announcement] = []
    for ann in parsed:
        others = [a.path for a in by_id[ann.id] if a is not ann]
        if others:
            bad.append(duplicate_id(ann, others))
        else:
            good.append(ann)
    return good, bad


class DuplicateId(InvalidAnnouncement):
    """A valid file whose id another file also has; `announcement_id` is that id."""

    def __init__(self, ann: Announcement, problems: list[Problem]) -> None:
        super().__init__(ann.path, problems)
        self.announcement_id = ann.id


def duplicate_id(ann: Announcement, others: list[Path]) -> DuplicateId:
    """The error for a file whose id another file also has, naming the other file(s)."""
    return DuplicateId(ann, [Problem(
        ann.path, f"id {ann.id!r} is also used by {' and '.join(_shown(p) for p in others)}; "
                  "files sharing an id are all refused", field="id", line=ann.lines.get("id"),
        hint="give each announcement its own id (or remove the copy); none of them is approved "
             "or produced until then")])


def _shown(path: Path) -> str:
    """`path` relative to the current folder when it is below it, as the CLI shows paths."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except (ValueError, OSError):
        return str(path)
