"""Where the heavy work runs: on this PC (a process pool, the default) or on a Ray cluster.

With Ray, inputs and outputs travel by value through Ray's object store, so workers need no
shared disk: a rendition task gets the workspace's voices and the recording as bytes, renders
into a scratch workspace of its own and returns the masters' bytes; a transcription actor
(WhisperPool, shared by transcribe and check) gets a recording's bytes, or the samples of a
produced file's first reading, and returns the transcript. The driver alone writes the master
cache, the final files, the manifest, check.json and the review queue, exactly as with the local
executor, so their guarantees (atomic files, one queue row per recording) do not change.

`[cluster] shared_path = true` says every worker sees the workspace at the same path (an NFS
mount, or a one-machine cluster): then a task renders straight into the master cache, like a
local worker process, and nothing but the result's metadata travels.

A task whose worker dies is retried by Ray (MAX_RETRIES); an error in the input (a
BroadcastError) is not retried: it is reported like a local failure."""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from broadcast.core.config import DEFAULT_PATHS, Workspace
from broadcast.core.errors import BroadcastError

EXECUTORS = ("local", "ray")
# Retries of a task whose worker process (or node) died mid-task.
MAX_RETRIES = 3
ENV_ADDRESS = "RAY_ADDRESS"


class ExecutorError(BroadcastError):
    """The cluster cannot be reached or used."""


@dataclass(frozen=True)
class ExecutorSpec:
    """Which executor, and how to reach it. Built from the command line over `[cluster]`."""

    kind: str = "local"
    """local: this PC's cores; ray: a Ray cluster."""
    address: str | None = None
    """Ray address (`ray://head:10001` or `head:6379`); None: $RAY_ADDRESS, else a Ray instance started here."""
    shared_path: bool = False
    """Every Ray worker sees the workspace at the same path (then masters are written in place)."""
    num_cpus: int | None = None
    """CPUs of a Ray instance started here (default: all cores)."""


def executor_spec(ws: Workspace, kind: str | None = None, address: str | None = None) -> ExecutorSpec:
    """The command line's choice over broadcast.toml's `[cluster]` (executor, ray_address, shared_path)."""
    section = ws.config.section("cluster")
    kind = kind or str(section.get("executor", "local"))
    if kind not in EXECUTORS:
        raise ExecutorError(f"unknown executor {kind!r}", ws.root / "broadcast.toml",
                            hint=f"use one of: {', '.join(EXECUTORS)}")
    address = address or section.get("ray_address") or None
    return ExecutorSpec(kind=kind, address=address, shared_path=bool(section.get("shared_path", False)))


# ---------------------------------------------------------------- Ray session


def _import_ray():
    try:
        import ray
    except ImportError:
        raise ExecutorError("the ray executor needs Ray installed",
                            hint='pip install "broadcast[ray]" on this PC and on every worker') from None
    return ray


@contextlib.contextmanager
def ray_session(spec: ExecutorSpec) -> Iterator:
    """Ray, connected: to the given address, to $RAY_ADDRESS, or to a fresh local instance
    (shut down again at the end). An already initialised Ray (a test, a notebook) is reused."""
    ray = _import_ray()
    if ray.is_initialized():
        yield ray
        return
    address = spec.address or os.environ.get(ENV_ADDRESS) or None
    kwargs: dict = {"log_to_driver": False, "configure_logging": False}
    if address is None:
        kwargs.update(num_cpus=spec.num_cpus or os.cpu_count() or 1, include_dashboard=False)
    try:
        ray.init(address=address, **kwargs)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise ExecutorError(f"cannot connect to the Ray cluster at {address}: {exc}",
                            hint="check --ray-address / RAY_ADDRESS and that `ray status` works there") from None
    try:
        yield ray
    finally:
        ray.shutdown()


def wait_each(ray, refs: dict) -> Iterator[tuple[object, object]]:
    """(key, ref) as each task finishes, in completion order (progress shows on the driver)."""
    pending = dict(refs)
    while pending:
        ready, _ = ray.wait(list(pending), num_returns=1)
        for ref in ready:
            yield pending.pop(ref), ref


# ---------------------------------------------------------------- produce


@dataclass(frozen=True)
class WorkspaceBundle:
    """What a worker needs of the workspace to render: the configuration (folders reset to the
    defaults inside the worker's scratch workspace) and the voices folder's files."""

    config: object
    voices: dict[str, bytes]


def workspace_bundle(ws: Workspace) -> WorkspaceBundle:
    voices: dict[str, bytes] = {}
    if ws.voices_dir.is_dir():
        for p in sorted(ws.voices_dir.rglob("*")):
            if p.is_file():
                voices[str(p.relative_to(ws.voices_dir))] = p.read_bytes()
    return WorkspaceBundle(dataclasses.replace(ws.config, paths=dict(DEFAULT_PATHS)), voices)


def _scratch_workspace(root: Path, bundle: WorkspaceBundle) -> Workspace:
    voices = root / DEFAULT_PATHS["voices"]
    for rel, data in bundle.voices.items():
        dest = voices / rel
        dest.parent.mkdir(parents=True, exist_ok=True)
        dest.write_bytes(data)
    voices.mkdir(exist_ok=True)
    return Workspace(root=root, config=bundle.config)


def render_by_value(bundle: WorkspaceBundle, rendition, key: str, profiles: list[str], ident,
                    recording: tuple[str, bytes] | None) -> dict:
    """Runs on a Ray worker: render one rendition in a scratch workspace and return the result
    with each master's bytes. The recording keeps its file name (the manifest names it)."""
    from broadcast.produce.pipeline import render_in

    try:
        with tempfile.TemporaryDirectory(prefix="broadcast-render-") as tmp:
            scratch = _scratch_workspace(Path(tmp), bundle)
            if recording is not None:
                name, data = recording
                path = Path(tmp) / "recordings" / name
                path.parent.mkdir(parents=True)
                path.write_bytes(data)
                rendition = dataclasses.replace(rendition, recording=str(path))
            result = render_in(scratch, rendition, key, profiles, ident)
            files = {p: (Path(m["cache"]).name, Path(m["cache"]).read_bytes()) for p, m in result.masters.items()}
            return {"result": result, "files": files}
    except BroadcastError as exc:
        return {"error": exc}


def render_shared(root: str, rendition, key: str, profiles: list[str], ident) -> dict:
    """Runs on a Ray worker that sees the workspace at `root`: render into the master cache."""
    from broadcast.produce.pipeline import render_rendition

    try:
        return {"result": render_rendition(root, rendition, key, profiles, ident)}
    except BroadcastError as exc:
        return {"error": exc}


def _store_masters(ws: Workspace, key: str, payload: dict):
    """Driver side: the returned masters into the master cache (atomically, checked against
    their sha256), then the cache record that points at them."""
    from broadcast.core.fsutil import atomic_write_bytes
    from broadcast.produce.pipeline import _masters_dir, write_cache_meta

    result = payload["result"]
    masters = {}
    for profile, (name, data) in payload["files"].items():
        meta = dict(result.masters[profile])
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise BroadcastError(f"the master for {result.rendition_key} ({profile}) arrived damaged",
                                 hint="run produce again")
        dest = _masters_dir(ws) / name
        atomic_write_bytes(dest, data)
        meta["cache"] = str(dest)
        masters[profile] = meta
    result = dataclasses.replace(result, masters=masters)
    write_cache_meta(ws, key, result)
    return result


def render_on_ray(spec: ExecutorSpec, ws: Workspace, renditions: dict, keys: dict[str, str],
                  profiles_for: dict[str, list[str]], ident, done: Callable[[str, Callable], None]) -> None:
    """Render `renditions` as Ray tasks; `done(key, fn)` is called on the driver as each one
    finishes, with `fn` giving its RenderResult (or raising its BroadcastError)."""
    with ray_session(spec) as ray:
        ident_ref = ray.put(ident)
        refs = {}
        if spec.shared_path:
            task = ray.remote(render_shared).options(max_retries=MAX_RETRIES, num_cpus=1)
            for k, r in renditions.items():
                refs[k] = task.remote(str(ws.root), r, keys[k], profiles_for[k], ident_ref)
        else:
            bundle_ref = ray.put(workspace_bundle(ws))
            task = ray.remote(render_by_value).options(max_retries=MAX_RETRIES, num_cpus=1)
            for k, r in renditions.items():
                recording = (Path(r.recording).name, Path(r.recording).read_bytes()) if r.recording else None
                refs[k] = task.remote(bundle_ref, r, keys[k], profiles_for[k], ident_ref, recording)

        def outcome(k: str, ref) -> Callable:
            def get():
                try:
                    payload = ray.get(ref)
                except ray.exceptions.RayError as exc:   # retries spent: the worker kept dying
                    raise BroadcastError(f"rendering {k} failed on the cluster: {type(exc).__name__}",
                                         hint="see `ray status` and the worker logs") from None
                if "error" in payload:
                    raise payload["error"]
                return payload["result"] if spec.shared_path else _store_masters(ws, keys[k], payload)
            return get

        for k, ref in wait_each(ray, {ref: k for k, ref in refs.items()}):
            done(k, outcome(k, ref))


# ---------------------------------------------------------------- transcribe


class TranscribeActor:
    """One Ray actor: loads the Whisper model once, then transcribes what it is sent by value:
    a recording's bytes (`transcribe`) or 16 kHz samples (`transcribe_samples`, for check)."""

    def __init__(self, backend: str, model: str | None, compute_type: str | None, cpu_threads: int,
                 device: str = "cpu") -> None:
        from broadcast.transcription.transcribe import load_backend

        self.engine = load_backend(backend, model, compute_type, cpu_threads, device)

    def describe(self) -> tuple[str, str]:
        """(backend name, model label with compute type), as a local run reports them."""
        return self.engine.name, f"{self.engine.model_info.label} [{self.engine.compute_type}]"

    def transcribe(self, name: str, data: bytes, options) -> dict:
        from broadcast.transcription.transcribe import transcribe_file

        try:
            with tempfile.TemporaryDirectory(prefix="broadcast-feedback-") as tmp:
                path = Path(tmp) / name          # the suffix tells ffmpeg's probe the container
                path.write_bytes(data)
                return {"transcript": transcribe_file(path, self.engine, options)}
        except BroadcastError as exc:
            return {"error": (exc.reason, exc.problem.hint)}

    def transcribe_samples(self, audio, options) -> dict:
        from broadcast.transcription.transcribe import transcribe_audio

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
        actor_cls = ray.remote(TranscribeActor).options(**resources, max_restarts=MAX_RETRIES,
                                                        max_task_retries=MAX_RETRIES)
        self.actors = [actor_cls.remote(backend, model, compute_type, 1, device) for _ in range(size)]
        self._next = 0

    def submit(self, method: str, *args):
        """Call `method` on the next actor; returns the ObjectRef of its result."""
        actor = self.actors[self._next % len(self.actors)]
        self._next += 1
        return getattr(actor, method).remote(*args)

    def get(self, ref) -> dict:
        """The call's payload; a call whose actor kept dying → ModelError."""
        from broadcast.transcription.models import ModelError

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
    from broadcast.feedback.models import AudioError

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
