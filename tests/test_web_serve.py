"""`broadcast serve` is the office web app — the same as `broadcast review serve`: the review
queue and the recording studio behind one sign-in; a studio take may be larger than a form."""

from __future__ import annotations

import numpy as np
import pytest

from conftest import tone, write_wav
from test_web_auth import CSRF_RE, Serve, review_workspace

from broadcast.web.security import MAX_BODY_BYTES, MAX_TAKE_BYTES


@pytest.fixture
def server(tmp_path):
    """`broadcast serve` on a new workspace."""
    serve = Serve(review_workspace(tmp_path / "ws"), command=("serve",))
    yield serve
    serve.stop()


def test_broadcast_serve_is_the_review_queue_and_the_studio(server):
    with server.client() as client:
        assert client.get("/studio").status_code in (303, 401, 403)          # signed out: not shown
    client = server.sign_in()
    assert client.get("/").status_code == 200                                 # the review queue
    assert client.get("/studio").status_code == 200                           # the recording studio


def test_a_take_may_be_larger_than_a_form_but_not_unbounded(server, tmp_path):
    """A take over the 1 MiB form limit (a long reading) reaches the studio's own checks; up to
    MAX_TAKE_BYTES only, and every other path still answers 413 over 1 MiB."""
    long_take = write_wav(tmp_path / "long.wav", np.tile(tone(1.0, freq=220, amplitude=0.2), 70))   # 70 s
    assert long_take.stat().st_size > MAX_BODY_BYTES
    two_mib = b"\0" * (2 * MAX_BODY_BYTES)
    with server.client() as client:
        assert client.post("/login", files={"f": ("a.bin", two_mib)}).status_code == 413
    client = server.sign_in()
    client.timeout = 120
    csrf = CSRF_RE.search(client.get("/studio/phrase/ident").text).group(1)
    answer = client.post("/studio/phrase/ident/take", data={"csrf": csrf},
                         files={"take": ("take.wav", long_take.read_bytes(), "audio/wav")})
    assert answer.status_code == 303, answer.text[:300]            # recorded and verified: back to its page
    assert "take=" in answer.headers["location"]
    assert client.post("/studio/phrase/ident/accept", data={"csrf": csrf},
                       files={"f": ("a.bin", two_mib)}).status_code == 413
    huge = client.post("/studio/phrase/ident/take", data={"csrf": csrf},
                       files={"take": ("t.webm", b"\0" * (MAX_TAKE_BYTES + 1))})
    assert huge.status_code == 413
