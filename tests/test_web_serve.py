"""`broadcast serve` is the office web app — the same as `broadcast review serve`: the review
queue and the recording studio behind one sign-in; a studio take may be larger than a form."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx
import numpy as np
import pytest

from conftest import tone, write_wav
from test_web_auth import CSRF_RE, review_workspace

from broadcast.web.security import MAX_BODY_BYTES, MAX_TAKE_BYTES


@pytest.fixture
def server(tmp_path):
    """(base address, one-time login token) of `broadcast serve` on a new workspace."""
    root = review_workspace(tmp_path / "ws")
    proc = subprocess.Popen([sys.executable, "-m", "broadcast", "--workspace", str(root), "serve", "--port", "0",
                             "--no-open"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        for line in proc.stdout:
            found = re.search(r"(http://[\w.:]+)/login\?token=([\w-]+)", line)
            if found:
                break
        else:
            raise AssertionError(f"`broadcast serve` printed no login link (exit {proc.wait()})")
        yield found.groups()
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def signed_in(client: httpx.Client, token: str) -> str:
    """Exchange the link for a session; the page's CSRF token."""
    form = client.get(f"/login?token={token}")
    signed = client.post("/login", data={"csrf": CSRF_RE.search(form.text).group(1), "token": token,
                                         "name": "Chị Lan", "next": "/"})
    assert signed.status_code == 303, signed.text
    return CSRF_RE.search(client.get("/studio/phrase/ident").text).group(1)


def test_broadcast_serve_is_the_review_queue_and_the_studio(server):
    base, token = server
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        assert client.get("/studio").status_code in (303, 401, 403)          # signed out: not shown
        signed_in(client, token)
        assert client.get("/").status_code == 200                             # the review queue
        assert client.get("/studio").status_code == 200                       # the recording studio


def test_a_take_may_be_larger_than_a_form_but_not_unbounded(server, tmp_path):
    """A take over the 1 MiB form limit (a long reading) reaches the studio's own checks; up to
    MAX_TAKE_BYTES only, and every other path still answers 413 over 1 MiB."""
    base, token = server
    long_take = write_wav(tmp_path / "long.wav", np.tile(tone(1.0, freq=220, amplitude=0.2), 70))   # 70 s
    assert long_take.stat().st_size > MAX_BODY_BYTES
    two_mib = b"\0" * (2 * MAX_BODY_BYTES)
    with httpx.Client(base_url=base, follow_redirects=False, timeout=120) as client:
        assert client.post("/login", files={"f": ("a.bin", two_mib)}).status_code == 413
        csrf = signed_in(client, token)
        answer = client.post("/studio/phrase/ident/take", data={"csrf": csrf},
                             files={"take": ("take.wav", long_take.read_bytes(), "audio/wav")})
        assert answer.status_code == 303, answer.text[:300]        # recorded and verified: back to its page
        assert "take=" in answer.headers["location"]
        assert client.post("/studio/phrase/ident/accept", data={"csrf": csrf},
                           files={"f": ("a.bin", two_mib)}).status_code == 413
        huge = client.post("/studio/phrase/ident/take", data={"csrf": csrf},
                           files={"take": ("t.webm", b"\0" * (MAX_TAKE_BYTES + 1))})
        assert huge.status_code == 413
