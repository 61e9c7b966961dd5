"""Bad input at scale, with real processes: a workspace of 200 announcements of which 20 are
broken, and a feedback folder of 100 recordings of which 10 are broken. The good ones all go
through, each bad one is named with its reason, exit 1. Also: `broadcast verify` reports an
audit log edited behind the project's back."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import time
import wave
from pathlib import Path

import numpy as np
import pytest

from broadcast.core import db
from broadcast.core.config import load_workspace
from conftest import announcement_text, make_workspace, write_wav

pytestmark = pytest.mark.slow
BROADCAST = [sys.executable, "-m", "broadcast"]
DAY = "2099-12-14"
GOOD, BAD_PER_KIND = 180, 2


def run(root: Path, *args: str, timeout: float = 600, **env) -> subprocess.CompletedProcess:
    return subprocess.run([*BROADCAST, "--workspace", str(root), *args], capture_output=True, text=True,
                          timeout=timeout, env={**os.environ, "CI": "1", **env})


def small(ann_id: str, **fields) -> str:
    """The smallest production: one area, one slot, one date, one reading, loudspeaker only."""
    body = fields.pop("body", f"Thông báo {ann_id.rsplit('-', 1)[-1]}: họp bản lúc 7 giờ sáng.")
    base = dict(areas="[ly-xom]", channels="[loudspeaker]", repeat="1", priority="normal",
                schedule=f"\n  dates: [{DAY}]\n  slots: [morning]")
    return announcement_text(ann_id, body=body, **{**base, **fields})


# kind → (how file k of that kind is written, what produce's output must say about it)
BROKEN = {
    "unknown-field": (lambda i, k: small(i, colour="red"), "unknown field 'colour'"),
    "bad-id": (lambda i, k: small(i.replace("-", "_").upper()), "is not a valid id"),
    "not-utf8": (lambda i, k: small(i).encode("utf-8").replace("họp".encode(), b"h\xff\xfep"), "not valid UTF-8"),
    "yaml-alias": (lambda i, k: small(i, areas="&a [ly-xom]", title="*a"), "aliases"),
    "impossible-date": (lambda i, k: small(i, schedule=f"\n  dates: [2099-02-3{k}]\n  slots: [morning]"),
                        "is not a real date"),
    "unknown-area": (lambda i, k: small(i, areas="[ban-khong-co]"), "unknown area 'ban-khong-co'"),
    "empty-body": (lambda i, k: small(i, body=""), "is empty"),
    "binary": (lambda i, k: np.random.default_rng(k).bytes(700), "not valid UTF-8"),
    "unclosed": (lambda i, k: small(i).replace("\n---\n", "\n", 1), "front matter is never closed"),
    # k=0 is past its expiry: approval refuses it, and produce says it expired.
    # k=1 is approved but expires before the broadcast date: produce leaves it out, saying so.
    "expired": (lambda i, k: small(i, expires=["2020-01-01T00:00:00+07:00", "2099-12-13T06:00:00+07:00"][k]),
                ("expired 2020-01-01", "expired 2099-12-13")),
}


def test_produce_200_announcements_20_broken(tmp_path):
    root = make_workspace(tmp_path / "ws")
    ann = root / "announcements"
    for n in range(GOOD):
        (ann / f"tb-{n:03d}.md").write_text(small(f"tb-{n:03d}"), encoding="utf-8")
    bad_names = {}
    for kind, (make, why) in BROKEN.items():
        for k in range(BAD_PER_KIND):
            ann_id = f"loi-{kind}-{k}"
            data = make(ann_id, k)
            (ann / f"{ann_id}.md").write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
            bad_names[ann_id] = why[k] if isinstance(why, tuple) else why
    assert len(bad_names) == 20

    approve = run(root, "approve", str(ann), "--by", "Chủ tịch UBND")
    assert approve.returncode == 1, approve.stdout + approve.stderr
    assert approve.stdout.count("approved  tb-") == GOOD, approve.stdout
    refused = [ann_id for ann_id in bad_names if f"{ann_id}.md" in approve.stderr]
    assert sorted(refused) == sorted(set(bad_names) - {"loi-expired-1"}), approve.stderr

    started = time.monotonic()
    produce = run(root, "produce", "--date", DAY, "--jobs", "2")
    took = time.monotonic() - started
    out = produce.stdout + produce.stderr
    assert produce.returncode == 1, out
    lines = out.splitlines()
    for ann_id, why in bad_names.items():
        named = [line for line in lines if ann_id in line]
        assert named, f"{ann_id} is not listed:\n{out}"
        assert any(why in line for line in named), (ann_id, why, named)
    assert f", {len(bad_names) - BAD_PER_KIND} failed" in out, out  # the expired ones are left out, not failed

    day = root / "output" / DAY
    mp3s = sorted(day.glob("loudspeaker/ly-xom/*.mp3"))
    assert len(mp3s) == GOOD
    produced = {p.name.split("-normal-", 1)[1].removesuffix("-vi.mp3") for p in mp3s}
    assert produced == {f"tb-{n:03d}" for n in range(GOOD)}
    manifest = json.loads((day / "manifest.json").read_text(encoding="utf-8"))
    on_disk = {str(p.relative_to(day)) for p in day.rglob("*") if p.is_file()} - {"manifest.json"}
    assert {e["path"] for e in manifest["files"]} == on_disk
    assert len(manifest["failed"]) == len(bad_names) - BAD_PER_KIND
    verify = run(root, "verify", "--date", DAY)
    assert verify.returncode == 0, verify.stdout + verify.stderr
    print(f"produce of {GOOD} good + {len(bad_names)} broken announcements: {took:.1f} s")


# ------------------------------------------------------------------------------------ feedback



def ffmpeg(*args: str) -> None:
    subprocess.run(["ffmpeg", "-v", "error", "-y", *args], check=True)


def feedback_folder(folder: Path) -> tuple[list[Path], dict[str, str]]:
    """90 good recordings (10 espeak-ng sentences, 80 tones and hisses, a few in mp3/m4a/ogg) and
    10 broken files, each with the reason `transcribe` must give. Every file differs (sha256)."""
    folder.mkdir(parents=True)
    rng = np.random.default_rng(100)
    speech = folder / ".speech.wav"
    subprocess.run(["espeak-ng", "-v", "vi", "-s", "160", "-w", str(speech), "Đèn đường ở bản bị hỏng."],
                   check=True)
    with wave.open(str(speech)) as w:
        voice, rate = np.frombuffer(w.readframes(w.getnframes()), "<i2") / 32768, w.getframerate()
    speech.unlink()
    good = []
    for i in range(10):
        noisy = voice + rng.standard_normal(voice.size) * 0.002
        good.append(write_wav(folder / f"giong-noi-{i:02d}.wav", noisy, rate))
    t = np.arange(16000 * 1.5) / 16000
    for i in range(40):
        good.append(write_wav(folder / f"tieng-bip-{i:02d}.wav", 0.3 * np.sin(2 * np.pi * (300 + 17 * i) * t)))
    for i in range(40):
        good.append(write_wav(folder / f"tieng-u-{i:02d}.wav", rng.standard_normal(t.size) * 0.01))
    # A few good ones in the formats Zalo and phones send.
    for src, ext in zip(good[10:25], ["mp3"] * 5 + ["m4a"] * 5 + ["ogg"] * 5):
        ffmpeg("-i", str(src), str(src.with_suffix(f".{ext}")))
        src.unlink()
    good = [p if p.exists() else next(folder.glob(f"{p.stem}.*")) for p in good]

    broken = {
        "rong.wav": (b"", "empty file"),
        "rong.ogg": (b"", "empty file"),
        "rac.mp3": (rng.bytes(4000), "not an audio file"),
        "rac.wav": (rng.bytes(4000), "not an audio file"),
        "thu-bi-cat.wav": (good[0].read_bytes()[:20000], "truncated"),
        "thu-bi-cat.m4a": (good[15].read_bytes()[: good[15].stat().st_size // 2], "truncated or damaged MP4"),
        "cong-van.mp3": ("Kính gửi UBND xã Chiềng Sinh".encode(), "not an audio file"),
        "cong-van.wav": ("Đơn kiến nghị về đường giao thông".encode(), "not an audio file"),
        "khong-co-tieng.wav": (b"", "no audio could be decoded"),  # a header and no samples, below
    }
    for name, (data, _) in broken.items():
        (folder / name).write_bytes(data)
    write_wav(folder / "khong-co-tieng.wav", np.zeros(0))
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=32x32:d=1", "-frames:v", "1", "-f", "mp4", str(folder / "anh.m4a"))
    broken["anh.m4a"] = (b"", "no audio stream")
    return good, {name: why for name, (_, why) in broken.items()}


def test_transcribe_100_recordings_10_broken(tmp_path):
    root = make_workspace(tmp_path / "ws")
    good, broken = feedback_folder(tmp_path / "inbox")
    assert len(good) == 90 and len(broken) == 10
    cache = tmp_path / "model-cache"
    started = time.monotonic()
    r = run(root, "transcribe", str(tmp_path / "inbox"), BROADCAST_MODEL_CACHE=str(cache))
    took = time.monotonic() - started
    out = r.stdout + r.stderr
    assert r.returncode == 1, out
    for name, why in broken.items():
        assert any(name in line and why in line for line in out.splitlines()), (name, why, out)
    assert "90 added, 0 already queued, 10 failed" in out, out
    conn = db.connect(load_workspace(root).db_path)
    rows = conn.execute("SELECT source_name, transcript FROM feedback_items").fetchall()
    assert sorted(r["source_name"] for r in rows) == sorted(p.name for p in good)
    spoken = {r["source_name"]: r["transcript"] for r in rows if r["source_name"].startswith("giong-noi")}
    assert sum(1 for text in spoken.values() if text) >= 8, spoken  # the speech is heard…
    assert all(r["transcript"] == "" for r in rows if not r["source_name"].startswith("giong-noi")), \
        [tuple(r) for r in rows if r["transcript"]]  # …and nothing is invented in tones and hiss
    print(f"transcribe of 90 good + 10 broken recordings: {took:.1f} s")


# ------------------------------------------------------------------------------------ tampering


def test_verify_reports_an_audit_log_edited_outside_broadcast(tmp_path):
    root = make_workspace(tmp_path / "ws")
    (root / "announcements" / "tb-001.md").write_text(small("tb-001"), encoding="utf-8")
    assert run(root, "approve", str(root / "announcements"), "--by", "Chủ tịch UBND").returncode == 0
    assert run(root, "produce", "--date", DAY).returncode == 0
    ok = run(root, "verify", "--date", DAY)
    assert ok.returncode == 0 and "audit log is intact" in ok.stdout, ok.stdout + ok.stderr

    path = load_workspace(root).db_path
    conn = sqlite3.connect(path)
    with pytest.raises(sqlite3.DatabaseError, match="append-only"):  # the project's guard holds
        conn.execute("UPDATE audit_log SET actor = 'Ai đó' WHERE seq = 1")
    # Someone who drops the guard and rewrites who approved is caught by the hash chain.
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'Ai đó' WHERE seq = 1")
    conn.commit()
    conn.close()
    bad = run(root, "verify", "--date", DAY)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "audit log entry #1 does not match its hash" in bad.stderr, bad.stderr
    assert "entry #2" not in bad.stderr  # only the edited entry is named

    # An output file edited after production is named too, beside the audit problem.
    mp3 = next((root / "output" / DAY).rglob("*.mp3"))
    mp3.write_bytes(mp3.read_bytes() + b"\0")
    bad = run(root, "verify", "--date", DAY)
    assert bad.returncode == 1 and f"{mp3.name}: changed after production" in bad.stderr, bad.stderr
