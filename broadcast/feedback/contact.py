"""The citizen's contact: a phone number typed by the reviewer, or taken from the recording.

Hotline systems and phones name recordings after the caller ("0912345678_20261201-0830.wav")
or put the number in the file's tags (title, artist, comment); Zalo voice notes saved from a
chat carry neither. A number is kept only when its digits have the shape of a Vietnamese
phone number (`redact.kind_of`), in one form: 0 and the national number ("+84 912 345 678"
becomes "0912345678"), so that a search and the redaction find it whatever way it came."""

from __future__ import annotations

import re
from pathlib import Path

import av

from broadcast.feedback.models import QueueError
from broadcast.feedback.redact import kind_of

# Digit groups joined by one space, dot or dash, optionally after a "+": a number as people
# write it in a file name or a tag.
NUMBER_RE = re.compile(r"(?<![\d+])\+?\d+(?:[ .\-]?\d+)*(?!\d)")
GROUP_RE = re.compile(r"\+?\d+")
# Tags that may hold the caller's number (lower case; formats spell them differently).
CONTACT_TAGS = ("caller", "caller_id", "phone", "telephone", "contact", "artist", "author", "title",
                "comment", "description")


def normalize_phone(text: str) -> str | None:
    """The phone number in `text` as 0 + national number, or None when it is not one."""
    text = text.strip()
    plus = text.startswith("+")
    digits = re.sub(r"\D", "", text)
    if not digits or kind_of(digits, plus) != "phone":
        return None
    if digits.startswith("0084"):
        digits = digits[4:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = digits[2:]
    elif len(digits) == 9:
        digits = "0" + digits   # a mobile number written without its 0
    return digits if digits.startswith("0") else "0" + digits


def check_contact(text: str) -> str:
    """A phone number a reviewer typed, normalised; QueueError when it is not a phone number."""
    phone = normalize_phone(text)
    if phone is None:
        raise QueueError(f"{text!r} is not a phone number",
                         hint="give a Vietnamese number: 10 digits starting with 0 (e.g. 0912 345 678), or +84 …")
    return phone


def phone_in(text: str) -> str | None:
    """The first phone number written anywhere in `text` (a file name, a tag). A run of digit
    groups may hold more than the number ("0912345678 20261201-0830"): its consecutive groups
    are tried, the longest first."""
    for m in NUMBER_RE.finditer(text.replace("_", " ")):
        groups = GROUP_RE.findall(m.group(0))
        for size in range(len(groups), 0, -1):
            for start in range(len(groups) - size + 1):
                phone = normalize_phone("".join(groups[start:start + size]))
                if phone is not None:
                    return phone
    return None


def recording_tags(path: Path) -> dict[str, str]:
    """The container's and the audio stream's tags, keys in lower case ({} when unreadable)."""
    try:
        with av.open(str(path)) as container:
            tags = dict(container.metadata)
            for stream in container.streams:
                tags.update(stream.metadata)
    except (av.FFmpegError, OSError, UnicodeDecodeError):
        return {}
    return {str(k).lower(): str(v) for k, v in tags.items()}


def contact_from_recording(path: Path | None, source_name: str) -> str | None:
    """The caller's number from the recording's tags, else from its original file name."""
    tags = recording_tags(path) if path is not None and path.is_file() else {}
    for key in CONTACT_TAGS:
        phone = phone_in(tags.get(key, ""))
        if phone is not None:
            return phone
    return phone_in(Path(source_name).stem)
