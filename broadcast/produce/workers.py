"""Where renditions are rendered: from the cache when it has them, else in this PC's worker
processes (spawned, `--jobs N`), or on a Ray cluster (broadcast.produce.remote)."""

from __future__ import annotations

import multiprocessing
import os
import traceback
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor, as_completed

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError, from_os_error
from broadcast.core.processes import pause_point, worker_init
from broadcast.produce.cache import cached, render_key
from broadcast.produce.models import ProduceReport, Rendition, RenderResult
from broadcast.produce.remote import render_on_ray
from broadcast.produce.render import FRAMING, render_rendition


def render_all(ws: Workspace, renditions: dict[str, Rendition], profiles_for: dict[str, list[str]],
               phrases: dict, fingerprints: dict[str, str], jobs: int | None, report: ProduceReport, progress,
               executor=None) -> dict[str, RenderResult]:
    """Every rendition's masters: from the cache, else rendered (here in `jobs` processes, or
    on Ray). A failure is reported and the rest go on. `phrases`: the station phrases that air
    (render.render_rendition); `fingerprints`: theirs, by name ("ident" always), for the keys."""
    framing = {n: fp for n, fp in fingerprints.items() if n in FRAMING}
    keys = {k: render_key(ws, r, fingerprints.get("ident", "none"), profiles_for[k], framing)
            for k, r in renditions.items() if profiles_for[k]}
    results: dict[str, RenderResult] = {}
    todo: list[str] = []
    for k in keys:
        hit = cached(ws, keys[k], profiles_for[k])
        if hit is not None:
            results[k] = hit
            report.reused += 1
        else:
            todo.append(k)
    if not todo:
        return results
    jobs = max(1, min(jobs or os.cpu_count() or 1, len(todo)))
    advance = progress(len(todo)) if progress else (lambda _label: None)
    root = str(ws.root)
    fatal: list[BroadcastError] = []

    def done(k: str, fn: Callable[[], RenderResult]) -> None:
        try:
            results[k] = fn()
            report.rendered += 1
        except BroadcastError as exc:
            report.failures.append(exc)
        except OSError as exc:       # a full disk, a read-only cache: the machine, not the item
            fatal.append(from_os_error(exc, f"rendering {k}"))
        except Exception as exc:  # a bug must not cost the rest of the batch
            if os.environ.get("BROADCAST_DEBUG"):
                traceback.print_exc()
            report.failures.append(BroadcastError(
                f"rendering {k} failed unexpectedly: {type(exc).__name__}: {exc}",
                renditions[k].announcement.path,
                hint="this is a bug in broadcast; rerun with BROADCAST_DEBUG=1 and report the traceback"))
        advance(k)
        pause_point("produce.rendered")   # test hook, off by default (core.processes)

    if executor is not None and executor.kind == "ray":
        render_on_ray(executor, ws, {k: renditions[k] for k in todo}, keys, profiles_for, phrases, done)
    elif jobs == 1:
        for k in todo:
            done(k, lambda k=k: render_rendition(root, renditions[k], keys[k], profiles_for[k], phrases))
    else:
        _render_in_pool(root, todo, renditions, keys, profiles_for, phrases, jobs, done)
    if fatal:
        # A full disk or an unwritable cache would make every later step fail the same way: stop
        # before anything under output/ is touched, so the previous output stays as it was.
        first = fatal[0]
        raise BroadcastError(f"{first.reason}; nothing under output/ was changed", first.path,
                             hint=first.problem.hint)
    return results


def _render_in_pool(root: str, todo: list[str], renditions, keys, profiles_for, phrases, jobs: int, done) -> None:
    # Workers die with this process (PR_SET_PDEATHSIG): a killed `produce` leaves none behind.
    with ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                             initializer=worker_init, initargs=(os.getpid(),)) as pool:
        futures = {pool.submit(render_rendition, root, renditions[k], keys[k], profiles_for[k], phrases): k
                   for k in todo}
        for fut in as_completed(futures):
            done(futures[fut], fut.result)
