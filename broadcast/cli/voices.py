"""`broadcast voices`: what can speak each language on this machine, and why not; every engine,
installed or not, and the line that adds a voice of it."""

from __future__ import annotations

import json

import click

from broadcast.cli.root import pass_workspace
from broadcast.cli.ui import console, show_path
from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.languages import LANGUAGES, SOURCE_LANGUAGE, language_name
from broadcast.speech.catalogue import ADD_LINE_NOTE, engine_catalogue
from broadcast.speech.engines import get_engine
from broadcast.speech.voices import languages_with_voices, load_voice_list


def voice_report(ws: Workspace, langs: tuple[str, ...] = ()) -> list[dict]:
    """Every language with voices (or the languages asked for, with voices or not), each voice
    with its engine, settings and availability now, and each engine with whether it is installed,
    whether it speaks the language, and the line that adds a voice of it. Network probes are
    cached for the run, so each host is asked once."""
    report = []
    for lang in langs or languages_with_voices(ws.voices_dir):
        voice_list = load_voice_list(ws.voices_dir, lang)
        voices = []
        for voice in voice_list.voices:
            engine = get_engine(voice.engine)
            ok, why = engine.available(voice)
            voices.append({"id": voice.id, "engine": voice.engine, "engine_version": engine.version() if ok else None,
                           "settings": voice.settings, "fallback": voice.fallback,
                           "available": ok, "reason": why})
        report.append({"lang": lang, "name": language_name(lang),
                       "file": str(voice_list.source) if voice_list.source else None, "voices": voices,
                       "engines": [e.as_dict() for e in engine_catalogue(lang)]})
    return report


def _example_language(ws: Workspace, report: list[dict]) -> str:
    """The language the engine list shows its example lines for: the first language an area
    speaks that has no voice yet, else Vietnamese."""
    voiced = {r["lang"] for r in report if r["voices"]}
    spoken = [lang for area in ws.config.areas.values() for lang in area.languages]
    return next((lang for lang in spoken if lang not in voiced), SOURCE_LANGUAGE)


def _print_engines(lang: str, engines: list[dict]) -> None:
    head = f"Engines (examples for {lang}, {language_name(lang)})"
    console.print(f"[bold]{head}[/bold]" if console.is_terminal else head)
    for e in engines:
        state = f"installed ({e['detail']})" if e["installed"] else f"not installed: {e['detail']}"
        console.print(f"  {e['engine']:<10} {state}", markup=False)
        speaks = {True: f"speaks {lang}", False: f"cannot speak {lang}", None: ""}[e["speaks"]]
        console.print(f"             {'; '.join(x for x in (speaks, e['note']) if x)}", markup=False)
        console.print(f"             add: {e['example']}", markup=False)
    console.print(f"  (each add line is {ADD_LINE_NOTE.format(lang=lang)})", markup=False)


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--lang", "langs", multiple=True, metavar="TAG",
                  help="Only this language (BCP 47 tag, e.g. vi), with or without voices; repeat for more.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for scripts).")
    @pass_workspace
    def voices(ws: Workspace, langs: tuple[str, ...], as_json: bool) -> None:
        """Engines and voices per language (from voices/<lang>.toml), in the order they are tried,
        and whether each can be used on this machine now, or why not.

        Every engine (espeak-ng, gTTS, Piper, Coqui TTS, a recorded reading) is listed, installed
        or not, with one line of TOML that adds a voice of it for a language. Online voices are
        checked with a network probe of at most 2 seconds."""
        unknown = [tag for tag in langs if tag not in LANGUAGES]
        if unknown:
            raise BroadcastError(f"unknown language {', '.join(unknown)}", hint=f"known: {', '.join(LANGUAGES)}")
        report = voice_report(ws, langs)
        if as_json:
            click.echo(json.dumps(report, ensure_ascii=False, indent=2))
            return
        for entry in report:
            usable = next((v["id"] for v in entry["voices"] if v["available"]), None)
            head = f"{entry['lang']}  {entry['name']}  ({show_path(entry['file'])})" if entry["file"] \
                else f"{entry['lang']}  {entry['name']}  (no voices/{entry['lang']}.toml)"
            console.print(f"[bold]{head}[/bold]" if console.is_terminal else head)
            for n, v in enumerate(entry["voices"], 1):
                settings = " ".join(f"{k}={v['settings'][k]}" for k in sorted(v["settings"]))
                state = (f"available ({v['engine']} {v['engine_version']})" if v["available"]
                         else f"unavailable: {v['reason']}")
                tail = "" if v["fallback"] else "  [no fallback]"
                console.print(f"  {n}. {v['id']:<12} {v['engine']:<10} {settings}  {state}{tail}", markup=False)
            console.print(f"  → speaks with {usable}" if usable else "  → no voice usable here now", markup=False)
        if not langs:
            rest = [tag for tag in LANGUAGES if tag not in {r["lang"] for r in report}]
            if rest:
                console.print(f"no synthetic voice: {', '.join(rest)} — these need a recording of the approved "
                              "translation (translations/<id>/<lang>.wav|mp3|m4a) or a voice (below)", markup=False)
        console.print("", markup=False)
        for_lang = langs[0] if langs else _example_language(ws, report)
        engines = next((r["engines"] for r in report if r["lang"] == for_lang), None) \
            or [e.as_dict() for e in engine_catalogue(for_lang)]
        _print_engines(for_lang, engines)
        for entry in report[1:] if langs else ():
            console.print("", markup=False)
            _print_engines(entry["lang"], entry["engines"])
