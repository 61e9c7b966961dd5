"""Speech to text for feedback recordings, with two interchangeable backends on the same weights:
faster-whisper (CTranslate2, int8 on CPU, the default) and openai-whisper (PyTorch float32, via
an exact conversion of the CTranslate2 weights). Both get the same audio: voice activity
detection (silero, shipped inside faster-whisper) runs here, once, before either backend, and
timestamps are mapped back to the original recording afterwards.

A long recording (BATCHED_FROM_SECONDS and more) goes through faster-whisper's
BatchedInferencePipeline instead: its own VAD cuts the speech into chunks of up to 30 s that
are encoded and decoded several at a time (no temperature fallback). The choice depends on the
recording alone, never on how many workers run, so a transcript is the same whatever --jobs."""

from __future__ import annotations

import functools
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from broadcast.media import decode as audio_mod
from broadcast.transcription.guard import apply_guard, transcript_text
from broadcast.transcription.whisper import ResolvedModel, cache_root, resolve_model
from broadcast.transcription.models import ModelError, Segment, Transcript

BACKENDS = ("faster-whisper", "openai-whisper")
DEFAULT_BACKEND = "faster-whisper"
# Where the model runs: auto = the GPU when one is usable here, else the CPU.
DEVICES = ("auto", "cpu", "cuda")
DEFAULT_LANGUAGE = "vi"
# Whisper's fallback schedule (both libraries' default): retry hotter when a decode looks bad.
TEMPERATURES = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
DETERMINISTIC = (0.0,)
# The penalty a decoding loop is decoded again with (as `check` does).
LOOP_RETRY_PENALTY = 1.2
# Where a long recording is cut between blocks: the quietest 100 ms in the block's last seconds.
CUT_SEARCH_SECONDS = 10.0
CUT_FRAME_SECONDS = 0.1
# Recordings at least this long (more than one 30 s Whisper window) are transcribed batched:
# on 30, 90 and 180 s of human speech batched took 2.6×, 3.0× and 1.0× less CPU than sequential
# (scripts/bench-transcribe, one thread), its CER differences mostly digits written as words.
BATCHED_FROM_SECONDS = 30.0
BATCH_SIZE = 8
# Whisper always encodes a 30 s window, a short voice note padded with silence. Feedback
# transcription encodes only the speech plus this much (whole seconds): on 60 human English
# prompts and 12 espeak-ng Vietnamese clips it cost a third of the CPU at the same CER
# (scripts/bench-transcribe; README). `check` and recording verification keep the full window,
# which their thresholds were calibrated on.
FEEDBACK_ENCODER_MARGIN = 5.0
WINDOW_FRAMES = 3000                  # Whisper's 30 s window in mel frames (10 ms each)

ProgressFn = Callable[[float, float | None], None]


@dataclass
class TranscribeOptions:
    """Decoding settings; the defaults are the ones that work for Vietnamese feedback."""

    language: str | None = DEFAULT_LANGUAGE
    """Whisper language code; None detects it (unreliable on Vietnamese: it picks Thai on synthetic speech)."""
    beam_size: int = 5
    vad: bool = True
    """Drop non-speech before decoding; without it silence turns into invented text."""
    condition_on_previous_text: bool = False
    """Off: a misheard sentence must not steer the next one (it also feeds repetition loops)."""
    block_seconds: float = audio_mod.BLOCK_SECONDS
    """Longest stretch of audio decoded and held in memory at once."""
    temperatures: tuple[float, ...] = DETERMINISTIC
    """Beam search at temperature 0 only. Whisper's fallback (TEMPERATURES) samples from
    CTranslate2's random generator, which is per thread and cannot be reseeded per call: a
    recording's transcript would depend on what its worker decoded before, and differ between
    --jobs 1 and --jobs 2 (seen on espeak-ng speech)."""
    repetition_penalty: float = 1.0
    """faster-whisper's penalty on tokens already produced (1.0: none)."""
    loop_retry_penalty: float | None = LOOP_RETRY_PENALTY
    """When a segment comes out as a decoding loop (compression ratio over LOOP_RATIO), decode that
    audio again with this repetition penalty: deterministic, unlike the temperature fallback, so
    a recording gets the same transcript every run and on every worker (faster-whisper only)."""
    batched_from: float | None = BATCHED_FROM_SECONDS
    """Recordings at least this long (seconds) are decoded batched (faster-whisper with VAD on);
    None: never."""
    batch_size: int = BATCH_SIZE
    """Chunks of a batched recording decoded at once."""
    encoder_margin: float | None = None
    """Encode a recording that fits one window as its speech plus this many seconds instead of
    the full 30 s window (faster-whisper, with the language given; None: the full window)."""


# Whisper's own test for a repetition loop: text that gzip compresses more than this.
LOOP_RATIO = 2.4


def check_language(language: str | None) -> str | None:
    """'auto' (or None/'') → None; otherwise a language Whisper knows, else ModelError."""
    if language is None or language in ("", "auto"):
        return None
    from faster_whisper.tokenizer import _LANGUAGE_CODES

    if language not in _LANGUAGE_CODES:
        raise ModelError(f"Whisper cannot transcribe language {language!r}",
                         hint="use a Whisper language code such as vi, km, zh, lo, en — or auto")
    return language


def default_threads() -> int:
    return max(1, min(4, os.cpu_count() or 1))


def cuda_available(backend: str = DEFAULT_BACKEND) -> bool:
    """Can this backend run on a CUDA GPU here? (CTranslate2 built with CUDA and a GPU it sees;
    for openai-whisper, torch's view.)"""
    try:
        if backend == "openai-whisper":
            import torch

            return bool(torch.cuda.is_available())
        import ctranslate2

        return ctranslate2.get_cuda_device_count() > 0
    except (ImportError, RuntimeError, OSError):
        return False


def resolve_device(device: str | None, backend: str = DEFAULT_BACKEND) -> str:
    """'auto' (or None) → cuda where usable, else cpu; 'cuda' without a usable GPU → ModelError."""
    if device in (None, "auto"):
        return "cuda" if cuda_available(backend) else "cpu"
    if device not in DEVICES:
        raise ModelError(f"unknown device {device!r}", hint=f"use one of: {', '.join(DEVICES)}")
    if device == "cuda" and not cuda_available(backend):
        raise ModelError(f"--device cuda: no CUDA GPU is usable by {backend} on this machine",
                         hint="use --device cpu (or auto), or run on a machine with an NVIDIA GPU and CUDA")
    return device


class FasterWhisperBackend:
    """CTranslate2 Whisper: int8 on the CPU, float16 on a CUDA GPU (by default)."""

    name = "faster-whisper"
    penalises_repetition = True

    def __init__(self, model: ResolvedModel, compute_type: str | None = None, cpu_threads: int | None = None,
                 device: str = "cpu") -> None:
        self.model_info = model
        self.device = device
        self.compute_type = compute_type or ("float16" if device == "cuda" else "int8")
        try:
            self.model = _fitting_model_class()(
                str(model.path), device=device, compute_type=self.compute_type,
                cpu_threads=cpu_threads or default_threads(), local_files_only=True)
        except (RuntimeError, ValueError, OSError) as exc:
            raise ModelError(f"cannot load the Whisper model: {exc}", model.path) from None

    def decode(self, audio: np.ndarray, options: TranscribeOptions,
               on_segment: Callable[[float], None] | None = None) -> tuple[list[Segment], str | None]:
        self.model.encode_frames = encoder_frames(audio.size, options)
        try:
            segments, info = self.model.transcribe(
                audio, language=options.language, task="transcribe", beam_size=options.beam_size,
                best_of=5, temperature=list(options.temperatures),
                condition_on_previous_text=options.condition_on_previous_text, vad_filter=False,
                repetition_penalty=options.repetition_penalty,
            )
            return _our_segments(segments, on_segment), info.language
        finally:
            self.model.encode_frames = None

    def decode_batched(self, audio: np.ndarray, options: TranscribeOptions,
                       on_segment: Callable[[float], None] | None = None) -> tuple[list[Segment], str | None]:
        """Segments of `audio` through BatchedInferencePipeline (its VAD; times in `audio`'s)."""
        from faster_whisper import BatchedInferencePipeline

        if getattr(self, "_batched", None) is None:
            self._batched = BatchedInferencePipeline(self.model)
        segments, info = self._batched.transcribe(
            audio, language=options.language, task="transcribe", beam_size=options.beam_size,
            best_of=5, temperature=list(options.temperatures),
            condition_on_previous_text=options.condition_on_previous_text, vad_filter=True,
            without_timestamps=False, batch_size=options.batch_size,
            repetition_penalty=options.repetition_penalty,
        )
        return _our_segments(segments, on_segment), info.language


class OpenAIWhisperBackend:
    """openai-whisper (PyTorch, float32; on the CPU or a CUDA GPU) on the converted CTranslate2 weights."""

    name = "openai-whisper"
    penalises_repetition = False      # whisper.transcribe has no repetition penalty

    def __init__(self, model: ResolvedModel, cpu_threads: int | None = None, device: str = "cpu") -> None:
        from broadcast.transcription.convert import load_openai_whisper

        self.model_info = model
        self.device = device
        self.compute_type = "float32"
        self.model = load_openai_whisper(model.path, cache_root() / "converted", model.sha256)
        if device != "cpu":
            self.model = self.model.to(device)
        import torch

        torch.set_num_threads(cpu_threads or default_threads())

    def decode(self, audio: np.ndarray, options: TranscribeOptions,
               on_segment: Callable[[float], None] | None = None) -> tuple[list[Segment], str | None]:
        import torch
        import whisper

        with torch.no_grad():
            result = whisper.transcribe(
                self.model, audio, language=options.language, task="transcribe", verbose=None,
                beam_size=options.beam_size, best_of=5, temperature=options.temperatures,
                condition_on_previous_text=options.condition_on_previous_text, fp16=False,
            )
        out = []
        for s in result["segments"]:
            out.append(Segment(float(s["start"]), float(s["end"]), s["text"].strip(), float(s["avg_logprob"]),
                               float(s["no_speech_prob"]), float(s["compression_ratio"])))
            if on_segment:
                on_segment(float(s["end"]))
        return out, result.get("language")


Backend = FasterWhisperBackend | OpenAIWhisperBackend


def encoder_frames(samples: int, options: TranscribeOptions) -> int | None:
    """Mel frames to encode for `samples` of 16 kHz speech under options.encoder_margin: the
    speech plus the margin, in whole seconds; None (the full window) when that is not shorter,
    when no margin is set, or when the language is to be detected (detection needs the window)."""
    if options.encoder_margin is None or options.language is None:
        return None
    seconds = np.ceil(samples / audio_mod.RECOGNITION_RATE + options.encoder_margin)
    frames = int(seconds) * (WINDOW_FRAMES // 30)
    return frames if frames < WINDOW_FRAMES else None


@functools.cache
def _fitting_model_class():
    """faster-whisper's WhisperModel whose encoder can be handed fewer frames than the window
    it pads every segment to (encode_frames, set by FasterWhisperBackend.decode for one call)."""
    from faster_whisper import WhisperModel

    class FittingWhisperModel(WhisperModel):
        encode_frames: int | None = None

        def encode(self, features: np.ndarray):
            if self.encode_frames is not None and features.shape[-1] > self.encode_frames:
                features = features[..., :self.encode_frames]
            return super().encode(features)

    return FittingWhisperModel


def load_backend(name: str = DEFAULT_BACKEND, model: str | None = None, compute_type: str | None = None,
                 cpu_threads: int | None = None, device: str | None = "auto") -> Backend:
    """Load a backend once per process (models take seconds to load). `device`: auto, cpu or
    cuda (resolve_device); compute type by default int8 on the CPU, float16 on CUDA."""
    return _load_backend(name, model, compute_type, cpu_threads, resolve_device(device, name))


@functools.lru_cache(maxsize=4)
def _load_backend(name: str, model: str | None, compute_type: str | None, cpu_threads: int | None,
                  device: str) -> Backend:
    if name not in BACKENDS:
        raise ModelError(f"unknown backend {name!r}", hint=f"use one of: {', '.join(BACKENDS)}")
    resolved = resolve_model(model)
    if name == "faster-whisper":
        return FasterWhisperBackend(resolved, compute_type, cpu_threads, device)
    if compute_type not in (None, "float32"):
        raise ModelError("the openai-whisper backend runs in float32")
    return OpenAIWhisperBackend(resolved, cpu_threads, device)


load_backend.cache_clear = _load_backend.cache_clear   # tests start from a fresh model cache


def speech_regions(audio: np.ndarray) -> list[dict]:
    """Sample ranges [{start, end}] that silero VAD calls speech."""
    from faster_whisper.vad import VadOptions, get_speech_timestamps

    return get_speech_timestamps(audio, VadOptions()) if audio.size else []


def batches(backend: Backend, options: TranscribeOptions, duration: float | None) -> bool:
    """Is a recording this long (seconds) transcribed batched by this backend?"""
    return (options.batched_from is not None and duration is not None and duration >= options.batched_from
            and options.vad and hasattr(backend, "decode_batched"))


def transcribe_audio(audio: np.ndarray, backend: Backend, options: TranscribeOptions | None = None,
                     offset: float = 0.0, on_segment: Callable[[float], None] | None = None,
                     batched: bool = False) -> tuple[list[Segment], str | None]:
    """Segments of one 16 kHz mono float32 array (at most a block long), times + `offset`;
    guard not applied yet. `batched`: through decode_batched (see batches())."""
    from faster_whisper.vad import SpeechTimestampsMap, collect_chunks

    options = options or TranscribeOptions()
    if audio.size == 0:
        return [], None
    if batched:
        segments, language = backend.decode_batched(audio, options, on_segment=(
            (lambda end: on_segment(offset + end)) if on_segment else None))
        if options.loop_retry_penalty and any(s.compression_ratio > LOOP_RATIO for s in segments):
            segments, language = backend.decode_batched(
                audio, replace(options, repetition_penalty=options.loop_retry_penalty, loop_retry_penalty=None))
        for s in segments:
            s.start = round(s.start + offset, 2)
            s.end = round(s.end + offset, 2)
        return segments, language
    regions = None
    if options.vad:
        regions = speech_regions(audio)
        if not regions:
            return [], None
        chunks, _ = collect_chunks(audio, regions)
        audio = np.concatenate(chunks)
    segments, language = backend.decode(audio, options, on_segment=(
        (lambda end: on_segment(offset + end)) if on_segment else None))
    if (options.loop_retry_penalty and backend.penalises_repetition
            and any(s.compression_ratio > LOOP_RATIO for s in segments)):
        segments, language = backend.decode(
            audio, replace(options, repetition_penalty=options.loop_retry_penalty, loop_retry_penalty=None))
    if regions is not None:
        ts_map = SpeechTimestampsMap(regions, audio_mod.RECOGNITION_RATE)
        for s in segments:
            s.start = ts_map.get_original_time(s.start)
            s.end = ts_map.get_original_time(s.end, is_end=True)
    for s in segments:
        s.start = round(s.start + offset, 2)
        s.end = round(s.end + offset, 2)
    return segments, language


def _quiet_cut(audio: np.ndarray) -> int:
    """Index of the quietest 100 ms frame near the end of `audio` (where a cut loses no word)."""
    frame = int(CUT_FRAME_SECONDS * audio_mod.RECOGNITION_RATE)
    span = min(int(CUT_SEARCH_SECONDS * audio_mod.RECOGNITION_RATE), audio.size // 4)
    n = span // frame
    if n < 2:
        return audio.size
    tail = audio[audio.size - n * frame:].reshape(n, frame)
    quietest = int(np.argmin(np.sqrt(np.mean(tail.astype(np.float64) ** 2, axis=1))))
    return audio.size - n * frame + quietest * frame + frame // 2


def _cut_blocks(blocks: Iterator[np.ndarray]) -> Iterator[tuple[float, np.ndarray]]:
    """(offset seconds, audio) pieces, each cut at a quiet moment instead of at a block border."""
    carry = np.zeros(0, np.float32)
    offset = 0
    previous = next(blocks, None)
    while previous is not None:
        upcoming = next(blocks, None)
        buf = np.concatenate([carry, previous]) if carry.size else previous
        if upcoming is None:
            yield offset / audio_mod.RECOGNITION_RATE, buf
            break
        cut = _quiet_cut(buf)
        yield offset / audio_mod.RECOGNITION_RATE, buf[:cut]
        carry = buf[cut:].copy()
        offset += cut
        previous = upcoming


def transcribe_file(path: Path, backend: Backend, options: TranscribeOptions | None = None,
                    on_progress: ProgressFn | None = None) -> Transcript:
    """Decode and transcribe one recording block by block (bounded memory), apply the
    hallucination guard; batched when it is long (batches()). Raises AudioError for files that
    are not usable audio."""
    options = options or TranscribeOptions()
    info = audio_mod.probe(path)
    total = info.duration
    segments: list[Segment] = []
    language: str | None = None
    duration = 0.0
    batched = None
    for offset, piece in _cut_blocks(audio_mod.iter_blocks(path, options.block_seconds)):
        if batched is None:    # decided once: on the declared length, else on the first block's
            batched = batches(backend, options, total if total is not None else
                              piece.size / audio_mod.RECOGNITION_RATE)
        got, lang = transcribe_audio(piece, backend, options, offset, batched=batched,
                                     on_segment=(lambda t: on_progress(t, total)) if on_progress else None)
        segments.extend(got)
        language = language or lang
        duration = offset + piece.size / audio_mod.RECOGNITION_RATE
        if on_progress:
            on_progress(duration, total)
    apply_guard(segments)
    return Transcript(
        text=transcript_text(segments), segments=segments, duration=round(duration, 3),
        language=options.language or language, backend=backend.name,
        model=f"{backend.model_info.label} [{backend.compute_type}]",
    )


def _our_segments(segments, on_segment: Callable[[float], None] | None) -> list[Segment]:
    """faster-whisper's segments (a generator: decoding happens as it is read) as ours,
    reporting each one's end time as it arrives."""
    out = []
    for s in segments:
        out.append(Segment(float(s.start), float(s.end), s.text.strip(), float(s.avg_logprob),
                           float(s.no_speech_prob), float(s.compression_ratio)))
        if on_segment:
            on_segment(float(s.end))
    return out
