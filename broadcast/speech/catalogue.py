"""Every way a language can be spoken here — espeak-ng, gTTS, Piper, Coqui TTS and a person's
recorded reading — whether each is installed (or why not), whether it can speak a given
language, and the one line of TOML that adds a voice of it to voices/<lang>.toml.

The line is a whole `voices/<lang>.toml` by itself (`voice = [{ … }]`, an inline array of
tables); in a file that already has `[[voice]]` tables, the same keys go in one more
`[[voice]]` table, placed where it should be tried."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from broadcast.speech.engines import ESPEAK_DEFAULT_RATE, GTTS_DEFAULT_TIMEOUT_S, get_engine
from broadcast.speech.voices import ENGINES, RECORDED, Voice

ALL_ENGINES = (*ENGINES, RECORDED)
# A Piper voice published for the language (https://huggingface.co/rhasspy/piper-voices), used
# in the example line; other languages get a placeholder name.
PIPER_MODELS = {"vi": "vi_VN-vais1000-medium.onnx", "zh": "zh_CN-huayan-medium.onnx",
                "cmn": "zh_CN-huayan-medium.onnx", "en": "en_US-lessac-medium.onnx"}
ADD_LINE_NOTE = ("a whole new voices/{lang}.toml; in a file with [[voice]] tables, write the same keys "
                 "as one more [[voice]] table where it should be tried")


@dataclass(frozen=True)
class EngineInfo:
    engine: str
    installed: bool
    detail: str            # its version, or why it is not installed and how to install it
    offline: bool
    speaks: bool | None    # can it speak the language (None: depends on the model you add)
    note: str              # what else a voice of it needs for the language
    example: str           # one line of TOML adding a voice of it for the language

    def as_dict(self) -> dict:
        return asdict(self)


def _toml(**keys) -> str:
    def value(v) -> str:
        return str(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else f'"{v}"'

    return "voice = [{ " + ", ".join(f"{k} = {value(v)}" for k, v in keys.items()) + " }]"


def _espeak(lang: str) -> EngineInfo:
    engine = get_engine("espeak-ng")
    ok, detail = engine.installed()
    name = engine.voice_for(lang) if ok else None
    note = ("offline, robotic but clear; the embedded default" if name else
            f"espeak-ng has no {lang} voice here (`espeak-ng --voices` lists the ones it has)" if ok else
            "install espeak-ng first")
    return EngineInfo("espeak-ng", ok, detail, True, bool(name) if ok else None, note,
                      _toml(id=f"{lang}-espeak", engine="espeak-ng", voice=name or lang, rate=ESPEAK_DEFAULT_RATE))


def _gtts(lang: str, probe: bool) -> EngineInfo:
    engine = get_engine("gtts")
    ok, detail = engine.installed()
    code = engine.voice_for(lang) if ok else None
    if not ok:
        note = "install gTTS first"
    elif code is None:
        note = f"Google's voices do not include {lang}"
    else:
        reachable, why = (engine.available(Voice(f"{lang}-gtts", lang, "gtts", {"lang": code})) if probe
                          else (None, ""))
        note = ("online only; Google's servers answer now" if reachable else
                f"online only; now: {why}" if reachable is False else "online only")
    return EngineInfo("gtts", ok, detail, False, bool(code) if ok else None, note,
                      _toml(id=f"{lang}-gtts", engine="gtts", lang=code or lang,
                            timeout=int(GTTS_DEFAULT_TIMEOUT_S)))


def _piper(lang: str) -> EngineInfo:
    ok, detail = get_engine("piper").installed()
    model = PIPER_MODELS.get(lang, f"{lang}-voice.onnx")
    note = (f"offline; needs a Piper voice for {lang}: copy {model} and {model}.json into voices/"
            + ("" if lang in PIPER_MODELS else f" (a Piper voice trained for {lang}, under any name)"))
    return EngineInfo("piper", ok, detail, True, None, note, _toml(id=f"{lang}-piper", engine="piper", model=model))


def _coqui(lang: str) -> EngineInfo:
    ok, detail = get_engine("coqui").installed()
    folder = f"{lang}-coqui"
    note = f"offline; needs a model trained for {lang}: a folder voices/{folder}/ with its *.pth checkpoint and config.json"
    return EngineInfo("coqui", ok, detail, True, None, note, _toml(id=folder, engine="coqui", model=folder))


def _recorded(lang: str) -> EngineInfo:
    note = (f"a person's accepted reading of the approved text, aired before the voices when no line says "
            f"otherwise: broadcast record ID --lang {lang} FILE --by NAME; the line marks its place — "
            "put it after the voices that should go first")
    return EngineInfo(RECORDED, True, "built in: takes in wav, mp3 or m4a", True, True, note,
                      _toml(id=f"{lang}-reading", engine=RECORDED))


def engine_catalogue(lang: str, *, probe: bool = True) -> list[EngineInfo]:
    """Each engine for `lang`, in the order of ALL_ENGINES. `probe`: ask gTTS's server whether it
    answers now (at most 2 s, once per run)."""
    return [_espeak(lang), _gtts(lang, probe), _piper(lang), _coqui(lang), _recorded(lang)]


def how_to_add(lang: str, announcement_id: str = "ID") -> str:
    """One sentence for a language without a synthetic voice: record a reading, or add the
    first voice that could speak it."""
    engines = engine_catalogue(lang, probe=False)
    voice = next((e for e in engines if e.installed and e.speaks and e.engine != RECORDED), None) or \
        next(e for e in engines if e.engine == "piper")
    return (f"record a reading (broadcast record {announcement_id} --lang {lang} FILE --by NAME, once the text is "
            f"approved), or add a voice in voices/{lang}.toml: {voice.example} ({voice.note}); "
            f"`broadcast voices --lang {lang}` shows every engine")
