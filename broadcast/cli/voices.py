"""`broadcast voices`: what can speak each language on this machine, and why not."""

from __future__ import annotations

import json

import click

from broadcast.cli.root import pass_workspace
from broadcast.core.config import Workspace
from broadcast.core.languages import LANGUAGES, language_name
from broadcast.cli.ui import console, show_path


def voice_report(ws: Workspace) -> list[dict]:
    """Every language with voices, each voice with its engine, settings and availability now.
    Network probes are cached for the run, so each host is asked once."""
    from broadcast.speech.engines import get_engine
    from broadcast.speech.voices import languages_with_voices, load_voice_list

    report = []
    for lang in languages_with_voices(ws.voices_dir):
        voice_list = load_voice_list(ws.voices_dir, lang)
        voices = []
        for voice in voice_list.voices:
            engine = get_engine(voice.engine)
            ok, why = engine.available(voice)
            voices.append({"id": voice.id, "engine": voice.engine, "engine_version": engine.version() if ok else None,
                           "settings": voice.settings, "fallback": voice.fallback,
                           "available": ok, "reason": why})
        report.append({"lang": lang, "name": language_name(lang),
                       "file": str(voice_list.source) if voice_list.source else None, "voices": voices})
    return report


def register(cli: click.Group) -> None:
    @cli.command()
    @click.option("--lang", "langs", multiple=True, metavar="TAG",
                  help="Only this language (BCP 47 tag, e.g. vi); repeat for more.")
    @click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (for scripts).")
    @pass_workspace
    def voices(ws: Workspace, langs: tuple[str, ...], as_json: bool) -> None:
        """Engines and voices per language (from voices/<lang>.toml), in the order they are tried,
        and whether each can be used on this machine now, or why not.

        Online voices are checked with a network probe of at most 2 seconds."""
        full = voice_report(ws)
        report = [r for r in full if not langs or r["lang"] in langs]
        if as_json:
            click.echo(json.dumps(report, ensure_ascii=False, indent=2))
            return
        for entry in report:
            usable = next((v["id"] for v in entry["voices"] if v["available"]), None)
            head = f"{entry['lang']}  {entry['name']}  ({show_path(entry['file'])})" if entry["file"] else entry["lang"]
            console.print(f"[bold]{head}[/bold]" if console.is_terminal else head)
            for n, v in enumerate(entry["voices"], 1):
                settings = " ".join(f"{k}={v['settings'][k]}" for k in sorted(v["settings"]))
                state = (f"available ({v['engine']} {v['engine_version']})" if v["available"]
                         else f"unavailable: {v['reason']}")
                tail = "" if v["fallback"] else "  [no fallback]"
                console.print(f"  {n}. {v['id']:<12} {v['engine']:<10} {settings}  {state}{tail}", markup=False)
            console.print(f"  → speaks with {usable}" if usable else "  → no voice usable here now", markup=False)
        if not langs:
            rest = [tag for tag in LANGUAGES if tag not in {r["lang"] for r in full}]
            if rest:
                console.print(f"no synthetic voice: {', '.join(rest)} — these need a recording of the approved "
                              "translation (translations/<id>/<lang>.wav|mp3|m4a)", markup=False)
