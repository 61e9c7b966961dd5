"""What the review page refuses before it does any work, against the real `broadcast review
serve` process: request bodies over the limit (declared, and streamed in chunks through a raw
socket while the server's memory is watched), too many or too long form fields, ids and page
numbers no database row can have, Host names it was not told about — and that every answer,
a 500 from a broken database file included, carries the security headers."""

from __future__ import annotations

import re
import socket
import threading
import time

import pytest
from test_review_web import add
from test_web_auth import CSRF_RE, PASSWORD, review_workspace, serve, serve_refused  # noqa: F401

from broadcast.core import db
from broadcast.core.config import load_workspace
from broadcast.web.auth import hash_password
from broadcast.web.security import CSP, MAX_BODY_BYTES, default_allowed_hosts

BIG = 2**63   # one past the largest SQLite INTEGER / PostgreSQL BIGINT


def raw_request(port: int, head: str, body_chunks=(), timeout: float = 20) -> tuple[bytes, int]:
    """Send `head` then each chunk (chunked encoding) on a plain socket while reading the answer
    in parallel; (what came back, body bytes the server took before answering)."""
    sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    got: list[bytes] = []
    answered = threading.Event()

    def read() -> None:
        try:
            while data := sock.recv(65536):
                got.append(data)
                answered.set()
        except OSError:
            pass
        answered.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    sock.sendall(head.encode())
    sent = 0
    try:
        for chunk in body_chunks:
            if answered.is_set():
                break
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            sent += len(chunk)
        else:
            if body_chunks:
                sock.sendall(b"0\r\n\r\n")
    except OSError:
        pass   # the server answered and closed: what it said is in `got`
    answered.wait(timeout)
    time.sleep(0.2)
    sock.close()
    reader.join(5)
    return b"".join(got), sent


def status_of(answer: bytes) -> int:
    m = re.match(rb"HTTP/1\.1 (\d{3})", answer)
    assert m, answer[:200]
    return int(m.group(1))


# ------------------------------------------------------------------------------------ bodies

@pytest.mark.parametrize("path", ["/login", "/logout", "/items/1"])
def test_a_declared_huge_body_is_refused_before_it_is_sent(serve, path):
    server = serve()
    head = (f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 400000000\r\n\r\n")
    began = time.monotonic()
    answer, _ = raw_request(server.port, head)
    assert status_of(answer) == 413 and b"content-security-policy" in answer.lower()
    assert time.monotonic() - began < 10   # answered without waiting for 400 MB


def test_a_chunked_body_is_cut_off_at_the_limit_and_memory_stays_flat(serve):
    server = serve()
    head = (f"POST /login HTTP/1.1\r\nHost: 127.0.0.1:{server.port}\r\n"
            "Content-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n")
    # 70 fields of 900 KiB: each under Starlette's own 1 MiB part limit, 63 MiB in all.
    chunks = [b"f%d=%s&" % (i, b"a" * (900 * 1024)) for i in range(70)]
    before = server.rss_kib()
    answer, sent = raw_request(server.port, head, chunks)
    grown = server.rss_kib() - before
    assert status_of(answer) == 413
    assert grown < 16 * 1024, f"the server grew by {grown} KiB reading a {sent} byte body"
    assert server.client().get("/login").status_code == 200   # and still serves


def test_form_fields_are_bounded(serve):
    server = serve()
    client = server.client()
    csrf = CSRF_RE.search(client.get(server.link()).text).group(1)   # the login form, its cookie
    too_many = {"csrf": csrf, **{f"x{i}": "1" for i in range(40)}}
    assert client.post("/login", data=too_many).status_code == 400
    long_name = client.post("/login", data={"csrf": csrf, "token": "t", "name": "Lan" * 2000})
    assert long_name.status_code == 413 and "name" in long_name.text
    files = client.post("/login", data={"csrf": csrf}, files={"f": ("a.txt", b"x")})
    assert files.status_code == 400
    # Just under the whole-body limit but one field over its own: refused as well.
    note = client.post("/login", data={"csrf": csrf, "note": "x" * 5000})
    assert note.status_code == 413 and len("x" * 5000) < MAX_BODY_BYTES


# ------------------------------------------------------------------------------------ ids and pages

def test_out_of_range_ids_and_pages_are_404(serve):
    server = serve()
    conn = db.connect(load_workspace(server.root).db_path)
    item_id = add(conn, "one", "Một phản hồi", received="2099-12-20T08:00:00+07:00", audio="store/voice.wav")
    client = server.sign_in()
    csrf = CSRF_RE.search(client.get(f"/items/{item_id}").text).group(1)
    for bad in (str(BIG), str(2**64), "9" * 5000, "0", "00", "-1", "1e3", "١"):
        assert client.get(f"/items/{bad}").status_code == 404, bad
        assert client.get(f"/items/{bad}/audio").status_code == 404, bad
        assert client.post(f"/items/{bad}", data={"csrf": csrf, "version": "1"}).status_code == 404, bad
    for action in ("assign", "reply", "close", "link"):      # an empty reply is refused before the lookup
        answer = client.post(f"/items/{item_id + 1}/case", data={"csrf": csrf, "case_version": "1", "action": action})
        assert answer.status_code == 404, (action, answer.status_code)
    assert client.get(f"/items/{BIG - 1}").status_code == 404   # the largest id: no such item
    for page in (str(BIG), str(10**30), "9" * 5000, "0", "-3", "2", "x"):
        r = client.get("/", params={"page": page})
        assert r.status_code == 404 and "content-security-policy" in r.headers, page
    assert client.get("/", params={"page": "1"}).status_code == 200
    form = {"csrf": csrf, "version": str(BIG), "corrected_transcript": "x", "tags": "", "status": "new",
            "note": "", "reviewer": "", "action": "save"}
    assert client.post(f"/items/{item_id}", data=form).status_code == 400


# ------------------------------------------------------------------------------------ headers

def test_a_500_from_a_broken_database_carries_the_security_headers(serve):
    server = serve()
    client = server.sign_in()
    assert client.get("/").status_code == 200
    state = server.root / "state"
    for leftover in state.glob("broadcast.db-*"):
        leftover.unlink()
    (state / "broadcast.db").write_bytes(b"this is not an SQLite database " * 200)
    answer = client.get("/")
    assert answer.status_code == 500
    assert answer.headers["content-security-policy"] == CSP
    assert answer.headers["x-frame-options"] == "DENY" and answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "no-referrer"
    assert "Máy chủ gặp lỗi" in answer.text
    assert "Traceback" not in answer.text and str(state) not in answer.text
    server.wait_for("Traceback|Exception in ASGI application")   # the details went to the log


# ------------------------------------------------------------------------------------ Host names

def test_host_names_outside_the_allow_list_are_refused_on_the_network(serve):
    pw = hash_password(PASSWORD)
    server = serve(f'password_hash = "{pw}"', "--host", "0.0.0.0")
    client = server.client()
    assert client.get("/login").status_code == 200   # 127.0.0.1, the printed link
    for evil in ("evil.example", "192.0.2.66", f"evil.example:{server.port}", "localhost.evil.example"):
        answer = client.get("/login", headers={"Host": evil})
        assert answer.status_code == 400, evil
        assert answer.headers["content-security-policy"] == CSP
    machine = socket.gethostname()
    assert client.get("/login", headers={"Host": f"{machine}:{server.port}"}).status_code == 200
    assert client.get("/login", headers={"Host": f"[::1]:{server.port}"}).status_code == 200
    assert "Browsers may reach it as:" in server.log() and machine.lower() in server.log()


def test_configured_allowed_hosts_replace_the_default(serve):
    pw = hash_password(PASSWORD)
    server = serve(f'password_hash = "{pw}"\nallowed_hosts = ["May-Xa.local", "192.0.2.10"]', "--host", "0.0.0.0")
    client = server.client()
    assert client.get("/login", headers={"Host": "may-xa.local"}).status_code == 200
    assert client.get("/login", headers={"Host": f"192.0.2.10:{server.port}"}).status_code == 200
    assert client.get("/login").status_code == 200   # the printed link's host stays allowed
    assert client.get("/login", headers={"Host": socket.gethostname()}).status_code == 400


def test_loopback_mode_allows_only_loopback_names(serve):
    server = serve()
    client = server.client()
    assert client.get("/login", headers={"Host": f"localhost:{server.port}"}).status_code == 200
    assert client.get("/login", headers={"Host": socket.gethostname()}).status_code == 400
    assert default_allowed_hosts("127.0.0.1") == ["127.0.0.1", "localhost", "[::1]"]
    named = default_allowed_hosts("192.0.2.7")
    assert named[0] == "192.0.2.7" and socket.gethostname().lower() in named and "127.0.0.1" not in named
    assert default_allowed_hosts("fe80::1")[0] == "[fe80::1]"


def test_allowed_hosts_must_be_host_names(tmp_path):
    for n, (value, message) in enumerate((('"may-xa"', "must be a list"), ('["*"]', "'*' is not a host name"),
                                          ('["may xa"]', "is not a host name"))):
        result = serve_refused(review_workspace(tmp_path / f"ws{n}", f"allowed_hosts = {value}"))
        output = result.stdout + result.stderr
        assert result.returncode == 2 and "review.allowed_hosts" in output, output
        assert message in output and "Traceback" not in output

