"""`produce --executor ray` on a real Ray cluster (a head with 2 CPUs on this machine): the same
bytes and the same manifest as local processes, and a worker killed mid-batch costs a retry,
never a file."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from raycluster import killing_first_worker, ray_head  # noqa: F401  (ray_head is a fixture)
from test_produce import DAY, make_workspace, run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def approved(tmp_path_factory) -> Path:
    """One approved workspace; each test copies it, so approvals (and their times) are identical."""
    root = make_workspace(tmp_path_factory.mktemp("scale") / "base")
    for name in ("lu-quet", "tiem-chung"):
        assert run(root, "approve", str(root / "announcements" / f"{name}.md"), "--by", "Chủ tịch").exit_code == 0
    return root


def copy_of(base: Path, dest: Path) -> Path:
    shutil.copytree(base, dest)
    return dest


def outputs(root: Path) -> dict[str, bytes]:
    folder = root / "output" / DAY
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture(scope="module")
def local_outputs(approved, tmp_path_factory) -> dict[str, bytes]:
    """Local executor, twice (2 processes, then 1): mastering must be deterministic for the
    comparison with Ray to mean anything."""
    first = copy_of(approved, tmp_path_factory.mktemp("local") / "ws")
    second = copy_of(approved, tmp_path_factory.mktemp("local1") / "ws")
    assert run(first, "produce", "--date", DAY, "--jobs", "2").exit_code == 0
    assert run(second, "produce", "--date", DAY, "--jobs", "1").exit_code == 0
    a, b = outputs(first), outputs(second)
    assert a.keys() == b.keys()
    assert [k for k in a if a[k] != b[k]] == []
    return a


def test_ray_matches_local_byte_for_byte(approved, local_outputs, ray_head, tmp_path, monkeypatch):
    root = copy_of(approved, tmp_path / "ws")
    monkeypatch.setenv("RAY_ADDRESS", ray_head.address)
    result = run(root, "produce", "--date", DAY, "--executor", "ray")
    assert result.exit_code == 0, result.output
    assert "2 renditions made" in result.output
    got = outputs(root)
    assert got.keys() == local_outputs.keys()
    assert [k for k in got if got[k] != local_outputs[k]] == []      # manifest.json included
    # The driver alone wrote the master cache: a rerun reuses it and writes nothing.
    again = run(root, "produce", "--date", DAY, "--executor", "ray", "--ray-address", ray_head.address)
    assert again.exit_code == 0, again.output
    assert "0 renditions made, 2 reused" in again.output and "0 files written" in again.output


def test_worker_killed_mid_batch_is_retried(approved, local_outputs, ray_head, tmp_path, monkeypatch):
    root = copy_of(approved, tmp_path / "ws")
    monkeypatch.setenv("RAY_ADDRESS", ray_head.address)
    with killing_first_worker("render_by_value", timeout=120) as killed:
        result = run(root, "produce", "--date", DAY, "--executor", "ray")
    assert killed, "no Ray worker was seen rendering"
    assert result.exit_code == 0, result.output
    assert "2 renditions made" in result.output
    got = outputs(root)
    assert got == local_outputs
    masters = ws_masters(root)
    assert len([p for p in masters if p.suffix == ".json"]) == 2      # one cache record per rendition


def ws_masters(root: Path) -> list[Path]:
    from broadcast.core.config import load_workspace

    return sorted((load_workspace(root).cache_dir / "masters").iterdir())


@pytest.fixture(scope="module")
def recorded(tmp_path_factory) -> Path:
    """An approved announcement with an approved H'Mông translation and a local speaker's
    recording of it (as in test_translation_produce.py); each test copies it."""
    from conftest import announcement_text, speak
    from test_translation_produce import BODY, HMN, fill

    root = make_workspace(tmp_path_factory.mktemp("recorded") / "base")
    for p in (root / "announcements").iterdir():
        p.unlink()
    path = root / "announcements" / "hop-dan.md"
    path.write_text(announcement_text("hop-dan", areas="[men]", languages="[vi, hmn]", channels="[loudspeaker]",
                                      repeat="1", schedule="\n  dates: [2099-12-14]\n  slots: [morning]",
                                      body=BODY), encoding="utf-8")
    assert run(root, "approve", str(path), "--by", "Chủ tịch").exit_code == 0
    assert run(root, "translate", "hop-dan", "--to", "hmn").exit_code == 0
    xlf = root / "translations" / "hop-dan" / "hmn.xlf"
    fill(xlf)
    assert run(root, "translations", "import", str(xlf), "--by", "Vàng A Sử").exit_code == 0
    wav = speak(root / "take-hmn.wav", " ".join(HMN.values()), speed=140)
    run(root, "record", "hop-dan", "--lang", "hmn", str(wav), "--by", "Vàng Thị Mai")
    assert run(root, "record", "approve", "hop-dan", "--lang", "hmn", "--by", "Lò Văn Minh").exit_code == 0
    return root


def test_recorded_reading_sent_by_value_matches_local(recorded, ray_head, tmp_path, monkeypatch):
    import json

    local = copy_of(recorded, tmp_path / "local")
    result = run(local, "produce", "--date", DAY, "--jobs", "1")
    assert result.exit_code == 0, result.output
    expected = outputs(local)
    assert "loudspeaker/men/02-morning-normal-hop-dan-hmn.mp3" in expected
    manifest = json.loads(expected["manifest.json"])
    assert next(e for e in manifest["files"] if e["path"].endswith("hop-dan-hmn.mp3"))["engine"] == "recorded"

    root = copy_of(recorded, tmp_path / "ray")
    monkeypatch.setenv("RAY_ADDRESS", ray_head.address)
    result = run(root, "produce", "--date", DAY, "--executor", "ray")   # [cluster] shared_path unset: by value
    assert result.exit_code == 0, result.output
    assert "2 renditions made" in result.output
    got = outputs(root)
    assert got.keys() == expected.keys()
    assert [k for k in got if got[k] != expected[k]] == []          # manifest.json included
