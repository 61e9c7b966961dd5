"""Rendering on a Ray cluster (`produce --executor ray`).

Inputs and outputs travel by value through Ray's object store, so workers need no shared disk:
a rendition task gets the workspace's voices and the recording as bytes, renders into a scratch
workspace of its own and returns the masters' bytes. The driver alone writes the master cache,
the final files and the manifest, exactly as with the local executor.

`[cluster] shared_path = true` says every worker sees the workspace at the same path (an NFS
mount, or a one-machine cluster): then a task renders straight into the master cache, like a
local worker process, and nothing but the result's metadata travels."""

from __future__ import annotations

import dataclasses
import hashlib
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from broadcast.core.config import DEFAULT_PATHS, Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_bytes
from broadcast.executors import MAX_RETRIES, ExecutorSpec, ray_session, wait_each
from broadcast.produce.cache import masters_dir, write_cache_meta
from broadcast.produce.render import render_in, render_rendition


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


def render_by_value(bundle: WorkspaceBundle, rendition, key: str, profiles: list[str], phrases: dict,
                    recording: tuple[str, bytes] | None) -> dict:
    """Runs on a Ray worker: render one rendition in a scratch workspace and return the result
    with each master's bytes. The recording keeps its file name (the manifest names it); the
    station phrases (ident, recorded opening / closing) travel decoded, in `phrases`."""
    try:
        with tempfile.TemporaryDirectory(prefix="broadcast-render-") as tmp:
            scratch = _scratch_workspace(Path(tmp), bundle)
            if recording is not None:
                name, data = recording
                path = Path(tmp) / "recordings" / name
                path.parent.mkdir(parents=True)
                path.write_bytes(data)
                rendition = dataclasses.replace(rendition, recording=str(path))
            result = render_in(scratch, rendition, key, profiles, phrases)
            files = {p: (Path(m["cache"]).name, Path(m["cache"]).read_bytes()) for p, m in result.masters.items()}
            return {"result": result, "files": files}
    except BroadcastError as exc:
        return {"error": exc}


def render_shared(root: str, rendition, key: str, profiles: list[str], phrases: dict) -> dict:
    """Runs on a Ray worker that sees the workspace at `root`: render into the master cache."""
    try:
        return {"result": render_rendition(root, rendition, key, profiles, phrases)}
    except BroadcastError as exc:
        return {"error": exc}


def _store_masters(ws: Workspace, key: str, payload: dict):
    """Driver side: the returned masters into the master cache (atomically, checked against
    their sha256), then the cache record that points at them."""
    result = payload["result"]
    masters = {}
    for profile, (name, data) in payload["files"].items():
        meta = dict(result.masters[profile])
        if hashlib.sha256(data).hexdigest() != meta["sha256"]:
            raise BroadcastError(f"the master for {result.rendition_key} ({profile}) arrived damaged",
                                 hint="run produce again")
        dest = masters_dir(ws) / Path(name).name
        atomic_write_bytes(dest, data)
        meta["cache"] = str(dest)
        masters[profile] = meta
    result = dataclasses.replace(result, masters=masters)
    write_cache_meta(ws, key, result)
    return result


def render_on_ray(spec: ExecutorSpec, ws: Workspace, renditions: dict, keys: dict[str, str],
                  profiles_for: dict[str, list[str]], phrases: dict,
                  done: Callable[[str, Callable], None]) -> None:
    """Render `renditions` as Ray tasks; `done(key, fn)` is called on the driver as each one
    finishes, with `fn` giving its RenderResult (or raising its BroadcastError)."""
    with ray_session(spec) as ray:
        phrases_ref = ray.put(phrases)
        refs = {}
        if spec.shared_path:
            task = ray.remote(render_shared).options(max_retries=MAX_RETRIES, num_cpus=1)
            for k, r in renditions.items():
                refs[k] = task.remote(str(ws.root), r, keys[k], profiles_for[k], phrases_ref)
        else:
            bundle_ref = ray.put(workspace_bundle(ws))
            task = ray.remote(render_by_value).options(max_retries=MAX_RETRIES, num_cpus=1)
            for k, r in renditions.items():
                recording = (Path(r.recording).name, Path(r.recording).read_bytes()) if r.recording else None
                refs[k] = task.remote(bundle_ref, r, keys[k], profiles_for[k], phrases_ref, recording)

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
