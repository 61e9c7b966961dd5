"""`transcribe --executor ray` on a real Ray cluster (a head with 2 CPUs on this machine): an
actor pool, each actor loading the packaged Whisper model once, gives the same transcripts as
the local executor; an actor killed mid-batch is restarted and its recording retried, and every
recording is queued exactly once."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from broadcast.core import db
from broadcast.feedback import queue
from conftest import WorkspaceHelper, make_workspace, spoken_clips
from raycluster import killing_first_worker, ray_head  # noqa: F401  (ray_head is a fixture)

pytestmark = pytest.mark.slow

TEXTS = {
    "mat-dien": "Nhà tôi bị mất điện từ hôm qua.",
    "tiem-chung": "Xin chào. Tôi muốn hỏi về lịch tiêm chủng cho trẻ em.",
    "duong": "Đường vào bản bị sạt lở, xin xã cho người đến sửa.",
    "nuoc": "Bản tôi thiếu nước sạch đã ba ngày nay.",
}


@pytest.fixture(scope="module")
def clips(tmp_path_factory) -> Path:
    return spoken_clips(tmp_path_factory.mktemp("clips"), TEXTS)


def queued(ws) -> dict[str, tuple]:
    conn = db.connect(ws.load().db_path)
    return {it.source_name: (it.transcript, [(s["start"], s["end"], s["text"]) for s in it.segments], it.duration)
            for it in queue.iter_all(conn)}


@pytest.fixture(scope="module")
def local_transcripts(clips, tmp_path_factory):
    ws = WorkspaceHelper(make_workspace(tmp_path_factory.mktemp("local") / "ws"))
    result = ws.run("transcribe", str(clips))
    assert result.exit_code == 0, result.output
    got = queued(ws)
    assert len(got) == len(TEXTS) and all(t for t, _, _ in got.values())
    return got


def test_ray_transcripts_match_local(ws, clips, local_transcripts, ray_head, monkeypatch):
    monkeypatch.setenv("RAY_ADDRESS", ray_head.address)
    result = ws.run("transcribe", str(clips), "--executor", "ray")
    assert result.exit_code == 0, result.output
    assert f"{len(TEXTS)} added" in result.output
    assert queued(ws) == local_transcripts
    again = ws.run("transcribe", str(clips), "--executor", "ray", "--ray-address", ray_head.address)
    assert again.exit_code == 0 and f"0 added, {len(TEXTS)} already queued" in again.output


def test_actor_killed_mid_batch_is_restarted(ws, clips, local_transcripts, ray_head, monkeypatch, tmp_path):
    monkeypatch.setenv("RAY_ADDRESS", ray_head.address)
    # A fresh workspace, so every clip is transcribed again; the actor is killed while busy.
    batch = tmp_path / "batch"
    shutil.copytree(clips, batch)
    with killing_first_worker("TranscribeActor.transcribe", timeout=180) as killed:
        result = ws.run("transcribe", str(batch), "--executor", "ray")
    assert killed, "no actor was seen transcribing"
    assert result.exit_code == 0, result.output
    assert queued(ws) == local_transcripts          # each recording once, same text
