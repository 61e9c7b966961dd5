"""Transcription on a Ray cluster: a pool of actors, each holding the Whisper model once, fed
recordings (by value: their bytes) or samples; shared by `transcribe` and `check`. The driver
alone writes the review queue and check.json, exactly as with local transcription."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Callable
from pathlib import Path

from broadcast.core.errors import BroadcastError
from broadcast.executors.session import MAX_RETRIES, ExecutorError, ExecutorSpec, ray_session
from broadcast.media.errors import AudioError
from broadcast.transcription.models import ModelError
from broadcast.transcription.transcribe import default_threads, load_backend, transcribe_audio, transcribe_file



class TranscribeActor:
    """One Ray actor: loads the Whisper model once, then transcribes what it is sent by value:
    a recording's bytes (`transcribe`) or 16 kHz samples (`transcribe_samples`, for check)."""

    def __init__(self, backend: str, model: str | None, compute_type: str | None, cpu_threads: int,
                 device: str = "cpu") -> None:
        self.engine = load_backend(backend, model, compute_type, cpu_threads, device)

    def describe(self) -> tuple[str, str]:
        """(backend name, model label with compute type), as a local run reports them."""
        return self.engine.name, f"{self.engine.model_info.label} [{self.engine.compute_type}]"

    def transcribe(self, name: str, data: bytes, options) -> dict:
        try:
            with tempfile.TemporaryDirectory(prefix="broadcast-feedback-") as tmp:
                path = Path(tmp) / name          # the suffix tells ffmpeg's probe the container
                path.write_bytes(data)
                return {"transcript": transcribe_file(path, self.engine, options)}
        except BroadcastError as exc:
            return {"error": (exc.reason, exc.problem.hint)}

    def transcribe_samples(self, audio, options) -> dict:
        try:
            segments, language = transcribe_audio(audio, self.engine, options)
            return {"segments": segments, "language": language}
        except BroadcastError as exc:
            return {"error": (exc.reason, exc.problem.hint)}


def ray_device(ray, device: str | None) -> str:
    """The device the actors use, decided against the cluster (the driver may have no GPU):
    auto → cuda when the cluster has a GPU, else cpu; cuda on a cluster without one → error."""
    gpus = ray.cluster_resources().get("GPU", 0)
    if device in (None, "auto"):
        return "cuda" if gpus >= 1 else "cpu"
    if device == "cuda" and gpus < 1:
        raise ExecutorError("--device cuda: the Ray cluster has no GPU",
                            hint="start GPU workers with `ray start --address=… --num-gpus=1`, or use --device cpu")
    return device


class WhisperPool:
    """Ray actors, each holding the Whisper model once; calls go round-robin (inputs of similar
    length; Ray queues each actor's calls in order). A dead actor is restarted and its call
    retried (MAX_RETRIES). One CPU and one thread per actor, plus one GPU with device cuda."""

    def __init__(self, ray, size: int, backend: str, model: str | None, compute_type: str | None,
                 device: str) -> None:
        self.ray = ray
        self.device = device
        resources = {"num_cpus": 1, "num_gpus": 1} if device == "cuda" else {"num_cpus": 1}
        # Ray gives each actor OMP_NUM_THREADS=1, which changes Whisper's arithmetic (VAD and
        # decoding): the driver's own thread count keeps a cluster's transcripts equal to a
        # local run's on the same weights. CTranslate2 itself still runs one thread per actor.
        env = {"env_vars": {"OMP_NUM_THREADS": str(default_threads())}}
        actor_cls = ray.remote(TranscribeActor).options(**resources, max_restarts=MAX_RETRIES,
                                                        max_task_retries=MAX_RETRIES, runtime_env=env)
        self.actors = [actor_cls.remote(backend, model, compute_type, 1, device) for _ in range(size)]
        self._next = 0

    def submit(self, method: str, *args):
        """Call `method` on the next actor; returns the ObjectRef of its result."""
        actor = self.actors[self._next % len(self.actors)]
        self._next += 1
        return getattr(actor, method).remote(*args)

    def get(self, ref) -> dict:
        """The call's payload; a call whose actor kept dying → ModelError."""
        try:
            return self.ray.get(ref)
        except self.ray.exceptions.RayError as exc:
            raise ModelError(f"transcription failed on the cluster: {type(exc).__name__}: {exc}",
                             hint="see `ray status` and the worker logs") from None

    def describe(self) -> tuple[str, str]:
        return self.get(self.actors[0].describe.remote())


def whisper_pool(stack: contextlib.ExitStack, spec: ExecutorSpec, items: int, backend: str, model: str | None,
                 compute_type: str | None, device: str | None = "auto",
                 actors: int | None = None) -> WhisperPool | None:
    """A pool for `items` inputs (None when there are none): as many actors as the cluster has
    CPUs (GPUs with device cuda), at most one per input. The Ray session stays open until
    `stack` closes."""
    ray = stack.enter_context(ray_session(spec))
    if not items:
        return None
    device = ray_device(ray, device)
    resource = "GPU" if device == "cuda" else "CPU"
    n = actors or max(1, int(ray.cluster_resources().get(resource, 1)))
    return WhisperPool(ray, min(n, items), backend, model, compute_type, device)


def transcribe_on_ray(stack: contextlib.ExitStack, spec: ExecutorSpec, files: list[Path], backend: str,
                      model: str | None, compute_type: str | None, options,
                      actors: int | None = None, device: str | None = "auto") -> dict[Path, Callable]:
    """Send `files` (bytes) to a WhisperPool; returns, per file, a callable that waits for its
    transcript (or raises its AudioError with the real path)."""
    pool = whisper_pool(stack, spec, len(files), backend, model, compute_type, device, actors)
    if pool is None:
        return {}
    refs = {}
    for path in files:
        try:
            refs[path] = pool.submit("transcribe", path.name, path.read_bytes(), options)
        except OSError as exc:
            refs[path] = exc

    def outcome(path: Path, ref) -> Callable:
        def get():
            if isinstance(ref, OSError):
                raise AudioError(f"cannot read: {ref.strerror or ref}", path)
            payload = pool.get(ref)
            if "error" in payload:
                reason, hint = payload["error"]
                raise AudioError(reason, path, hint=hint)
            return payload["transcript"]
        return get

    return {path: outcome(path, ref) for path, ref in refs.items()}
