"""`broadcast voices` tells the truth about this machine."""

from __future__ import annotations

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
