"""A real Ray cluster on this machine for the tests: `ray start --head --block` in its own
process group (so the whole cluster is stopped with it), 2 CPUs, on a free loopback port."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RayHead:
    def __init__(self, num_cpus: int = 2) -> None:
        # Ray's socket paths must stay short: a temp dir of its own, not pytest's deep tmp_path.
        self.temp_dir = tempfile.mkdtemp(prefix="ray")
        self.port = free_port()
        self.address = f"127.0.0.1:{self.port}"
        ray_cli = Path(sys.executable).with_name("ray")
        # A test cluster on loopback, for this process only: Ray's token authentication (on by
        # default in recent Ray) would refuse the test's own client.
        os.environ.setdefault("RAY_AUTH_MODE", "disabled")
        self.proc = subprocess.Popen(
            [str(ray_cli), "start", "--head", "--block", f"--num-cpus={num_cpus}", f"--port={self.port}",
             "--node-ip-address=127.0.0.1", "--include-dashboard=false", "--disable-usage-stats",
             f"--temp-dir={self.temp_dir}"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 90.0) -> None:
        import ray

        deadline = time.monotonic() + timeout
        while True:
            try:
                ray.init(address=self.address, log_to_driver=False, configure_logging=False)
                ray.shutdown()
                return
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    self.stop()
                    raise RuntimeError("the Ray head did not start") from None
                time.sleep(1.0)

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(5)  # a test cluster needs no graceful drain
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.temp_dir, ignore_errors=True)


def worker_pids(task_name: str) -> list[int]:
    """Ray worker processes running a task of this name (Ray titles them `ray::<name>`)."""
    out = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().split(b"\0")[0].decode(errors="replace")
        except OSError:
            continue
        if cmdline.startswith(f"ray::{task_name}"):
            out.append(int(entry.name))
    return out


@contextlib.contextmanager
def killing_first_worker(task_name: str, timeout: float) -> Iterator[list[int]]:
    """While the body runs, SIGKILL the first Ray worker seen running `task_name` (watching for up
    to `timeout` seconds). Yields the list its pid is appended to."""
    killed: list[int] = []

    def kill_first() -> None:
        deadline = time.monotonic() + timeout
        while not killed and time.monotonic() < deadline:
            for pid in worker_pids(task_name):
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
                break
            time.sleep(0.02)

    killer = threading.Thread(target=kill_first)
    killer.start()
    try:
        yield killed
    finally:
        killer.join()


_SESSION_HEAD: list[RayHead] = []


@pytest.fixture(scope="module")
def ray_head(request):
    """The Ray head of this test session (import this fixture into the module): started by the
    first module that asks for it, shared by the next ones (a start and a stop cost ~20 s here;
    each command's actors go with its job), stopped after the last module that uses it."""
    pytest.importorskip("ray", reason="needs the [ray] extra")
    if not _SESSION_HEAD or _SESSION_HEAD[0].proc.poll() is not None:
        _SESSION_HEAD[:] = [RayHead(num_cpus=2)]
        request.config.add_cleanup(_SESSION_HEAD[0].stop)     # if the session ends early
    yield _SESSION_HEAD[0]
    users = [item.module for item in request.session.items if "ray_head" in getattr(item, "fixturenames", ())]
    if not users or users[-1] is request.module:
        _SESSION_HEAD[0].stop()
