"""`check --executor ray` on a real Ray cluster (a head with 2 CPUs on this machine): the first
readings are transcribed on an actor pool (the packaged Whisper model loaded once per actor, the
samples sent by value) and the driver writes check.json; every file gets the same flag, CER, WER
and transcript as with the local executor. `produce --check --executor ray` sends its check there
too. The workspace is test_check.py's: 2 announcements, repeat 1, one area."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest

from broadcast.produce.checkmarks import CHECK_NAME
from raycluster import ray_head, worker_pids  # noqa: F401  (ray_head is a fixture)
from test_check import DAY, cli_run, copy_of, produced  # noqa: F401  (produced is a fixture)

pytestmark = pytest.mark.slow


def checked(root: Path) -> tuple[dict, dict]:
    """check.json's header (backend, model, summary) and, per file, everything it found."""
    data = json.loads((root / "output" / DAY / CHECK_NAME).read_text(encoding="utf-8"))
    head = {k: data[k] for k in ("backend", "model", "summary", "errors")}
    files = {f["path"]: (f["flag"], f["cer"], f["wer"], f["transcript"], f["missing_numbers"], f["speech_rate"],
                         [(i["check"], i["level"]) for i in f["issues"]]) for f in data["files"]}
    return head, files


@pytest.fixture(scope="module")
def local_check(produced, tmp_path_factory):  # noqa: F811
    root = copy_of(produced, tmp_path_factory.mktemp("local"))
    result = cli_run(root, "check", "--date", DAY, "--executor", "local")
    assert result.exit_code == 0, result.output
    head, files = checked(root)
    assert len(files) == 2 and head["summary"] == {"ok": 2, "review": 0, "fail": 0}
    assert all(f[3] for f in files.values())          # both first readings were heard
    return head, files


class Watch:
    """Sees a Ray actor transcribing a first reading (its process is titled after the call)."""

    def __init__(self) -> None:
        self.seen: list[int] = []
        self.stop = False
        self.thread = threading.Thread(target=self.run)
        self.thread.start()

    def run(self) -> None:
        while not self.seen and not self.stop:
            self.seen = worker_pids("TranscribeActor.transcribe_samples")
            time.sleep(0.02)

    def join(self) -> list[int]:
        self.stop = True
        self.thread.join()
        return self.seen


def test_check_on_ray_matches_local(produced, local_check, ray_head, tmp_path, monkeypatch):  # noqa: F811
    root = copy_of(produced, tmp_path)
    monkeypatch.setenv("RAY_ADDRESS", ray_head.address)
    watch = Watch()
    result = cli_run(root, "check", "--date", DAY, "--executor", "ray")
    assert watch.join(), "no actor was seen transcribing"
    assert result.exit_code == 0, result.output
    assert checked(root) == local_check
    monkeypatch.delenv("RAY_ADDRESS")
    again = cli_run(root, "check", "--date", DAY, "--executor", "ray", "--ray-address", ray_head.address)
    assert again.exit_code == 0, again.output
    assert checked(root) == local_check


def test_produce_check_passes_the_executor_on(produced, local_check, ray_head, tmp_path, monkeypatch):  # noqa: F811
    root = copy_of(produced, tmp_path)
    monkeypatch.setenv("RAY_ADDRESS", ray_head.address)
    watch = Watch()
    result = cli_run(root, "produce", "--date", DAY, "--check", "--executor", "ray")
    assert watch.join(), "the check did not run on the cluster"
    assert result.exit_code == 0, result.output
    assert checked(root) == local_check
    sheet = (root / "output" / DAY / "loudspeaker" / "ly-xom" / "rundown.txt").read_text(encoding="utf-8")
    assert "[check" not in sheet
    assert cli_run(root, "verify", "--date", DAY).exit_code == 0


def test_cuda_on_a_cluster_without_a_gpu_is_one_clear_line(produced, ray_head, tmp_path):  # noqa: F811
    root = copy_of(produced, tmp_path)
    result = cli_run(root, "check", "--date", DAY, "--executor", "ray", "--ray-address", ray_head.address,
                     "--device", "cuda")
    assert result.exit_code == 1, result.output
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "the Ray cluster has no GPU" in lines[0], \
        result.output
    assert not (root / "output" / DAY / CHECK_NAME).exists()
