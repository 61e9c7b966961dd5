"""Speech: real espeak-ng on the example announcements, gTTS behind a fake network, a Piper
voice generated at test time, recordings checked, the cache."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import numpy as np
import pytest

from broadcast.core.errors import BroadcastError
from broadcast.speech import (
    Speech,
    SpeechError,
    has_speech_route,
    load_recording,
    speech_fingerprint,
    station_ident,
    synthesize,
)
from broadcast.speech import engines
from broadcast.speech.engines import EspeakEngine, GttsEngine
from broadcast.speech.voices import install_default_voices, load_voice_list, packaged_voices_dir

from conftest import tone, write_tone, write_wav

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples" / "announcements").glob("*.md"))


def body(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("---", 2)[2].strip()


def rms_dbfs(samples: np.ndarray) -> float:
    return 20 * np.log10(float(np.sqrt(np.mean(samples.astype(np.float64) ** 2))) + 1e-12)


def write_voices(ws, lang: str, toml: str) -> None:
    (ws.root / "voices" / f"{lang}.toml").write_text(toml, encoding="utf-8")


@pytest.fixture(autouse=True)
def fresh_engines(monkeypatch):
    """Each test gets its own engine table and forgets network probes."""
    monkeypatch.setattr(engines, "ENGINES", dict(engines.ENGINES))
    engines.reset_probes()
    yield
    engines.reset_probes()


# --- espeak-ng, the embedded default ------------------------------------------------------

@pytest.mark.parametrize("path", EXAMPLES, ids=[p.stem for p in EXAMPLES])
def test_examples_speak_offline_with_espeak(ws, path: Path) -> None:
    speech = synthesize(ws.load(), "vi", body(path))
    assert isinstance(speech, Speech)
    assert (speech.engine, speech.voice, speech.fallbacks) == ("espeak-ng", "vi-north", ())
    assert speech.engine_version[:1].isdigit()
    assert speech.sample_rate == 22050
    assert speech.samples.dtype == np.float32 and speech.samples.ndim == 1  # mono
    assert float(np.max(np.abs(speech.samples))) <= 1.0
    assert rms_dbfs(speech.samples) > -35  # speech, not silence
    assert 5 < speech.duration < 120


def test_duration_grows_with_text(ws) -> None:
    w = ws.load()
    texts = sorted((body(p) for p in EXAMPLES), key=len)
    durations = [synthesize(w, "vi", t).duration for t in texts]
    assert durations == sorted(durations)
    one = synthesize(w, "vi", "Xin mời bà con đến họp.").duration
    two = synthesize(w, "vi", "Xin mời bà con đến họp. Xin mời bà con đến họp.").duration
    assert two > 2 * one  # twice the words plus a sentence pause


def test_paragraph_pause_is_longer_than_sentence_pause(ws) -> None:
    w = ws.load()
    sentences = synthesize(w, "vi", "Xin chào bà con. Xin chào bà con.").duration
    paragraphs = synthesize(w, "vi", "Xin chào bà con.\n\nXin chào bà con.").duration
    assert paragraphs - sentences == pytest.approx(0.5, abs=0.05)


def test_rate_setting_slows_speech(ws) -> None:
    text = body(EXAMPLES[0])
    normal = synthesize(ws.load(), "vi", text).duration
    write_voices(ws, "vi", '[[voice]]\nid = "vi-slow"\nengine = "espeak-ng"\nvoice = "vi"\nrate = 100\n')
    slow = synthesize(ws.load(), "vi", text)
    assert slow.voice == "vi-slow" and slow.duration > normal * 1.2


def test_other_espeak_languages(ws) -> None:
    for lang, text in (("yue", "你好，歡迎收聽。"), ("cmn", "你好，欢迎收听。")):
        speech = synthesize(ws.load(), lang, text)
        assert speech.engine == "espeak-ng" and speech.duration > 0.5


def test_text_reaches_espeak_utf8_without_a_shell(ws, tmp_path) -> None:
    # Quotes, semicolons, $() and backticks would run in a shell; stdin carries them as text.
    # The canary is a file a shell would create: harmless if the guarantee ever breaks.
    canary = tmp_path / "canary"
    speech = synthesize(ws.load(), "vi", f"Bà con chú ý: \"$(touch {canary})\"; `touch {canary}` — Ủy ban nhân dân xã.")
    assert speech.duration > 1
    assert not canary.exists(), "the text was run by a shell"


def test_unknown_voice_falls_back_and_is_recorded(ws) -> None:
    write_voices(ws, "vi", """
[[voice]]
id = "vi-broken"
engine = "espeak-ng"
voice = "no-such-voice"
fallback = true

[[voice]]
id = "vi-ok"
engine = "espeak-ng"
voice = "vi"
""")
    speech = synthesize(ws.load(), "vi", "Xin chào.")
    assert speech.voice == "vi-ok"
    assert len(speech.fallbacks) == 1 and speech.fallbacks[0].startswith("vi-broken: ")
    assert "no-such-voice" in speech.fallbacks[0]


def test_no_fallback_means_a_clear_error(ws) -> None:
    write_voices(ws, "vi", '[[voice]]\nid = "vi-broken"\nengine = "espeak-ng"\nvoice = "zz"\nfallback = false\n'
                 '[[voice]]\nid = "vi-ok"\nengine = "espeak-ng"\nvoice = "vi"\n')
    with pytest.raises(SpeechError) as err:
        synthesize(ws.load(), "vi", "Xin chào.")
    assert isinstance(err.value, BroadcastError)
    assert "vi-broken" in str(err.value) and "fall" in str(err.value)


def test_bad_voice_file_names_file_and_field(ws) -> None:
    write_voices(ws, "vi", '[[voice]]\nid = "x"\nengine = "festival"\n')
    with pytest.raises(SpeechError) as err:
        synthesize(ws.load(), "vi", "Xin chào.")
    assert "vi.toml" in str(err.value) and "festival" in str(err.value)


def test_language_without_voices(ws) -> None:
    ok, reason = has_speech_route(ws.load(), "hmn")
    assert not ok and "recording" in reason
    with pytest.raises(SpeechError, match="no synthetic voice for hmn"):
        synthesize(ws.load(), "hmn", "Nyob zoo")


def test_has_speech_route_for_vi(ws) -> None:
    assert has_speech_route(ws.load(), "vi") == (True, "vi-north")


def test_empty_text_is_refused(ws) -> None:
    with pytest.raises(SpeechError, match="nothing to say"):
        synthesize(ws.load(), "vi", "  \n\n -- \n")


def test_station_ident_synthesised(ws) -> None:
    speech = station_ident(ws.load())
    assert speech.engine == "espeak-ng" and 1.0 < speech.duration < 10


def test_station_ident_prefers_a_recording(ws) -> None:
    write_tone(ws.root / "voices" / "ident.wav", 2.5, 220)
    speech = station_ident(ws.load())
    assert (speech.engine, speech.voice) == ("recorded", "ident.wav")


# --- cache --------------------------------------------------------------------------------

def test_cache_hit_does_not_run_the_engine(ws, monkeypatch) -> None:
    w = ws.load()
    first = synthesize(w, "vi", "Lịch tiêm chủng tháng 12.")
    calls = []

    def refuse(self, text, voice):
        calls.append(text)
        raise AssertionError("engine ran on a cache hit")

    monkeypatch.setattr(EspeakEngine, "synthesize", refuse)
    second = synthesize(w, "vi", "Lịch tiêm chủng tháng 12.")
    assert calls == []
    assert np.array_equal(first.samples, second.samples) and second.sample_rate == first.sample_rate
    assert (second.engine, second.voice, second.engine_version) == (first.engine, first.voice, first.engine_version)
    files = list((w.cache_dir / "speech").iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"  # no temporary files left behind


def test_fingerprint_tracks_text_settings_and_engine_version(ws, monkeypatch) -> None:
    w = ws.load()
    base = speech_fingerprint(w, "vi", "Xin chào bà con.")
    assert base == speech_fingerprint(w, "vi", "Xin chào bà con.")
    assert len(base) == 64
    # the same spoken words written differently give the same key
    assert speech_fingerprint(w, "vi", "Lớp 10.") == speech_fingerprint(w, "vi", "Lớp mười.")
    assert speech_fingerprint(w, "vi", "Xin chào cả nhà.") != base
    monkeypatch.setattr(EspeakEngine, "version", lambda self: "9.99")
    assert speech_fingerprint(w, "vi", "Xin chào bà con.") != base
    monkeypatch.undo()
    engines.reset_probes()
    write_voices(ws, "vi", '[[voice]]\nid = "vi-north"\nengine = "espeak-ng"\nvoice = "vi"\nrate = 120\n')
    assert speech_fingerprint(ws.load(), "vi", "Xin chào bà con.") != base


def test_synthesis_after_settings_change_is_not_served_from_cache(ws) -> None:
    text = "Xin chào bà con."
    fast = synthesize(ws.load(), "vi", text)
    write_voices(ws, "vi", '[[voice]]\nid = "vi-north"\nengine = "espeak-ng"\nvoice = "vi"\nrate = 90\n')
    slow = synthesize(ws.load(), "vi", text)
    assert slow.duration > fast.duration


# --- gTTS, with the network replaced ------------------------------------------------------

def mp3_of_tone(seconds: float = 1.0) -> bytes:
    out = subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"sine=frequency=300:duration={seconds}",
                          "-ac", "1", "-ar", "24000", "-f", "mp3", "pipe:1"], capture_output=True, check=True)
    return out.stdout


class FakeGTTS:
    """The gTTS interface (constructor keywords, write_to_fp) without the network."""

    mode = "ok"
    seen: list[dict] = []
    audio = b""

    def __init__(self, text, tld="com", lang="en", slow=False, lang_check=True, timeout=None, **kw):
        self.kw = dict(text=text, tld=tld, lang=lang, slow=slow, timeout=timeout)
        FakeGTTS.seen.append(self.kw)

    def write_to_fp(self, fp):
        if self.mode == "hang":
            time.sleep(30)
        if self.mode == "fail":
            from gtts.tts import gTTSError

            raise gTTSError("Failed to connect. Probable cause: Unknown")
        fp.write(self.audio)


GTTS_FIRST = """
[[voice]]
id = "vi-gtts"
engine = "gtts"
lang = "vi"
timeout = {timeout}
fallback = {fallback}

[[voice]]
id = "vi-north"
engine = "espeak-ng"
voice = "vi"
"""


def use_fake_gtts(mode: str, reachable: bool = True) -> None:
    FakeGTTS.mode, FakeGTTS.seen, FakeGTTS.audio = mode, [], mp3_of_tone() if mode == "ok" else b""
    engines.ENGINES["gtts"] = GttsEngine(
        client=FakeGTTS, probe=lambda host, port: (True, "reachable") if reachable else (False, "network unreachable (fake)"))


def test_gtts_voice_used_when_online(ws) -> None:
    use_fake_gtts("ok")
    write_voices(ws, "vi", GTTS_FIRST.format(timeout=5, fallback="true"))
    speech = synthesize(ws.load(), "vi", "Xin chào bà con. Lớp 10.")
    assert (speech.engine, speech.voice, speech.sample_rate) == ("gtts", "vi-gtts", 24000)
    assert speech.duration > 1.5
    assert [s["text"] for s in FakeGTTS.seen] == ["Xin chào bà con.", "Lớp mười."]  # normalised, per sentence
    assert all(s["lang"] == "vi" and s["timeout"] == 5 for s in FakeGTTS.seen)


def test_gtts_hang_is_bounded_and_falls_back(ws) -> None:
    use_fake_gtts("hang")
    write_voices(ws, "vi", GTTS_FIRST.format(timeout=0.5, fallback="true"))
    start = time.monotonic()
    speech = synthesize(ws.load(), "vi", "Xin chào bà con.")
    assert time.monotonic() - start < 5
    assert speech.voice == "vi-north"
    assert speech.fallbacks and speech.fallbacks[0].startswith("vi-gtts: gTTS gave no answer within")


def test_gtts_failure_without_fallback_is_a_clear_error(ws) -> None:
    use_fake_gtts("fail")
    write_voices(ws, "vi", GTTS_FIRST.format(timeout=1, fallback="false"))
    start = time.monotonic()
    with pytest.raises(SpeechError) as err:
        synthesize(ws.load(), "vi", "Xin chào bà con.")
    assert time.monotonic() - start < 5
    assert "vi-gtts" in str(err.value) and "gTTS failed" in str(err.value)


def test_gtts_unreachable_is_skipped_without_trying(ws) -> None:
    use_fake_gtts("hang", reachable=False)
    write_voices(ws, "vi", GTTS_FIRST.format(timeout=10, fallback="true"))
    start = time.monotonic()
    speech = synthesize(ws.load(), "vi", "Xin chào.")
    assert time.monotonic() - start < 3 and FakeGTTS.seen == []
    assert speech.voice == "vi-north" and speech.fallbacks == ("vi-gtts: network unreachable (fake)",)


def test_real_gtts_library_fails_fast_offline(ws, monkeypatch) -> None:
    """The real gTTS code path, its connection refused by a proxy on a closed local port."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    for var in ("https_proxy", "HTTPS_PROXY", "http_proxy", "HTTP_PROXY"):
        monkeypatch.setenv(var, f"http://127.0.0.1:{port}")
    monkeypatch.delenv("no_proxy", raising=False)
    monkeypatch.delenv("NO_PROXY", raising=False)
    engines.ENGINES["gtts"] = GttsEngine(probe=lambda host, port: (True, "reachable"))
    write_voices(ws, "km", '[[voice]]\nid = "km-gtts"\nengine = "gtts"\nlang = "km"\ntimeout = 2\n')
    start = time.monotonic()
    with pytest.raises(SpeechError) as err:
        synthesize(ws.load(), "km", "សួស្តី")
    assert time.monotonic() - start < 10
    assert "km-gtts" in str(err.value) and "gTTS failed" in str(err.value)


def test_real_network_probe_is_bounded_and_cached(ws) -> None:
    engines.reset_probes()
    start = time.monotonic()
    ok, reason = engines.probe_network("127.0.0.1", 9, timeout=1.0)  # discard port: nothing listens
    assert time.monotonic() - start < 2.5
    assert not ok and "network unreachable" in reason
    again = time.monotonic()
    assert engines.probe_network("127.0.0.1", 9, timeout=1.0) == (ok, reason)
    assert time.monotonic() - again < 0.05


def test_km_has_no_route_offline(ws) -> None:
    use_fake_gtts("ok", reachable=False)
    ok, reason = has_speech_route(ws.load(), "km")
    assert not ok and "network unreachable" in reason


# --- Piper, on a voice generated here -----------------------------------------------------

def make_piper_voice(folder: Path, rate: int = 16000) -> Path:
    """A tiny ONNX graph with Piper's interface: ids [1,N] → audio [1,1,N*256] (a tone whose
    pitch follows the phoneme ids), plus its .onnx.json."""
    import json

    import onnx
    from onnx import TensorProto, helper
    from piper.phoneme_ids import DEFAULT_PHONEME_ID_MAP

    nodes = [
        helper.make_node("Cast", ["input"], ["ids"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["ids", "axis1"], ["ids3"]),
        helper.make_node("Tile", ["ids3", "repeats"], ["tiled"]),
        helper.make_node("Mul", ["tiled", "step"], ["phase"]),
        helper.make_node("Sin", ["phase"], ["wave"]),
        helper.make_node("Mul", ["wave", "gain"], ["output"]),
    ]
    inits = [
        helper.make_tensor("axis1", TensorProto.INT64, [1], [1]),
        helper.make_tensor("repeats", TensorProto.INT64, [3], [1, 1, 256]),
        helper.make_tensor("step", TensorProto.FLOAT, [], [0.37]),
        helper.make_tensor("gain", TensorProto.FLOAT, [], [0.5]),
    ]
    graph = helper.make_graph(
        nodes, "tiny-piper",
        [helper.make_tensor_value_info("input", TensorProto.INT64, [1, "N"]),
         helper.make_tensor_value_info("input_lengths", TensorProto.INT64, [1]),
         helper.make_tensor_value_info("scales", TensorProto.FLOAT, [3])],
        [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "T"])],
        inits,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    path = folder / "vi-test.onnx"
    onnx.save(model, str(path))
    path.with_name(path.name + ".json").write_text(json.dumps({
        "audio": {"sample_rate": rate}, "espeak": {"voice": "vi"}, "num_symbols": 256,
        "num_speakers": 1, "phoneme_id_map": DEFAULT_PHONEME_ID_MAP,
    }), encoding="utf-8")
    return path


PIPER_FIRST = """
[[voice]]
id = "vi-piper"
engine = "piper"
model = "vi-test.onnx"
rate = 0.9
"""


def test_piper_voice_loads_and_speaks(ws) -> None:
    make_piper_voice(ws.root / "voices")
    write_voices(ws, "vi", PIPER_FIRST)
    assert has_speech_route(ws.load(), "vi") == (True, "vi-piper")
    short = synthesize(ws.load(), "vi", "Xin chào.")
    long = synthesize(ws.load(), "vi", "Xin chào bà con. Ủy ban nhân dân xã thông báo lịch tiêm chủng.")
    assert (short.engine, short.voice, short.sample_rate) == ("piper", "vi-piper", 16000)
    assert short.engine_version[:1].isdigit()
    assert rms_dbfs(short.samples) > -20 and long.duration > short.duration


def test_piper_model_change_changes_fingerprint(ws) -> None:
    model = make_piper_voice(ws.root / "voices")
    write_voices(ws, "vi", PIPER_FIRST)
    before = speech_fingerprint(ws.load(), "vi", "Xin chào.")
    make_piper_voice(ws.root / "voices", rate=22050)
    model.touch()
    assert speech_fingerprint(ws.load(), "vi", "Xin chào.") != before


def test_piper_missing_model_falls_back(ws) -> None:
    write_voices(ws, "vi", PIPER_FIRST + '[[voice]]\nid = "vi-north"\nengine = "espeak-ng"\nvoice = "vi"\n')
    speech = synthesize(ws.load(), "vi", "Xin chào.")
    assert speech.voice == "vi-north"
    assert "model file missing" in speech.fallbacks[0]


# --- Coqui: optional extra ----------------------------------------------------------------

def test_coqui_without_extra_says_what_to_install(ws) -> None:
    write_voices(ws, "vi", '[[voice]]\nid = "vi-coqui"\nengine = "coqui"\nmodel = "coqui-vi"\nfallback = false\n')
    ok, reason = has_speech_route(ws.load(), "vi")
    assert not ok
    import importlib.util

    if importlib.util.find_spec("TTS") is None:
        assert "[coqui]" in reason
    else:
        assert "model folder missing" in reason


@pytest.mark.coqui
def test_coqui_tiny_vits_real_path(ws, tmp_path) -> None:  # pragma: no cover - needs the extra
    pytest.importorskip("TTS")
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits

    folder = ws.root / "voices" / "coqui-vi"
    folder.mkdir()
    config = VitsConfig(use_phonemes=False, text_cleaner="basic_cleaners")
    config.model_args.hidden_channels = 16
    config.audio.sample_rate = 16000
    model = Vits.init_from_config(config)
    import torch

    torch.save({"model": model.state_dict(), "config": config.to_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    write_voices(ws, "vi", '[[voice]]\nid = "vi-coqui"\nengine = "coqui"\nmodel = "coqui-vi"\n')
    speech = synthesize(ws.load(), "vi", "xin chao")
    assert speech.engine == "coqui" and speech.duration > 0


# --- recordings ---------------------------------------------------------------------------

TEXT_12_WORDS = "Ủy ban nhân dân xã thông báo lịch tiêm chủng cho trẻ em."


def test_recording_loads_mono_float(tmp_path) -> None:
    path = write_tone(tmp_path / "vi.wav", 4.0, 220)
    speech = load_recording(path, TEXT_12_WORDS, "vi")
    assert (speech.engine, speech.voice, speech.sample_rate) == ("recorded", "vi.wav", 16000)
    assert speech.samples.dtype == np.float32 and speech.duration == pytest.approx(4.0, abs=0.01)
    assert speech.warnings == () and speech.engine_version.startswith("sha256:")


def test_recording_mp3_and_m4a_decode(tmp_path) -> None:
    for ext, codec in (("mp3", "libmp3lame"), ("m4a", "aac")):
        path = tmp_path / f"vi.{ext}"
        subprocess.run(["ffmpeg", "-v", "error", "-f", "lavfi", "-i", "sine=frequency=300:duration=4",
                        "-ac", "2", "-ar", "44100", "-c:a", codec, str(path)], check=True)
        speech = load_recording(path, TEXT_12_WORDS, "vi")
        assert speech.sample_rate == 44100 and speech.samples.ndim == 1
        assert 3.9 < speech.duration < 4.2


def test_silent_recording_refused(tmp_path) -> None:
    path = write_wav(tmp_path / "hmn.wav", np.zeros(16000 * 3, np.float32))
    with pytest.raises(SpeechError) as err:
        load_recording(path, TEXT_12_WORDS, "hmn")
    assert "silent" in str(err.value) and "hmn.wav" in str(err.value)


def test_clipped_recording_warned(tmp_path) -> None:
    path = write_wav(tmp_path / "blt.wav", np.clip(tone(4.0, 220, amplitude=1.6), -1, 1))
    speech = load_recording(path, TEXT_12_WORDS, "blt")
    assert len(speech.warnings) == 1 and "clipped" in speech.warnings[0] and "blt.wav" in speech.warnings[0]


def test_implausible_duration_refused(tmp_path) -> None:
    short = write_tone(tmp_path / "short.wav", 0.5, 220)
    with pytest.raises(SpeechError, match="expected"):
        load_recording(short, " ".join(["chữ"] * 120), "vi")
    long = write_tone(tmp_path / "long.wav", 60, 220)
    with pytest.raises(SpeechError, match="wrong|expected"):
        load_recording(long, "Xin chào.", "vi")


def test_unreadable_recording_is_a_clear_error(tmp_path) -> None:
    path = tmp_path / "vi.wav"
    path.write_bytes(b"this is not audio")
    with pytest.raises(SpeechError) as err:
        load_recording(path, TEXT_12_WORDS, "vi")
    assert "vi.wav" in str(err.value)


# --- voice files ------------------------------------------------------------------------

def test_install_default_voices_copies_without_overwriting(tmp_path) -> None:
    target = tmp_path / "voices"
    target.mkdir()
    (target / "vi.toml").write_text("# mine\n", encoding="utf-8")
    copied = install_default_voices(target)
    assert "vi.toml" not in copied and {"yue.toml", "cmn.toml", "km.toml"} <= set(copied)
    assert (target / "vi.toml").read_text(encoding="utf-8") == "# mine\n"
    assert install_default_voices(target) == []


def test_repository_voices_are_links_to_the_packaged_files() -> None:
    packaged = sorted(p.name for p in packaged_voices_dir().glob("*.toml"))
    assert packaged == sorted(p.name for p in (REPO / "voices").glob("*.toml"))
    for name in packaged:
        link = REPO / "voices" / name
        assert link.is_symlink() and not Path(link.readlink()).is_absolute()
        assert link.resolve() == (packaged_voices_dir() / name).resolve()


def test_packaged_vi_voices(tmp_path) -> None:
    voice_list = load_voice_list(tmp_path, "vi")
    ids = [v.id for v in voice_list.voices]
    assert ids[:4] == ["vi-north", "vi-central", "vi-south", "vi-female"]
    assert [v.settings["voice"] for v in voice_list.voices[:4]] == ["vi", "vi-vn-x-central", "vi-vn-x-south", "vi+f3"]
    assert ids.index("vi-gtts") > 3  # online below the offline voices
    assert all(130 <= v.settings["rate"] <= 145 for v in voice_list.voices if v.engine == "espeak-ng")


def _speak_in_process(root: str, text: str) -> tuple[float, str]:
    from broadcast.core.config import load_workspace

    speech = synthesize(load_workspace(root), "vi", text)
    return speech.duration, speech.voice


def test_parallel_processes_share_the_cache_safely(ws) -> None:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    texts = [f"Thông báo số {n}. Xin cảm ơn bà con." for n in range(3)] * 2
    with ProcessPoolExecutor(max_workers=2, mp_context=multiprocessing.get_context("fork")) as pool:
        results = list(pool.map(_speak_in_process, [str(ws.root)] * len(texts), texts))
    assert all(voice == "vi-north" and duration > 1 for duration, voice in results)
    assert results[:3] == results[3:]
    files = sorted((ws.load().cache_dir / "speech").iterdir())
    assert len(files) == 3 and all(f.suffix == ".npz" for f in files)
