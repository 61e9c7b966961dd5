"""Speech engines behind one interface: `available(voice)` says whether a voice can be used here
now (and why not), `synthesize(text, voice)` turns one sentence into mono float32 samples and
their sample rate, `version()` names the engine build (part of the cache key).

Every engine failure is a SpeechError carrying the voice and the reason; nothing here waits
without a bound (subprocess timeouts, network deadlines)."""

from __future__ import annotations

import functools
import importlib.metadata
import importlib.util
import io
import math
import shutil
import socket
import subprocess
import threading
import time
from typing import Callable, Protocol

import numpy as np

from broadcast.core.fsutil import sha256_file
from broadcast.speech.audio import decode
from broadcast.speech.errors import SpeechError, VoiceUnavailable
from broadcast.speech.voices import Voice

ESPEAK_DEFAULT_RATE = 140  # words per minute; see data/voices/vi.toml for the measurement
ESPEAK_NAMES = {"zh": "cmn"}   # language tags whose espeak-ng voice has another name
GTTS_NAMES = {"zh": "zh-CN", "cmn": "zh-CN"}   # likewise for gTTS
PROBE_TIMEOUT_S = 2.0
PROBE_TTL_S = 300.0  # one `broadcast` run asks the network once
GTTS_DEFAULT_TIMEOUT_S = 10.0
GTTS_RATE = 24000  # gTTS returns 24 kHz MP3


class Engine(Protocol):
    name: str

    def version(self) -> str: ...

    def installed(self) -> tuple[bool, str]: ...

    def available(self, voice: Voice) -> tuple[bool, str]: ...

    def synthesize(self, text: str, voice: Voice) -> tuple[np.ndarray, int]: ...

    def fingerprint_extra(self, voice: Voice) -> str: ...


def _run_limit(text: str) -> float:
    return 30.0 + len(text) / 20.0


class PackageEngine:
    """What an engine that is a Python package says of itself: its version (that of the first
    of `dists` installed, "missing" when none is), and whether `module` can be imported here
    (`missing`, saying how to install it, when it cannot)."""

    module: str
    dists: tuple[str, ...]
    title: str    # the package's name in `installed()`
    missing: str

    def version(self) -> str:
        for dist in self.dists:
            try:
                return importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                continue
        return "missing"

    def absent(self) -> bool:
        return importlib.util.find_spec(self.module) is None

    def installed(self) -> tuple[bool, str]:
        if self.absent():
            return False, self.missing
        return True, f"{self.title} {self.version()}"


class EspeakEngine:
    """espeak-ng through a subprocess: text on stdin (no shell, no quoting), WAV on stdout."""

    name = "espeak-ng"

    def __init__(self, binary: str = "espeak-ng") -> None:
        self.binary = binary

    def _path(self) -> str | None:
        return shutil.which(self.binary)

    def installed(self) -> tuple[bool, str]:
        """Whether the engine itself is here (any voice of it aside), and its version or why not."""
        if self._path() is None:
            return False, f"{self.binary} is not installed (Debian package espeak-ng: apt-get install espeak-ng)"
        return True, f"espeak-ng {self.version()}"

    def voice_for(self, lang: str) -> str | None:
        """The espeak-ng voice name for a language tag, when espeak-ng has one here."""
        name = ESPEAK_NAMES.get(lang, lang)
        return name if name in self._voice_names() else None

    @functools.lru_cache(maxsize=1)
    def version(self) -> str:
        path = self._path()
        if path is None:
            return "missing"
        out = subprocess.run([path, "--version"], capture_output=True, timeout=10, check=False)
        words = out.stdout.decode("utf-8", "replace").split()
        # "eSpeak NG text-to-speech: 1.51  Data at: …"
        return next((w for w in words if w[:1].isdigit()), "unknown")

    @functools.lru_cache(maxsize=1)
    def _voice_names(self) -> frozenset[str]:
        path = self._path()
        if path is None:
            return frozenset()
        out = subprocess.run([path, "--voices"], capture_output=True, timeout=10, check=False)
        names: set[str] = set()
        for line in out.stdout.decode("utf-8", "replace").splitlines()[1:]:
            cols = line.split()
            if len(cols) >= 5:
                names.add(cols[1].lower())
                names.add(cols[4].lower())
                names.add(cols[4].rsplit("/", 1)[-1].lower())
        return frozenset(names)

    def available(self, voice: Voice) -> tuple[bool, str]:
        if self._path() is None:
            return False, f"{self.binary} is not installed (Debian package espeak-ng)"
        name = str(voice.setting("voice", voice.lang)).split("+", 1)[0].lower()
        if name not in self._voice_names():
            return False, f"espeak-ng has no voice {name!r} (see `espeak-ng --voices`)"
        return True, "installed"

    def fingerprint_extra(self, voice: Voice) -> str:
        return ""

    def synthesize(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        path = self._path()
        if path is None:
            raise VoiceUnavailable(f"{self.binary} is not installed", hint="apt-get install espeak-ng")
        cmd = [path, "-v", str(voice.setting("voice", voice.lang)),
               "-s", str(int(voice.setting("rate", ESPEAK_DEFAULT_RATE))),
               "-p", str(int(voice.setting("pitch", 50))), "-b", "1", "--stdout"]
        limit = _run_limit(text)
        try:
            out = subprocess.run(cmd, input=text.encode("utf-8"), capture_output=True, timeout=limit, check=False)
        except subprocess.TimeoutExpired:
            raise SpeechError(f"espeak-ng did not finish within {limit:.0f} s", field=voice.id) from None
        if out.returncode != 0 or not out.stdout:
            message = out.stderr.decode("utf-8", "replace").strip() or f"exit status {out.returncode}"
            raise SpeechError(f"espeak-ng failed: {message}", field=voice.id)
        return decode(out.stdout, label="espeak-ng output")


_probe_cache: dict[tuple[str, int], tuple[float, bool, str]] = {}
_probe_lock = threading.Lock()


def reset_probes() -> None:
    """Forget network probe results (tests; a long-running server after the link changes)."""
    with _probe_lock:
        _probe_cache.clear()


def probe_network(host: str, port: int, timeout: float = PROBE_TIMEOUT_S) -> tuple[bool, str]:
    """Can we open a TCP connection to host:port? Bounded by `timeout` including the name lookup
    (which socket timeouts do not cover, so it runs in a thread). Cached per process."""
    key = (host, port)
    with _probe_lock:
        hit = _probe_cache.get(key)
        if hit and time.monotonic() - hit[0] < PROBE_TTL_S:
            return hit[1], hit[2]
    result: list[tuple[bool, str]] = []

    def attempt() -> None:
        try:
            with socket.create_connection((host, port), timeout=timeout):
                result.append((True, "reachable"))
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            result.append((False, f"network unreachable ({host}:{port}: {reason})"))

    worker = threading.Thread(target=attempt, daemon=True)
    worker.start()
    worker.join(timeout)
    answer = result[0] if result else (False, f"network unreachable ({host}:{port}: no answer in {timeout:g} s)")
    with _probe_lock:
        _probe_cache[key] = (time.monotonic(), *answer)
    return answer


class GttsEngine(PackageEngine):
    """Google's online voices through gTTS. `client` is the gTTS class (or anything with its
    interface: `client(text=, lang=, tld=, slow=, timeout=)` then `.write_to_fp(fp)`), so tests
    can put a fake in place of the network."""

    name = "gtts"
    module, dists, title = "gtts", ("gTTS",), "gTTS"
    missing = "the gTTS package is not installed (pip install gTTS)"

    def __init__(self, client: Callable | None = None, probe: Callable[[str, int], tuple[bool, str]] | None = None,
                 port: int = 443) -> None:
        self._client = client
        self._probe = probe or probe_network
        self.port = port

    def client(self):
        if self._client is None:
            from gtts import gTTS

            return gTTS
        return self._client

    def absent(self) -> bool:
        return self._client is None and super().absent()

    def voice_for(self, lang: str) -> str | None:
        """gTTS's language code for a tag, when Google's voices include it (a list inside gTTS)."""
        if importlib.util.find_spec("gtts") is None:
            return None
        from gtts.lang import tts_langs

        code = GTTS_NAMES.get(lang, lang)
        return code if code in tts_langs() else None

    def host(self, voice: Voice) -> str:
        return f"translate.google.{voice.setting('tld', 'com')}"

    def available(self, voice: Voice) -> tuple[bool, str]:
        if self.absent():
            return False, self.missing
        return self._probe(self.host(voice), self.port)

    def fingerprint_extra(self, voice: Voice) -> str:
        return ""

    def synthesize(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        timeout = float(voice.setting("timeout", GTTS_DEFAULT_TIMEOUT_S))
        # gTTS sends one request per ~100 characters, each with `timeout`; the whole call gets
        # a deadline too, because a stalled name lookup is not covered by request timeouts.
        deadline = timeout * max(1, math.ceil(len(text) / 100)) + 2.0
        client = self.client()
        box: dict[str, object] = {}

        def call() -> None:
            try:
                tts = client(text=text, lang=str(voice.setting("lang", voice.lang)),
                             tld=str(voice.setting("tld", "com")), slow=bool(voice.setting("slow", False)),
                             timeout=timeout)
                buf = io.BytesIO()
                tts.write_to_fp(buf)
                box["mp3"] = buf.getvalue()
            except Exception as exc:  # the library raises gTTSError, ValueError, requests errors…
                box["error"] = exc

        worker = threading.Thread(target=call, daemon=True, name=f"gtts-{voice.id}")
        worker.start()
        worker.join(deadline)
        if worker.is_alive():
            raise SpeechError(f"gTTS gave no answer within {deadline:.0f} s (network down or too slow)",
                              field=voice.id, hint="move an offline voice above it in voices/"
                              f"{voice.lang}.toml, or retry when online")
        if "error" in box:
            exc = box["error"]
            raise SpeechError(f"gTTS failed: {str(exc).strip() or type(exc).__name__}", field=voice.id,
                              hint="check the network, or put an offline voice first") from None
        data = box.get("mp3") or b""
        if not data:
            raise SpeechError("gTTS returned no audio", field=voice.id)
        return decode(bytes(data), rate=GTTS_RATE, label=f"gTTS audio for {voice.id}")


@functools.lru_cache(maxsize=32)
def _file_digest(path: str, size: int, mtime_ns: int) -> str:
    return sha256_file(path)


def file_digest(path) -> str:
    st = path.stat()
    return _file_digest(str(path), st.st_size, st.st_mtime_ns)


class PiperEngine(PackageEngine):
    """A local Piper voice (`model = "x.onnx"` with `x.onnx.json` beside it) through piper-tts.
    `rate` is a speed factor (1.0 = the model's own pace, 0.9 = 10 % slower)."""

    name = "piper"
    module, dists, title = "piper", ("piper-tts",), "piper-tts"
    missing = "piper-tts is not installed (pip install 'broadcast[piper]')"

    def available(self, voice: Voice) -> tuple[bool, str]:
        if self.absent():
            return False, self.missing
        model = voice.model_path()
        if model is None:
            return False, "no model file named (model = \"….onnx\")"
        if not model.is_file():
            return False, f"model file missing: {model}"
        if not model.with_name(model.name + ".json").is_file():
            return False, f"model config missing: {model}.json"
        return True, f"model {model.name}"

    def fingerprint_extra(self, voice: Voice) -> str:
        model = voice.model_path()
        if model is None or not model.is_file():
            return ""
        config = model.with_name(model.name + ".json")
        return file_digest(model) + (file_digest(config) if config.is_file() else "")

    @functools.lru_cache(maxsize=4)
    def _load(self, path: str, mtime_ns: int):
        from piper import PiperVoice

        return PiperVoice.load(path)

    def synthesize(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        ok, why = self.available(voice)
        if not ok:
            raise VoiceUnavailable(why, field=voice.id)
        from piper import SynthesisConfig

        model = voice.model_path()
        try:
            piper_voice = self._load(str(model), model.stat().st_mtime_ns)
            rate = float(voice.setting("rate", 1.0))
            config = SynthesisConfig(speaker_id=voice.setting("speaker"), length_scale=1.0 / rate)
            chunks = [c.audio_float_array for c in piper_voice.synthesize(text, syn_config=config)]
        except SpeechError:
            raise
        except Exception as exc:  # onnxruntime and the phonemiser raise many types
            raise SpeechError(f"Piper failed: {exc}", model, field=voice.id) from None
        samples = np.concatenate(chunks) if chunks else np.zeros(0, np.float32)
        return samples.astype(np.float32).reshape(-1), int(piper_voice.config.sample_rate)


class CoquiEngine(PackageEngine):
    """A Coqui TTS model folder the user copied into voices/ (`model = "folder"` holding the
    checkpoint `*.pth` and `config.json`). Optional: needs the [coqui] extra (torch 2.9.1)."""

    name = "coqui"
    module, dists, title = "TTS", ("coqui-tts", "TTS"), "Coqui TTS"
    missing = "Coqui TTS is not installed: install the [coqui] extra (pip install 'broadcast[coqui]')"

    def available(self, voice: Voice) -> tuple[bool, str]:
        if self.absent():
            return False, self.missing
        folder = voice.model_path()
        if folder is None:
            return False, "no model folder named (model = \"folder in voices/\")"
        if not folder.is_dir():
            return False, f"model folder missing: {folder}"
        if not (folder / "config.json").is_file() or not list(folder.glob("*.pth")):
            return False, f"model folder {folder} needs a *.pth checkpoint and config.json"
        return True, f"model {folder.name}"

    def fingerprint_extra(self, voice: Voice) -> str:
        folder = voice.model_path()
        if folder is None or not folder.is_dir():
            return ""
        return "".join(file_digest(p) for p in sorted(folder.glob("*.pth")) + [folder / "config.json"]
                       if p.is_file())

    @functools.lru_cache(maxsize=2)
    def _load(self, folder: str):
        from pathlib import Path

        from TTS.api import TTS

        checkpoint = sorted(Path(folder).glob("*.pth"))[0]
        return TTS(model_path=str(checkpoint), config_path=str(Path(folder) / "config.json"), progress_bar=False)

    def synthesize(self, text: str, voice: Voice) -> tuple[np.ndarray, int]:
        ok, why = self.available(voice)
        if not ok:
            raise VoiceUnavailable(why, field=voice.id)
        try:
            tts = self._load(str(voice.model_path()))
            kwargs = {k: voice.setting(k) for k in ("speaker", "language") if voice.setting(k)}
            wav = tts.tts(text=text, **kwargs)
            rate = int(tts.synthesizer.output_sample_rate)
        except Exception as exc:  # torch and the model code raise many types
            raise SpeechError(f"Coqui TTS failed: {exc}", voice.model_path(), field=voice.id) from None
        samples = np.asarray(wav, dtype=np.float32).reshape(-1)
        peak = float(np.max(np.abs(samples))) if samples.size else 0.0
        return (samples / peak if peak > 1.0 else samples), rate


ENGINES: dict[str, Engine] = {
    "espeak-ng": EspeakEngine(),
    "gtts": GttsEngine(),
    "piper": PiperEngine(),
    "coqui": CoquiEngine(),
}


def get_engine(name: str) -> Engine:
    try:
        return ENGINES[name]
    except KeyError:
        raise SpeechError(f"unknown speech engine {name!r}", hint=f"known: {', '.join(ENGINES)}") from None
