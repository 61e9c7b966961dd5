"""Signing in to the review page, against the real `broadcast review serve` process: the
password throttle under parallel guesses, X-Forwarded-For from a client that is no proxy,
scrypt parameters and Unicode forms of a password, and whose name the audit log records.

`Serve` (also used by test_web_limits.py and test_web_display.py) runs the command on a loopback
port in a child process and keeps every line it prints (its log)."""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import threading
import time
import unicodedata
from pathlib import Path

import httpx
import pytest
from conftest import CONFIG, make_workspace, write_tone
from test_review_web import add, terminate

from broadcast.core import db
from broadcast.core.config import load_workspace
from broadcast.feedback import queue
from broadcast.web.auth import (
    MAX_FAILURES,
    SCRYPT_N,
    AuthConfigError,
    check_password_hash,
    hash_password,
    password_setting,
)

PASSWORD = "mật khẩu xã Chiềng Sinh"   # NFC, as hash_password stores it
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def review_workspace(root: Path, review_toml: str = "") -> Path:
    """The conftest workspace with `review_toml` as its [review] table and one stored recording."""
    make_workspace(root, CONFIG + (f"\n[review]\n{review_toml}\n" if review_toml else ""))
    write_tone(root / "feedback" / "store" / "voice.wav", 1.0)
    return root


class Serve:
    """`broadcast review serve --port 0 --no-open [args]` (or `command`, e.g. ("serve",)) in a
    child process. `base` is the address it printed; `lines` everything it printed (stdout and
    stderr); `link()` asks for a new one-time login link (token mode)."""

    def __init__(self, root: Path, *args: str, command: tuple[str, ...] = ("review", "serve")) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "broadcast", "--workspace", str(root), *command, "--port", "0",
             "--no-open", *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True, env={**os.environ, "PYTHONUNBUFFERED": "1", "BROADCAST_REVIEWER": "Trạm máy"})
        self.lines: list[str] = []
        self._changed = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()
        first = self.wait_for(r"(http://[\w.\[\]:]+:\d+)/")
        self.base = re.search(r"(http://[\w.\[\]:]+:\d+)/", first).group(1)
        self.port = int(self.base.rsplit(":", 1)[1])

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self._changed:
                self.lines.append(line)
                self._changed.notify_all()

    def wait_for(self, pattern: str, start: int = 0, timeout: float = 30) -> str:
        deadline = time.monotonic() + timeout
        with self._changed:
            while True:
                for line in self.lines[start:]:
                    if re.search(pattern, line):
                        return line
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None:
                    raise AssertionError(f"the server never printed {pattern!r}: {''.join(self.lines)}")
                self._changed.wait(left)

    def link(self) -> str:
        start = len(self.lines)
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return re.search(r"(http://\S+/login\?token=[\w-]+)", self.wait_for(r"login\?token=", start)).group(1)

    def log(self) -> str:
        with self._changed:
            return "".join(self.lines)

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.proc.pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))

    def client(self, **kw) -> httpx.Client:
        return httpx.Client(base_url=self.base, follow_redirects=False, timeout=30, **kw)

    def sign_in(self, name: str = "Chị Lan", password: str | None = None) -> httpx.Client:
        """A client with a session: through a fresh link, or with the password."""
        client = self.client()
        if password is None:
            link = self.link()
            form = client.get(link)
            token = link.split("token=")[1]
            data = {"csrf": CSRF_RE.search(form.text).group(1), "token": token, "name": name, "next": "/"}
        else:
            form = client.get("/login")
            data = {"csrf": CSRF_RE.search(form.text).group(1), "name": name, "password": password}
        answer = client.post("/login", data=data)
        assert answer.status_code == 303, answer.text
        return client

    def stop(self) -> None:
        terminate(self.proc)


@pytest.fixture(scope="module")
def password_hash() -> str:
    return hash_password(PASSWORD)


@pytest.fixture
def serve(tmp_path):
    """serve(review_toml, *args) → a running Serve on a new workspace; stopped after the test."""
    started: list[Serve] = []

    def start(review_toml: str = "", *args: str) -> Serve:
        root = review_workspace(tmp_path / f"ws{len(started)}", review_toml)
        started.append(Serve(root, *args))
        started[-1].root = root
        return started[-1]

    yield start
    for s in started:
        s.stop()


def login_form(client: httpx.Client) -> str:
    return CSRF_RE.search(client.get("/login").text).group(1)


def guess(client: httpx.Client, csrf: str, password: str, headers: dict | None = None) -> int:
    return client.post("/login", data={"csrf": csrf, "name": "Lan", "password": password},
                       headers=headers or {}).status_code


# ------------------------------------------------------------------------------- the throttle

def test_parallel_wrong_guesses_cannot_pass_the_limit(serve, password_hash):
    server = serve(f'password_hash = "{password_hash}"')
    clients = [server.client() for _ in range(50)]
    forms = [login_form(c) for c in clients]   # each guess with its own login cookie and form
    start = threading.Barrier(len(clients))
    codes: list[int] = [0] * len(clients)

    def one(i: int) -> None:
        start.wait()
        codes[i] = guess(clients[i], forms[i], f"đoán sai {i}")

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(clients))]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    took = time.monotonic() - began
    # Exactly MAX_FAILURES were checked (403); every other one was refused unchecked (429).
    assert sorted(codes) == [403] * MAX_FAILURES + [429] * (len(clients) - MAX_FAILURES), codes
    # Now the right password is refused too, from this address, without a check.
    assert guess(clients[0], login_form(clients[0]), PASSWORD) == 429
    print(f"50 parallel guesses answered in {took:.1f} s")


def test_a_right_password_gives_its_attempt_back(serve, password_hash):
    server = serve(f'password_hash = "{password_hash}"')
    client = server.client()
    for n in range(MAX_FAILURES - 1):
        assert guess(client, login_form(client), f"sai {n}") == 403
    for _ in range(3):   # signing in does not use up what is left
        other = server.client()
        assert guess(other, login_form(other), PASSWORD) == 303
    assert guess(client, login_form(client), "sai lần cuối") == 403
    assert guess(client, login_form(client), "sai nữa") == 429


def test_x_forwarded_for_from_a_client_does_not_reset_the_throttle(serve, password_hash):
    server = serve(f'password_hash = "{password_hash}"')
    client = server.client()
    for n in range(MAX_FAILURES):
        assert guess(client, login_form(client), f"sai {n}", {"X-Forwarded-For": f"10.9.8.{n}"}) == 403
    assert guess(client, login_form(client), "sai", {"X-Forwarded-For": "10.9.8.200"}) == 429
    assert guess(client, login_form(client), "sai", {"Forwarded": "for=10.9.8.201"}) == 429


def test_x_forwarded_for_is_believed_from_a_trusted_proxy(serve, password_hash):
    server = serve(f'password_hash = "{password_hash}"\ntrusted_proxies = ["127.0.0.1"]')
    client = server.client()
    behind = {"X-Forwarded-For": "192.168.5.20"}
    for n in range(MAX_FAILURES):
        assert guess(client, login_form(client), f"sai {n}", behind) == 403
    assert guess(client, login_form(client), "sai", behind) == 429
    # Another citizen behind the same proxy is another address with its own attempts.
    assert guess(client, login_form(client), "sai", {"X-Forwarded-For": "192.168.5.21"}) == 403


def serve_refused(root: Path) -> subprocess.CompletedProcess:
    """`broadcast review serve` that must stop at once (a setting it refuses); a server that
    starts instead is stopped after a minute and the test fails."""
    return subprocess.run([sys.executable, "-m", "broadcast", "--workspace", str(root), "review", "serve",
                           "--port", "0", "--no-open"], capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


def test_trusted_proxies_must_be_addresses(tmp_path):
    root = review_workspace(tmp_path / "ws", 'trusted_proxies = ["proxy.lan"]')
    result = serve_refused(root)
    assert result.returncode == 2, result.stdout + result.stderr
    output = result.stdout + result.stderr
    assert "review.trusted_proxies" in output and "'proxy.lan' is not an address" in output
    assert "Traceback" not in output


# ------------------------------------------------------------------------------- the password hash

def test_password_hash_is_scrypt_2_17_and_takes_any_unicode_form():
    stored = hash_password(PASSWORD)
    kind, n, r, p, salt, digest = stored.split("$")
    assert kind == "scrypt" and int(n) >= 2**17 == SCRYPT_N and (int(r), int(p)) == (8, 1)
    nfd = unicodedata.normalize("NFD", PASSWORD)
    assert nfd != PASSWORD and len(nfd) > len(PASSWORD)
    assert check_password_hash(stored, PASSWORD) and check_password_hash(stored, nfd)
    assert hash_password(nfd, salt=bytes.fromhex(salt)) == stored   # the same hash from either form
    assert not check_password_hash(stored, PASSWORD + " ")


def test_old_hashes_still_verify():
    """A hash made before this change (N = 2¹⁴, the password hashed as typed — here NFD)."""
    nfd = unicodedata.normalize("NFD", PASSWORD)
    salt = bytes(range(16))
    old = hashlib.scrypt(nfd.encode(), salt=salt, n=2**14, r=8, p=1, dklen=32)
    stored = f"scrypt${2**14}$8$1${salt.hex()}${old.hex()}"
    assert password_setting({"password_hash": stored}) == stored
    assert check_password_hash(stored, nfd) and check_password_hash(stored, PASSWORD)
    assert not check_password_hash(stored, "mật khẩu khác")


def test_a_hash_needing_too_much_memory_is_refused():
    salt = "00" * 16
    with pytest.raises(AuthConfigError, match="unusable scrypt"):
        password_setting({"password_hash": f"scrypt${2**24}$8$1${salt}${'00' * 32}"})   # 16 GiB
    assert not check_password_hash(f"scrypt${2**24}$8$1${salt}${'00' * 32}", "x")


def test_nfd_typed_password_signs_in_on_the_real_server(serve, password_hash):
    server = serve(f'password_hash = "{password_hash}"')
    client = server.sign_in("Anh Tú", password=unicodedata.normalize("NFD", PASSWORD))
    assert client.get("/").status_code == 200


# ------------------------------------------------------------------------------- the audit actor

def test_the_audit_log_names_the_signed_in_reviewer(serve):
    server = serve()
    conn = db.connect(load_workspace(server.root).db_path)
    item_id = add(conn, "actor", "Đèn đường bản Mến bị hỏng", received="2099-12-20T08:00:00+07:00",
                  audio="store/voice.wav")
    client = server.sign_in("Chị Lan")

    def save(**fields) -> None:
        page = client.get(f"/items/{item_id}").text
        version = re.search(r'name="version" value="(\d+)"', page).group(1)
        form = {"csrf": CSRF_RE.search(page).group(1), "version": version, "corrected_transcript": "",
                "tags": "", "status": "new", "note": "", "reviewer": "", "action": "save", **fields}
        assert client.post(f"/items/{item_id}", data=form).status_code == 303

    save(reviewer="Kẻ Mạo Danh", note="lần một")
    # The field still fills the item's reviewer; the session keeps its own name.
    assert queue.get_item(conn, item_id).reviewer == "Kẻ Mạo Danh"
    assert "Đang dùng: Chị Lan" in " ".join(client.get("/").text.split())
    save(reviewer="Kẻ Mạo Danh", note="lần hai")
    actors = [r[0] for r in conn.execute("SELECT actor FROM audit_log WHERE subject = ? ORDER BY seq",
                                         (f"feedback:{item_id}",))]
    assert actors == ["Chị Lan", "Chị Lan"]
