"""Text in a language → speech, with a record of the engine and voice that made it.

`synthesize` is the one entry point for synthetic speech: clean the Markdown, normalise
(Vietnamese), split into sentences, try the language's voices in order (skips recorded in
`Speech.fallbacks`), read each sentence, join with pauses, cache the result. `load_recording`
is the "recorded" route: a local speaker's file, decoded and checked the same way every time."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from broadcast.intake.announcements import sha256_text
from broadcast.core.config import Workspace
from broadcast.core.fsutil import sha256_file
from broadcast.media.levels import CLIP_LEVEL
from broadcast.speech import cache
from broadcast.speech.audio import decode, trim_silence
from broadcast.speech.engines import get_engine
from broadcast.speech.errors import SpeechError, VoiceUnavailable
from broadcast.speech.normalize import normalize
from broadcast.speech.shaping import assemble, canonical_text, clean_markdown, split_paragraphs
from broadcast.speech.voices import Voice, VoiceList, load_voice_list

RECORDING_EXTENSIONS = ("wav", "mp3", "m4a")
SILENT_PEAK_DBFS = -50.0      # a recording whose loudest sample is below this is empty
CLIP_RUN = 3                  # this many clipped samples in a row is audible distortion
# Plausible reading speeds for a recording, in words (Vietnamese: syllables) per second.
MIN_WORDS_PER_S, MAX_WORDS_PER_S = 0.7, 8.0
RECORDING_SLACK_S = 10.0      # room for a slow reader, an intro or a long pause


@dataclass(frozen=True)
class Speech:
    """Mono speech and where it came from. `fallbacks` lists each voice tried and skipped before
    this one ("voice-id: reason"); `warnings` are problems worth a note in the manifest that did
    not stop the file (e.g. a clipped recording)."""

    samples: np.ndarray      # float32, mono, in [-1, 1]
    sample_rate: int
    engine: str              # "espeak-ng" | "gtts" | "piper" | "coqui" | "recorded"
    voice: str               # voice id from voices/<lang>.toml, or the recording's file name
    engine_version: str
    fallbacks: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    details: dict = field(default_factory=dict, hash=False)
    """For a recorded reading: who read it and who accepted it (translations.readings.Reading.manifest)."""

    @property
    def duration(self) -> float:
        return len(self.samples) / float(self.sample_rate) if self.sample_rate else 0.0


def spoken_paragraphs(lang: str, text: str) -> list[list[str]]:
    """What will be said, as paragraphs of sentences."""
    return split_paragraphs(normalize(clean_markdown(text), lang))


def _voices(ws: Workspace, lang: str) -> VoiceList:
    return load_voice_list(ws.voices_dir, lang)


def _key(voice_list: VoiceList, voice: Voice, spoken: str) -> str:
    engine = get_engine(voice.engine)
    payload = {
        "format": cache.CACHE_FORMAT,
        "lang": voice_list.lang,
        "text": spoken,
        "voice": json.loads(voice.settings_key()),
        "engine_version": engine.version(),
        "engine_files": engine.fingerprint_extra(voice),
        "pauses": [voice_list.sentence_pause, voice_list.paragraph_pause],
    }
    return sha256_text(json.dumps(payload, sort_keys=True, ensure_ascii=False))


def _choose(voice_list: VoiceList) -> tuple[Voice | None, list[str], str | None]:
    """The first voice usable now, the skips before it, and (when none) why the search stopped."""
    skipped: list[str] = []
    for voice in voice_list.voices:
        ok, why = get_engine(voice.engine).available(voice)
        if ok:
            return voice, skipped, None
        skipped.append(f"{voice.id}: {why}")
        if not voice.fallback:
            return None, skipped, f"{voice.id} is unavailable ({why}) and does not allow falling back"
    return None, skipped, None


def speech_fingerprint(ws: Workspace, lang: str, text: str) -> str:
    """sha256 over the spoken text, the settings of the voice that would be used now and its
    engine version (plus model file digests and pauses), without synthesising anything."""
    voice_list = _voices(ws, lang)
    spoken = canonical_text(spoken_paragraphs(lang, text))
    voice, _, _ = _choose(voice_list)
    if voice is None:
        return sha256_text(json.dumps(["no-voice", lang, spoken], ensure_ascii=False))
    return _key(voice_list, voice, spoken)


def has_speech_route(ws: Workspace, lang: str) -> tuple[bool, str]:
    """(True, voice id) when a voice for `lang` can be used now, else (False, reason). Recordings
    are per announcement: see `translations.state.recording_for`."""
    voice_list = _voices(ws, lang)
    if not voice_list.voices:
        return False, (f"no synthetic voice for {lang} (no voices/{lang}.toml); "
                       f"a recording translations/<id>/{lang}.wav is the route")
    voice, skipped, stop = _choose(voice_list)
    if voice is not None:
        return True, voice.id
    return False, stop or "no voice available: " + "; ".join(skipped)


def reading_first(ws: Workspace, lang: str) -> bool:
    """Whether a current, accepted human reading is aired before the synthetic voices of `lang`:
    yes unless voices/<lang>.toml puts its `engine = "recorded"` entry after a voice that can be
    used here."""
    voice_list = _voices(ws, lang)
    return not any(get_engine(v.engine).available(v)[0] for v in voice_list.voices[:voice_list.reading_at])


def _render(voice: Voice, voice_list: VoiceList, paragraphs: list[list[str]]) -> tuple[np.ndarray, int]:
    engine = get_engine(voice.engine)
    clips = [[engine.synthesize(sentence, voice) for sentence in paragraph] for paragraph in paragraphs]
    samples, rate = assemble(clips, voice_list.sentence_pause, voice_list.paragraph_pause)
    if samples.size == 0 or float(np.max(np.abs(samples))) < 10 ** (SILENT_PEAK_DBFS / 20):
        raise SpeechError(f"{voice.engine} produced silence", field=voice.id)
    return samples, rate


def synthesize(ws: Workspace, lang: str, text: str) -> Speech:
    """Whole announcement text (paragraphs separated by blank lines) → speech in `lang`, by the
    first voice in voices/<lang>.toml that works here; results are cached."""
    voice_list = _voices(ws, lang)
    paragraphs = spoken_paragraphs(lang, text)
    if not paragraphs:
        raise SpeechError(f"nothing to say: the {lang} text has no words", hint="check the announcement body")
    if not voice_list.voices:
        raise SpeechError(f"no synthetic voice for {lang}", hint=f"add voices/{lang}.toml, or a recording "
                          f"translations/<id>/{lang}.wav of the approved translation")
    spoken = canonical_text(paragraphs)
    fallbacks: list[str] = []
    for voice in voice_list.voices:
        engine = get_engine(voice.engine)
        ok, why = engine.available(voice)
        reason = None if ok else why
        if ok:
            key = _key(voice_list, voice, spoken)
            hit = cache.load(ws.cache_dir, key)
            if hit is not None:
                samples, rate, meta = hit
                return Speech(samples, rate, voice.engine, voice.id, meta.get("engine_version", ""),
                              tuple(fallbacks))
            try:
                samples, rate = _render(voice, voice_list, paragraphs)
            except SpeechError as exc:
                reason = exc.reason
            else:
                version = engine.version()
                cache.store(ws.cache_dir, key, samples, rate,
                            {"engine": voice.engine, "voice": voice.id, "engine_version": version, "lang": lang})
                return Speech(samples, rate, voice.engine, voice.id, version, tuple(fallbacks))
        fallbacks.append(f"{voice.id}: {reason}")
        if not voice.fallback:
            raise SpeechError(f"voice {voice.id} failed ({reason}) and does not allow falling back",
                              voice_list.source, field=voice.id,
                              hint=f"set fallback = true or put another voice first in voices/{lang}.toml")
    raise SpeechError(f"no {lang} voice works here: " + "; ".join(fallbacks), voice_list.source,
                      hint="run `broadcast voices` to see what each voice needs")


_LOOK = object()


def station_ident(ws: Workspace, recording: Path | None | object = _LOOK, *, text: str | None = None,
                  details: dict | None = None) -> Speech:
    """"Đây là <station>." (or `text`), read from `recording` when given (an accepted reading:
    translations.readings.phrase_reading), synthesised with the Vietnamese voice when it is None.
    Without the argument, any voices/ident.(wav|mp3|m4a) is used, verified or not."""
    text = text or f"Đây là {ws.config.station}."
    if recording is _LOOK:
        recording = next((p for p in (ws.voices_dir / f"ident.{ext}" for ext in RECORDING_EXTENSIONS)
                          if p.is_file()), None)
    if recording is not None:
        return load_recording(Path(recording), text, "vi", details)
    return synthesize(ws, "vi", text)


def count_words(text: str) -> int:
    """Spoken units: words (Vietnamese syllables) between spaces; each Han character counts one."""
    han = len(re.findall(r"[\u3400-\u9fff]", text))
    other = re.sub(r"[\u3400-\u9fff]", " ", text)
    return han + sum(1 for w in other.split() if any(ch.isalnum() for ch in w))


def load_recording(path: Path, text: str, lang: str, details: dict | None = None) -> Speech:
    """A local speaker's recording of `text`, decoded to mono float32 (ffmpeg reads wav, mp3, m4a).

    Refused (SpeechError naming the file): unreadable, silent, or a duration implausible for the
    text (wrong file?). Clipping does not stop it: it is listed in `Speech.warnings`."""
    path = Path(path)
    if not path.is_file():
        raise SpeechError("recording not found", path)
    samples, rate = decode(path)
    peak = float(np.max(np.abs(samples))) if samples.size else 0.0
    if peak < 10 ** (SILENT_PEAK_DBFS / 20):
        raise SpeechError("the recording is silent", path, hint="check the microphone and record again")
    warnings = []
    clipped = np.abs(samples) >= CLIP_LEVEL
    if clipped.any():
        runs = np.diff(np.flatnonzero(np.diff(np.concatenate(([0], clipped.view(np.int8), [0]))) != 0))[::2]
        longest = int(runs.max()) if runs.size else 0
        share = float(clipped.mean())
        if longest >= CLIP_RUN or share > 0.001:
            warnings.append(f"{path.name}: clipped ({int(clipped.sum())} samples at full scale, "
                            f"longest run {longest}): record again with the level lower")
    words = count_words(normalize(text, lang))
    spoken_s = len(trim_silence(samples, rate)) / rate
    low = max(0.0, words / MAX_WORDS_PER_S - 1.0)
    high = words / MIN_WORDS_PER_S + RECORDING_SLACK_S
    if words and not low <= spoken_s <= high:
        raise SpeechError(f"the recording has {spoken_s:.1f} s of sound but the text has {words} words "
                          f"(expected {low:.0f}–{high:.0f} s)", path,
                          hint="is this the recording of this announcement's approved text?")
    digest = sha256_file(path)
    return Speech(samples, rate, "recorded", path.name, f"sha256:{digest[:16]}", (), tuple(warnings),
                  dict(details or {}))


__all__ = ["Speech", "SpeechError", "VoiceUnavailable", "synthesize", "station_ident", "speech_fingerprint",
           "load_recording", "has_speech_route", "spoken_paragraphs", "reading_first"]
