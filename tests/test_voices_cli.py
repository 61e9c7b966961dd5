"""`broadcast voices` tells the truth about this machine."""

from __future__ import annotations

import importlib.metadata
import importlib.util
import json

from broadcast.speech import engines


def test_voices_lists_languages_and_availability(ws) -> None:
    engines.reset_probes()
    expected_online, why = engines.probe_network("translate.google.com", 443)
    engines.reset_probes()
    result = ws.run("voices")
    assert result.exit_code == 0, result.output
    out = result.output
    for lang in ("vi", "yue", "cmn", "km", "zh", "en"):
        assert any(line.startswith(f"{lang} ") for line in out.splitlines()), lang
    north = next(line for line in out.splitlines() if "vi-north" in line)
    assert "espeak-ng" in north and "voice=vi" in north and "rate=140" in north and "available (espeak-ng" in north
    assert "vi-female" in out and "voice=vi+f3" in out
    gtts = next(line for line in out.splitlines() if "vi-gtts" in line)
    if expected_online:
        assert "available (gtts" in gtts
    else:
        assert "unavailable: network unreachable" in gtts
    assert "→ speaks with vi-north" in out
    assert "no synthetic voice:" in out and "hmn" in out


def test_voices_json_and_language_filter(ws) -> None:
    result = ws.run("voices", "--json", "--lang", "vi")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [r["lang"] for r in report] == ["vi"]
    first = report[0]["voices"][0]
    assert first["id"] == "vi-north" and first["available"] is True and first["engine_version"]


def test_voices_reports_a_missing_model_and_engine(ws) -> None:
    (ws.root / "voices" / "vi.toml").write_text(
        '[[voice]]\nid = "vi-piper"\nengine = "piper"\nmodel = "nope.onnx"\n'
        '[[voice]]\nid = "vi-x"\nengine = "espeak-ng"\nvoice = "xx-none"\n', encoding="utf-8")
    result = ws.run("voices", "--lang", "vi")
    assert result.exit_code == 0
    assert "model file missing" in result.output and "nope.onnx" in result.output
    assert "has no voice 'xx-none'" in result.output
    assert "→ no voice usable here now" in result.output


def test_voices_broken_file_is_a_message_not_a_traceback(ws) -> None:
    (ws.root / "voices" / "vi.toml").write_text("[[voice]\n", encoding="utf-8")
    result = ws.run("voices")
    assert result.exit_code == 1
    assert "vi.toml" in result.output and "Traceback" not in result.output


def test_voices_help_text(ws) -> None:
    result = ws.run("voices", "--help")
    assert result.exit_code == 0
    assert "machine" in result.output and "--lang" in result.output and "--json" in result.output
    assert "Only this language" in result.output and "JSON" in result.output


def _engine_block(out: str, engine: str) -> list[str]:
    """The three lines of one engine in the engine list: state, note, add line."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(f"  {engine} "))
    return lines[start:start + 3]


def test_voices_lists_every_engine_installed_or_not(ws) -> None:
    """piper-tts is installed in the project's environment, Coqui TTS is not: both are listed,
    with the reason and the line that adds a voice, though no voice of either is configured."""
    assert importlib.util.find_spec("piper") is not None and importlib.util.find_spec("TTS") is None
    result = ws.run("voices")
    assert result.exit_code == 0, result.output
    out = result.output
    rows = [line for line in out.splitlines() if line[:2] == "  " and line[2:3].isdigit()]
    assert rows and not any(" piper " in row or " coqui " in row for row in rows)   # none configured
    # the example language is the first an area speaks without a voice: blt (Bản Ly Xôm)
    assert "Engines (examples for blt" in out
    espeak = _engine_block(out, "espeak-ng")
    assert "installed (espeak-ng 1." in espeak[0] and "cannot speak blt" in espeak[1]
    piper = _engine_block(out, "piper")
    assert f"installed (piper-tts {importlib.metadata.version('piper-tts')})" in piper[0]
    assert piper[2].strip() == 'add: voice = [{ id = "blt-piper", engine = "piper", model = "blt-voice.onnx" }]'
    coqui = _engine_block(out, "coqui")
    assert "not installed: Coqui TTS is not installed" in coqui[0] and "pip install 'broadcast[coqui]'" in coqui[0]
    assert coqui[2].strip() == 'add: voice = [{ id = "blt-coqui", engine = "coqui", model = "blt-coqui" }]'
    gtts = _engine_block(out, "gtts")
    assert "installed (gTTS" in gtts[0] and "Google's voices do not include blt" in gtts[1]
    recorded = _engine_block(out, "recorded")
    assert "broadcast record ID --lang blt FILE --by NAME" in recorded[1]
    assert recorded[2].strip() == 'add: voice = [{ id = "blt-reading", engine = "recorded" }]'


def test_voices_for_a_language_without_voices_and_its_example_lines_work(ws) -> None:
    result = ws.run("voices", "--lang", "hmn")
    assert result.exit_code == 0, result.output
    assert "hmn  H'Mông  (no voices/hmn.toml)" in result.output and "→ no voice usable here now" in result.output
    assert "Engines (examples for hmn" in result.output
    # Each add line is a whole voices/hmn.toml: written as it is, the voice is listed and tried.
    for engine, reason in (("coqui", "Coqui TTS is not installed"), ("piper", "model file missing"),
                           ("espeak-ng", "espeak-ng has no voice 'hmn'")):
        line = _engine_block(result.output, engine)[2].strip().removeprefix("add: ")
        (ws.root / "voices" / "hmn.toml").write_text(line + "\n", encoding="utf-8")
        listed = ws.run("voices", "--lang", "hmn")
        assert listed.exit_code == 0, listed.output
        row = next(x for x in listed.output.splitlines() if x.startswith("  1. "))
        assert f"hmn-{'espeak' if engine == 'espeak-ng' else engine}" in row and engine in row
        assert f"unavailable: {reason}" in row, row
    # an espeak-ng line for a language espeak-ng speaks is usable at once
    yue = _engine_block(ws.run("voices", "--lang", "yue").output, "espeak-ng")
    assert "speaks yue" in yue[1]
    (ws.root / "voices" / "yue.toml").write_text(yue[2].strip().removeprefix("add: ") + "\n", encoding="utf-8")
    assert "→ speaks with yue-espeak" in ws.run("voices", "--lang", "yue").output


def test_voices_json_carries_the_engines(ws) -> None:
    result = ws.run("voices", "--json", "--lang", "vi", "--lang", "hmn")
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert [r["lang"] for r in report] == ["vi", "hmn"]
    vi, hmn = report
    assert vi["voices"][0]["id"] == "vi-north" and hmn["voices"] == [] and hmn["file"] is None
    engines = {e["engine"]: e for e in vi["engines"]}
    assert list(engines) == ["espeak-ng", "gtts", "piper", "coqui", "recorded"]
    assert engines["espeak-ng"]["installed"] is True and engines["espeak-ng"]["speaks"] is True
    assert engines["piper"]["installed"] is True and engines["piper"]["example"].startswith("voice = [{ ")
    assert engines["coqui"]["installed"] is False and "not installed" in engines["coqui"]["detail"]
    assert {e["engine"]: e["speaks"] for e in hmn["engines"]}["espeak-ng"] is False


def test_voices_unknown_language_is_one_line(ws) -> None:
    result = ws.run("voices", "--lang", "xx")
    assert result.exit_code == 1
    assert "unknown language xx" in result.output and "Traceback" not in result.output
