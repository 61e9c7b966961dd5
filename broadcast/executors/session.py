"""Where the heavy work runs: on this PC (the default: each pipeline's own worker processes) or
on a Ray cluster. This module holds the choice (ExecutorSpec, from the command line over
`[cluster]` in broadcast.toml) and the Ray session; the pipelines bring their own tasks
(broadcast.produce.remote renders, broadcast.executors.whisper transcribes).

A task whose worker dies is retried by Ray (MAX_RETRIES); an error in the input (a
BroadcastError) is not retried: it is reported like a local failure."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from dataclasses import dataclass

from broadcast.core.config import Workspace
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
        kwargs.update(num_cpus=os.cpu_count() or 1, include_dashboard=False)
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
