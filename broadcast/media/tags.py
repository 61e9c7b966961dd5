"""Tags written into encoded files with mutagen: ID3v2.3 for MP3, iTunes atoms for M4A."""

from __future__ import annotations

from pathlib import Path

from mutagen import MutagenError
from mutagen.id3 import ID3, TALB, TIT2, TLAN, TPE1, TXXX, ID3NoHeaderError
from mutagen.mp4 import MP4, MP4FreeForm

from broadcast.media.errors import AudioError

TAG_KEYS = ("title", "language", "announcement_id", "approval_sha256", "artist")
# ID3 TLAN wants ISO 639-2; these tags are two letters in BCP 47. Three-letter tags pass as is.
ISO639_2 = {"vi": "vie", "km": "khm", "zh": "zho", "lo": "lao", "en": "eng"}


def write_tags(path: Path, kind: str, tags: dict[str, str]) -> None:
    """Tag the file at `path` (whatever its name) as `kind`, ".mp3" or ".m4a": TIT2, TLAN,
    TPE1/TALB and TXXX ids for MP3; ©nam, ©ART/©alb and freeform ids for M4A."""
    unknown = set(tags) - set(TAG_KEYS)
    if unknown:
        raise ValueError(f"unknown tag keys: {sorted(unknown)}")
    try:
        if kind == ".mp3":
            _tag_mp3(path, tags)
        elif kind == ".m4a":
            _tag_m4a(path, tags)
        else:
            raise ValueError(f"no tagging for {kind} files")
    except MutagenError as exc:
        raise AudioError(f"cannot write the tags: {exc}", path) from None


def _tag_mp3(path: Path, tags: dict[str, str]) -> None:
    try:
        id3 = ID3(path)
    except ID3NoHeaderError:
        id3 = ID3()
    if tags.get("title"):
        id3.add(TIT2(encoding=3, text=tags["title"]))
    if tags.get("language"):
        lang = tags["language"]
        id3.add(TLAN(encoding=3, text=ISO639_2.get(lang, lang)))
        id3.add(TXXX(encoding=3, desc="language", text=lang))   # the BCP 47 tag as used here
    if tags.get("artist"):
        id3.add(TPE1(encoding=3, text=tags["artist"]))
        id3.add(TALB(encoding=3, text=tags["artist"]))
    for key in ("announcement_id", "approval_sha256"):
        if tags.get(key):
            id3.add(TXXX(encoding=3, desc=key, text=tags[key]))
    id3.save(path, v2_version=3)


def _tag_m4a(path: Path, tags: dict[str, str]) -> None:
    mp4 = MP4(path)
    if mp4.tags is None:
        mp4.add_tags()
    if tags.get("title"):
        mp4.tags["\xa9nam"] = [tags["title"]]
    if tags.get("artist"):
        mp4.tags["\xa9ART"] = [tags["artist"]]
        mp4.tags["\xa9alb"] = [tags["artist"]]
    for key in ("language", "announcement_id", "approval_sha256"):
        if tags.get(key):
            mp4.tags[f"----:com.apple.iTunes:{key}"] = [MP4FreeForm(tags[key].encode("utf-8"))]
    mp4.save()
