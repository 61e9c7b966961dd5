"""The real outputs: ALSA through a `type file` PCM in an asoundrc the test writes (a real ALSA
path without sound hardware), and a real Icecast server (Debian's icecast2) on a loopback port
with its own config, with a client capturing the mount. What comes out must be the slot's
items in order: found by correlation against the masters, spaced by their durations and the
gap, the emergency with its 853 + 960 Hz attention signal."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import httpx
import pytest
from playout_support import DAY, decode, fresh_copy, items, log_rows, match_at, play, start_play, tone_level, wait_for

GAP = 1.0
ICECAST = shutil.which("icecast2") or "/usr/bin/icecast2"


@pytest.fixture
def root(tmp_path_factory, tmp_path):
    return fresh_copy(tmp_path_factory, tmp_path)


def find_items(samples, rate, masters, durations, *, first_within: float):
    """Where each master starts in `samples`: the first anywhere in the first `first_within`
    seconds, each next one duration + gap after the one before."""
    corr, start = match_at(samples, rate, masters[0], first_within / 2, search=first_within / 2)
    found = [(corr, start)]
    for master, prev_duration in zip(masters[1:], durations):
        found.append(match_at(samples, rate, master, found[-1][1] + prev_duration + GAP, search=0.15))
    return found


def test_alsa_through_a_file_pcm(root, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    captured = tmp_path / "alsa-captured.wav"
    (home / ".asoundrc").write_text(f'pcm.captured {{\n  type file\n  slave.pcm "null"\n  file "{captured}"\n'
                                    f'  format "wav"\n}}\n', encoding="utf-8")
    started = time.monotonic()
    r = play(root, "--date", DAY, "--slot", "evening", "--area", "ban-a", "--output", "alsa:captured", HOME=str(home))
    took = time.monotonic() - started
    assert r.returncode == 0, r.stdout + r.stderr
    (entry,) = items(root, "ban-a", "evening")
    assert took >= entry["duration"]                # a sound card plays at the pace of the air
    rate = 44100
    samples = decode(captured, rate)
    corr, start = match_at(samples, rate, decode(root / "output" / DAY / entry["path"], rate), 0.5, search=0.5)
    assert corr > 0.999 and 0.3 < start < 1.0       # after the half second of lead-in silence
    assert len(samples) / rate >= start + entry["duration"] + GAP - 0.05
    (row,) = [x for x in log_rows(root) if x["result"] == "aired"]
    assert row["output"] == "alsa:captured" and abs(row["aired_seconds"] - entry["duration"]) < 0.05


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def icecast():
    """A throwaway Icecast on a loopback port. As root it drops to Debian's icecast2 user
    (Icecast refuses to run as root), so its folder is open to that user."""
    folder = Path(tempfile.mkdtemp(prefix="icecast-test"))
    os.chmod(folder, 0o777)
    port = free_port()
    owner = ("<changeowner><user>icecast2</user><group>icecast</group></changeowner>"
             if os.geteuid() == 0 else "")
    (folder / "icecast.xml").write_text(f"""<icecast>
  <location>test</location><admin>test@localhost</admin>
  <limits><clients>8</clients><sources>4</sources><source-timeout>10</source-timeout></limits>
  <authentication><source-password>nguon-thu</source-password><admin-user>admin</admin-user>
    <admin-password>quan-tri</admin-password></authentication>
  <hostname>127.0.0.1</hostname>
  <listen-socket><port>{port}</port><bind-address>127.0.0.1</bind-address></listen-socket>
  <fileserve>1</fileserve>
  <paths><basedir>/usr/share/icecast2</basedir><logdir>{folder}</logdir><webroot>/usr/share/icecast2/web</webroot>
    <adminroot>/usr/share/icecast2/admin</adminroot></paths>
  <logging><accesslog>access.log</accesslog><errorlog>error.log</errorlog><loglevel>3</loglevel></logging>
  <security><chroot>0</chroot>{owner}</security>
</icecast>
""", encoding="utf-8")
    proc = subprocess.Popen([ICECAST, "-c", str(folder / "icecast.xml")], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    wait_for(lambda: _up(base), 15, "icecast to listen")
    yield {"base": base, "port": port, "password": "nguon-thu", "folder": folder}
    proc.terminate()
    proc.wait(10)
    shutil.rmtree(folder, ignore_errors=True)


def _up(base: str) -> bool:
    try:
        return httpx.get(f"{base}/status-json.xsl", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def _mounts(base: str) -> list[str]:
    """The mounts with a source, from Icecast's admin XML (its status-json.xsl is not always
    valid JSON in 2.4)."""
    xml = httpx.get(f"{base}/admin/listmounts", auth=("admin", "quan-tri"), timeout=2).text
    return [m.lstrip("/") for m in re.findall(r'<source mount="([^"]+)"', xml)]


@pytest.mark.slow
def test_icecast_carries_the_slot_as_one_continuous_stream(root, tmp_path, icecast):
    mount = "ban-a.mp3"
    url = f"icecast://source:{icecast['password']}@127.0.0.1:{icecast['port']}/{mount}"
    player = start_play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output", url)
    wait_for(lambda: mount in _mounts(icecast["base"]) or player.poll() is not None, 20, "the mount to appear")
    assert player.poll() is None, player.stdout.read()
    captured = tmp_path / "captured.mp3"
    connects = 0
    with httpx.stream("GET", f"{icecast['base']}/{mount}", timeout=30) as resp, open(captured, "wb") as fh:
        connects += 1
        assert resp.status_code == 200 and resp.headers["content-type"] == "audio/mpeg"
        for chunk in resp.iter_bytes():         # until the player closes the stream
            fh.write(chunk)
    out = player.stdout.read()
    assert player.wait(30) == 0, out
    assert icecast["password"] not in out

    rate = 44100
    samples = decode(captured, rate)
    planned = items(root, "ban-a", "morning")
    masters = [decode(root / "output" / DAY / e["path"], rate) for e in planned]
    found = find_items(samples, rate, masters, [e["duration"] for e in planned], first_within=4.0)
    # One stream, every item in run-sheet order, each where the one before it ended plus the gap.
    assert [round(c, 2) > 0.97 for c, _ in found] == [True] * len(planned), found
    starts = [s for _, s in found]
    for (a, b), entry in zip(zip(starts, starts[1:]), planned):
        assert abs((b - a) - (entry["duration"] + GAP)) < 0.1
    assert len(samples) / rate >= starts[-1] + planned[-1]["duration"]
    # The emergency (first) sounds the attention signal; the others do not.
    tone = samples[int((starts[0] + 0.2) * rate):int((starts[0] + 2.8) * rate)]
    assert tone_level(tone, rate, 853) > 0.2 and tone_level(tone, rate, 960) > 0.2
    normal = samples[int(starts[1] * rate):int((starts[1] + 2.5) * rate)]
    assert tone_level(normal, rate, 853) < 0.01
    assert connects == 1
    rows = [x for x in log_rows(root) if x["result"] == "aired"]
    assert [x["announcement"] for x in rows] == [e["announcement"] for e in planned]
    assert {x["output"] for x in rows} == {f"icecast://source:***@127.0.0.1:{icecast['port']}/{mount}"}
    # The source connected once for the whole slot: Icecast's log has a single source login.
    log = (icecast["folder"] / "error.log").read_text(errors="replace")
    assert log.count(f"Source logging in at mountpoint \"/{mount}\"") == 1, log[-2000:]


def test_a_wrong_icecast_password_says_so(root, tmp_path, icecast):
    url = f"icecast://source:Zq7-sai@127.0.0.1:{icecast['port']}/ban-a.mp3"
    r = play(root, "--date", DAY, "--slot", "evening", "--area", "ban-a", "--output", url)
    assert r.returncode == 1
    said = r.stdout + r.stderr
    assert "ffmpeg for icecast://source:***@127.0.0.1" in said and "401 Unauthorized" in said
    assert "is the Icecast server up, and are the source password and mount right?" in said
    assert "Zq7-sai" not in said and "Traceback" not in said
    # Refused at the door (before any item) or the first item failed: either way, logged honestly.
    rows = [x for x in log_rows(root) if x["result"] != "started"]
    assert rows == [] or [x["result"] for x in rows] == ["failed"], rows
    assert all("401 Unauthorized" in x["reason"] and "Zq7-sai" not in x["reason"] for x in rows)
