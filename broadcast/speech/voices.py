"""The voice registry: `voices/<lang>.toml` lists a language's voices in the order to try them.

A workspace's own `voices/<lang>.toml` replaces the packaged default for that language
(`broadcast/data/voices/`, copied into new workspaces by `broadcast init`)."""

from __future__ import annotations

import json
import shutil
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from broadcast.speech.errors import SpeechError

ENGINES = ("espeak-ng", "gtts", "piper", "coqui")
# A `[[voice]]` entry with this engine is no voice: it marks where a person's accepted reading of
# the announcement stands among the voices (first when no entry says otherwise).
RECORDED = "recorded"
SENTENCE_PAUSE_S = 0.5
PARAGRAPH_PAUSE_S = 1.0
# Keys of a [[voice]] entry that are not engine settings.
_ENTRY_KEYS = {"id", "engine", "fallback"}


@dataclass(frozen=True)
class Voice:
    """One voice of one language. `settings` are the engine's own (voice, rate, pitch, model, …);
    `base_dir` is the voices folder that relative model paths are read from."""

    id: str
    lang: str
    engine: str
    settings: dict = field(default_factory=dict, hash=False)
    fallback: bool = True
    base_dir: Path = Path(".")

    def setting(self, name: str, default=None):
        return self.settings.get(name, default)

    def model_path(self) -> Path | None:
        model = self.settings.get("model")
        if not model:
            return None
        path = Path(model).expanduser()
        return path if path.is_absolute() else self.base_dir / path

    def settings_key(self) -> str:
        return json.dumps({"id": self.id, "engine": self.engine, "settings": self.settings},
                          sort_keys=True, ensure_ascii=False)


@dataclass(frozen=True)
class VoiceList:
    lang: str
    voices: tuple[Voice, ...]
    source: Path | None
    sentence_pause: float = SENTENCE_PAUSE_S
    paragraph_pause: float = PARAGRAPH_PAUSE_S
    reading_at: int = 0
    """How many of `voices` come before a human reading (an `engine = "recorded"` entry's place;
    0, the reading first, when there is none)."""


def packaged_voices_dir() -> Path:
    return Path(str(resources.files("broadcast") / "data" / "voices"))


def install_default_voices(target: Path) -> list[str]:
    """Copy the packaged voice files into a new workspace's voices/ folder; files already there
    are the user's and are left alone. Returns the names copied."""
    target.mkdir(parents=True, exist_ok=True)
    copied = []
    for source in sorted(packaged_voices_dir().glob("*.toml")):
        dest = target / source.name
        if dest.exists() or dest.is_symlink():
            continue
        shutil.copyfile(source, dest)  # a real copy: the workspace's file is the user's to edit
        copied.append(source.name)
    return copied


def voice_file(voices_dir: Path, lang: str) -> Path | None:
    """The file that defines `lang`'s voices: the workspace's own, else the packaged default."""
    for folder in (voices_dir, packaged_voices_dir()):
        path = folder / f"{lang}.toml"
        if path.is_file():
            return path
    return None


def languages_with_voices(voices_dir: Path) -> list[str]:
    names = {p.stem for p in packaged_voices_dir().glob("*.toml")}
    if voices_dir.is_dir():
        names |= {p.stem for p in voices_dir.glob("*.toml") if p.is_file()}
    return sorted(names)


def load_voice_list(voices_dir: Path, lang: str) -> VoiceList:
    """Read and check `<lang>.toml`; a language with no file has no voices (not an error)."""
    path = voice_file(voices_dir, lang)
    if path is None:
        return VoiceList(lang, (), None)
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise SpeechError("not valid UTF-8", path, hint="save the file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise SpeechError(f"TOML syntax error: {exc}", path, hint="fix the line named") from None
    entries = raw.get("voice", [])
    if not isinstance(entries, list):
        raise SpeechError("`voice` must be a list of [[voice]] tables", path, field="voice")
    voices: list[Voice] = []
    seen: set[str] = set()
    reading_at: int | None = None
    for n, entry in enumerate(entries, 1):
        where = f"voice[{n}]"
        if not isinstance(entry, dict):
            raise SpeechError("must be a table", path, field=where)
        voice_id, engine = entry.get("id"), entry.get("engine")
        if not isinstance(voice_id, str) or not voice_id:
            raise SpeechError("missing id", path, field=where, hint='e.g. id = "vi-north"')
        if voice_id in seen:
            raise SpeechError(f"voice id {voice_id!r} used twice", path, field=where)
        seen.add(voice_id)
        if engine == RECORDED:
            if reading_at is not None:
                raise SpeechError("a second engine = \"recorded\" entry", path, field=where,
                                  hint="the reading has one place in the order; keep one entry")
            reading_at = len(voices)
            continue
        if engine not in ENGINES:
            raise SpeechError(f"unknown engine {engine!r}", path, field=f"{where}.engine",
                              hint=f"known: {', '.join((*ENGINES, RECORDED))}")
        fallback = entry.get("fallback", True)
        if not isinstance(fallback, bool):
            raise SpeechError("must be true or false", path, field=f"{where}.fallback")
        settings = {k: v for k, v in entry.items() if k not in _ENTRY_KEYS}
        for key in ("rate", "pitch", "timeout"):
            if key in settings and not (isinstance(settings[key], (int, float)) and settings[key] > 0
                                        or key == "pitch" and settings[key] == 0):
                raise SpeechError(f"{key} must be a positive number", path, field=f"{where}.{key}")
        voices.append(Voice(voice_id, lang, engine, settings, fallback, voices_dir))

    def pause(name: str, default: float) -> float:
        value = raw.get(name, default)
        if not isinstance(value, (int, float)) or not 0 <= value <= 10:
            raise SpeechError(f"{name} must be seconds between 0 and 10", path, field=name)
        return float(value)

    return VoiceList(lang, tuple(voices), path, pause("sentence_pause", SENTENCE_PAUSE_S),
                     pause("paragraph_pause", PARAGRAPH_PAUSE_S), reading_at or 0)
