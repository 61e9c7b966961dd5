"""`broadcast serve` is the office web app — the same as `broadcast review serve`: the review
queue and the recording studio behind one sign-in."""

from __future__ import annotations

import re
import subprocess
import sys

import httpx

from test_web_auth import CSRF_RE, review_workspace


def test_broadcast_serve_is_the_review_queue_and_the_studio(tmp_path):
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
        base, token = found.groups()
        with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
            assert client.get("/studio").status_code in (303, 401, 403)          # signed out: not shown
            form = client.get(f"/login?token={token}")
            signed = client.post("/login", data={"csrf": CSRF_RE.search(form.text).group(1), "token": token,
                                                 "name": "Chị Lan", "next": "/"})
            assert signed.status_code == 303, signed.text
            assert client.get("/").status_code == 200                             # the review queue
            assert client.get("/studio").status_code == 200                       # the recording studio
    finally:
        proc.terminate()
        proc.wait(timeout=10)
