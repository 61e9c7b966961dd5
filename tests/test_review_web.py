"""The review web page, tested as a reviewer uses it: the real `broadcast review serve` process on
127.0.0.1, driven by Debian's Chromium through Playwright, plus httpx for what a browser would
never send (missing CSRF tokens, no session, byte ranges). Screenshots go to
test-artifacts/review-web/."""

from __future__ import annotations

import csv
import hashlib
import io
import os
import queue as queue_mod
import re
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import httpx
import pytest
from click.testing import CliRunner
from conftest import CHROMIUM, CONFIG, announcement_text, make_workspace, write_tone

from broadcast.core import db
from broadcast.cli.root import cli
from broadcast.core.config import load_workspace
from broadcast.feedback import queue
from broadcast.feedback.export import BOM, PHONE_MASK
from broadcast.feedback.models import Segment, Transcript
from broadcast.web.auth import AuthConfigError, check_password_hash, hash_password, password_setting

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "review-web"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}
XSS = '<script>alert("xss")</script> <img src=x onerror="alert(2)"> lời nhắn'
SEGMENTS = [(0.0, 1.5, "Đường vào bản Mến bị ngập", None), (1.5, 3.0, "xin xã cho người đến xem", None),
            (3.0, 4.0, "Hãy subscribe cho kênh", "known-phrase")]


def add(conn, key: str, text: str, *, received: str, segments=None, audio: str | None = None, **kw) -> int:
    segs = [Segment(s, e, txt, -0.3, 0.05, 1.1, dropped=d) for s, e, txt, d in (segments or [(0.0, 4.0, text, None)])]
    item, _ = queue.add_item(conn, queue.NewItem(
        source_name=f"{key}.wav", sha256=hashlib.sha256(key.encode()).hexdigest(), stored_path=audio or f"store/{key}.wav",
        received_at=received, transcript=Transcript(text, segs, 4.0, "vi", "faster-whisper", "test"), **kw))
    return item.id


def terminate(proc: subprocess.Popen) -> None:
    """SIGTERM, as a service manager stops the server; SIGKILL if it is still there after 10 s."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


class Server:
    """`broadcast review serve --port 0 --no-open` in a child process; new login links on demand
    (Enter on its standard input), exactly as a reviewer gets them."""

    def __init__(self, root: Path) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "broadcast", "--workspace", str(root), "review", "serve", "--port", "0",
             "--no-open"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1", "BROADCAST_REVIEWER": "Trạm máy"})
        self.lines: queue_mod.Queue[str] = queue_mod.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.first_link = self._next_link()
        self.base = self.first_link.split("/login")[0]

    def _read(self) -> None:
        for line in self.proc.stdout:
            self.lines.put(line)

    def _next_link(self) -> str:
        while True:
            try:
                line = self.lines.get(timeout=30)
            except queue_mod.Empty:
                raise AssertionError("the server printed no login link") from None
            m = re.search(r"(http://127\.0\.0\.1:\d+/login\?token=[\w-]+)", line)
            if m:
                return m.group(1)

    def new_link(self) -> str:
        self.proc.stdin.write("\n")
        self.proc.stdin.flush()
        return self._next_link()

    def stop(self) -> None:
        terminate(self.proc)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = make_workspace(tmp_path_factory.mktemp("review") / "ws",
                          announcements={"tiem-chung": announcement_text("tiem-chung")})
    audio = write_tone(root / "feedback" / "store" / "voice.wav", 4.0)
    conn = db.connect(load_workspace(root).db_path)
    ids = {
        "voice": add(conn, "voice", " ".join(s[2] for s in SEGMENTS[:2]), received="2099-12-20T08:00:00+07:00",
                     segments=SEGMENTS, audio="store/voice.wav", area="men", announcement_id="tiem-chung"),
        "xss": add(conn, "xss", XSS, received="2099-12-20T07:00:00+07:00", audio="store/voice.wav", area="ly-xom"),
        "conflict": add(conn, "conflict", "Cầu treo bản Ly Xôm bị hỏng", received="2099-12-20T06:00:00+07:00",
                        audio="store/voice.wav"),
        "resolve": add(conn, "resolve", "Nhà văn hóa mất điện từ hôm qua", received="2099-12-20T05:00:00+07:00",
                       audio="store/voice.wav", area="men"),
        "phone": add(conn, "phone", "Gọi lại cho tôi số 0912 345 678", received="2099-12-19T05:00:00+07:00"),
    }
    for n in range(26):  # enough for a second page
        add(conn, f"filler{n}", f"Phản hồi số {n}", received=f"2099-12-{1 + n % 18:02d}T09:00:00+07:00")
    conn.close()
    server = Server(root)
    yield {"root": root, "server": server, "ids": ids, "audio": audio.read_bytes()}
    server.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def conn_of(site):
    return db.connect(load_workspace(site["root"]).db_path)


def browser_login(browser, site, name: str = "Chị Lan", viewport=DESKTOP):
    """A new browser context signed in through a fresh one-time link; returns (context, page)."""
    context = browser.new_context(viewport=viewport, locale="vi-VN")
    page = context.new_page()
    dialogs: list[str] = []
    errors: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    # A Content-Security-Policy violation or a script error shows up here.
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.dialogs, page.errors = dialogs, errors
    page.goto(site["server"].new_link())
    page.fill("input[name=name]", name)
    page.click("button[type=submit]")
    page.wait_for_url(site["server"].base + "/")
    return context, page


def http_login(site, name: str = "httpx") -> httpx.Client:
    base = site["server"].base
    link = site["server"].new_link()
    client = httpx.Client(base_url=base, follow_redirects=False, timeout=10)
    page = client.get(link)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
    token = parse_qs(urlparse(link).query)["token"][0]
    response = client.post("/login", data={"csrf": csrf, "token": token, "name": name, "next": "/"})
    assert response.status_code == 303, response.text
    return client


def csrf_of(client: httpx.Client, path: str = "/") -> str:
    return re.search(r'name="csrf" value="([^"]+)"', client.get(path).text).group(1)


# ------------------------------------------------------------------------------------------ login

def test_one_time_link_logs_in_once_with_a_strict_httponly_cookie(browser, site):
    link = site["server"].new_link()
    context = browser.new_context(viewport=DESKTOP)
    page = context.new_page()
    page.goto(link)
    page.fill("input[name=name]", "Anh Tú")
    with page.expect_response(lambda r: r.url.endswith("/login") and r.request.method == "POST") as info:
        page.click("button[type=submit]")
    cookie_header = info.value.header_value("set-cookie") or ""
    page.wait_for_url(site["server"].base + "/")
    assert page.locator("h1").inner_text() == "Danh sách phản hồi"
    assert "Anh Tú" in page.locator("header").inner_text()
    cookie = next(c for c in context.cookies() if c["name"] == "broadcast_review")
    assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["path"] == "/"
    assert "httponly" in cookie_header.lower() and "samesite=strict" in cookie_header.lower()
    context.close()

    # The same link again, in another browser: refused, and its form cannot be submitted.
    other = browser.new_context()
    page = other.new_page()
    response = page.goto(link)
    assert response.status == 403
    assert "đã được dùng" in page.locator(".notice").inner_text()
    assert page.locator("input[name=name]").count() == 0
    other.close()
    # Nor does posting the spent token directly work.
    client = httpx.Client(base_url=site["server"].base, follow_redirects=False)
    fresh_page = client.get(site["server"].new_link()).text  # a form (and login cookie) to post from
    csrf = re.search(r'name="csrf" value="([^"]+)"', fresh_page).group(1)
    token = parse_qs(urlparse(link).query)["token"][0]
    refused = client.post("/login", data={"csrf": csrf, "token": token, "name": "x"})
    assert refused.status_code == 403 and "broadcast_review" not in refused.headers.get("set-cookie", "")


def test_requests_without_a_session_are_refused(site):
    client = httpx.Client(base_url=site["server"].base, follow_redirects=False)
    item = site["ids"]["voice"]
    for path in ("/", f"/items/{item}", "/export.csv"):
        r = client.get(path)
        assert r.status_code == 303 and r.headers["location"].startswith("/login?next="), path
    assert client.get(f"/items/{item}/audio").status_code == 401
    r = client.post(f"/items/{item}", data={"version": "1", "note": "x", "csrf": "guess"})
    assert r.status_code == 403
    assert client.get("/login").status_code == 200  # the login page itself is open
    # A made-up session cookie is no session.
    client.cookies.set("broadcast_review", "forged")
    assert client.get("/").status_code == 303
    # Another site's name for this server (DNS rebinding) is refused outright.
    assert client.get("/login", headers={"Host": "evil.example"}).status_code == 400


def test_post_without_the_csrf_token_is_refused(site):
    client = http_login(site)
    item_id = site["ids"]["voice"]
    conn = conn_of(site)
    before = queue.get_item(conn, item_id)
    form = {"version": str(before.version), "note": "ghi chú giả mạo", "corrected_transcript": before.best_transcript,
            "tags": "", "status": before.status, "reviewer": "x", "action": "save"}
    assert client.post(f"/items/{item_id}", data=form).status_code == 403
    assert client.post(f"/items/{item_id}", data={**form, "csrf": "not-the-token"}).status_code == 403
    assert client.post("/logout", data={}).status_code == 403
    after = queue.get_item(conn, item_id)
    assert (after.version, after.note) == (before.version, before.note)
    # The same form with the session's token goes through (so the 403s were the token's doing).
    ok = client.post(f"/items/{item_id}", data={**form, "note": "", "tags": "ngập", "csrf": csrf_of(client)})
    assert ok.status_code == 303 and ok.headers["location"] == f"/items/{item_id}?saved=1"
    assert queue.get_item(conn, item_id).tags == ["ngập"]
    filler = queue.list_items(conn, search="Phản hồi số 0").items[0]
    dismissed = client.post(f"/items/{filler.id}", data={
        "version": str(filler.version), "corrected_transcript": filler.transcript, "tags": "", "status": "new",
        "note": "thử máy", "reviewer": "Bác Tư", "action": "dismiss", "csrf": csrf_of(client)})
    assert dismissed.status_code == 303
    assert (queue.get_item(conn, filler.id).status, queue.get_item(conn, filler.id).reviewer) == ("dismissed", "Bác Tư")
    assert client.post("/logout", data={"csrf": csrf_of(client)}).status_code == 303
    assert client.get("/").status_code == 303  # signed out


def test_audio_is_served_with_byte_ranges(site):
    client = http_login(site)
    data = site["audio"]
    url = f"/items/{site['ids']['voice']}/audio"
    full = client.get(url)
    assert full.status_code == 200 and full.content == data
    assert full.headers["accept-ranges"] == "bytes" and full.headers["content-type"].startswith("audio/wav")
    part = client.get(url, headers={"Range": "bytes=100-199"})
    assert part.status_code == 206
    assert part.headers["content-range"] == f"bytes 100-199/{len(data)}"
    assert part.content == data[100:200] and part.headers["content-length"] == "100"
    tail = client.get(url, headers={"Range": "bytes=-64"})
    assert tail.status_code == 206 and tail.content == data[-64:]
    assert tail.headers["content-range"] == f"bytes {len(data) - 64}-{len(data) - 1}/{len(data)}"
    beyond = client.get(url, headers={"Range": f"bytes={len(data) + 10}-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == f"bytes */{len(data)}"
    assert client.get(f"/items/{site['ids']['phone']}/audio").status_code == 404  # file not on disk


# ------------------------------------------------------------------------------------------ pages

def test_queue_page_counts_filters_pages_and_screenshots(browser, site):
    context, page = browser_login(browser, site)
    counts = {c.get_attribute("data-status"): c.inner_text() for c in page.locator(".counts a[data-status]").all()}
    assert set(counts) == {"new", "assigned", "answered", "closed", "dismissed"}
    rows = page.locator("table.items tbody tr")
    assert rows.count() == 25  # a full first page, newest first
    assert rows.first.get_attribute("data-id") == str(site["ids"]["voice"])
    assert "Trang 1/2" in page.locator(".pager").inner_text()
    page.click("a[rel=next]")
    total = conn_of(site).execute("SELECT count(*) FROM feedback_items").fetchone()[0]
    assert page.locator("table.items tbody tr").count() == total - 25
    page.goto(site["server"].base + "/")
    page.select_option("select[name=area]", "men")
    page.click(".filters button[type=submit]")
    ids = page.locator("table.items tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)")
    assert str(site["ids"]["voice"]) in ids and str(site["ids"]["xss"]) not in ids
    page.goto(site["server"].base + "/?announcement=tiem-chung")
    assert page.locator("table.items tbody tr").evaluate_all("rows => rows.map(r => r.dataset.id)") == [
        str(site["ids"]["voice"])]
    page.goto(site["server"].base + "/")
    page.screenshot(path=str(ARTIFACTS / "queue-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1  # no sideways scrolling
    page.screenshot(path=str(ARTIFACTS / "queue-phone.png"), full_page=True)
    page.goto(site["server"].base + "/?lang=en")
    assert page.locator("h1").inner_text() == "Feedback queue"
    page.goto(site["server"].base + "/")  # the choice sticks
    assert page.locator("h1").inner_text() == "Feedback queue"
    page.goto(site["server"].base + "/?lang=vi")
    assert page.locator("h1").inner_text() == "Danh sách phản hồi"
    context.close()


def test_item_page_plays_audio_and_segments_seek(browser, site):
    context, page = browser_login(browser, site)
    page.goto(f"{site['server'].base}/items/{site['ids']['voice']}")
    page.wait_for_function("document.getElementById('player').duration > 0", timeout=10_000)
    assert abs(page.evaluate("document.getElementById('player').duration") - 4.0) < 0.1
    assert page.evaluate("document.getElementById('player').currentTime") == 0
    page.locator("button.seg").nth(1).click()
    page.wait_for_function("(() => { const t = document.getElementById('player').currentTime;"
                           " return t >= 1.5 && t < 3.0; })()", timeout=5_000)
    page.locator("button.seg").nth(2).click()
    page.wait_for_function("document.getElementById('player').currentTime >= 3.0", timeout=5_000)
    assert "known-phrase" in page.locator("button.seg.dropped").inner_text()
    # The linked announcement's approved text is beside the transcript.
    assert "Lịch tiêm chủng" in page.locator(".announcement h3").inner_text()
    assert "Trạm Y tế xã tổ chức tiêm chủng" in page.locator(".announcement .body").inner_text()
    page.evaluate("document.getElementById('player').pause()")
    page.screenshot(path=str(ARTIFACTS / "item-desktop.png"), full_page=True)
    page.set_viewport_size(PHONE)
    page.reload()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"] + 1
    page.screenshot(path=str(ARTIFACTS / "item-phone.png"), full_page=True)
    page.set_viewport_size(DESKTOP)
    page.emulate_media(media="print")
    assert not page.locator("form.review .buttons").is_visible() and page.locator(".machine").is_visible()
    page.screenshot(path=str(ARTIFACTS / "item-print.png"), full_page=True)
    assert page.errors == []
    context.close()


def test_script_in_a_transcript_is_shown_as_text(browser, site):
    context, page = browser_login(browser, site)
    page.goto(f"{site['server'].base}/items/{site['ids']['xss']}")
    assert XSS in page.locator("p.machine").inner_text()
    assert page.locator("textarea[name=corrected_transcript]").input_value() == XSS
    assert page.locator("script").count() == 1  # only the page's own review.js
    assert page.locator("img").count() == 0
    page.goto(f"{site['server'].base}/?area=ly-xom")
    assert '<script>alert("xss")</script>' in page.locator("table.items").inner_text()
    page.wait_for_timeout(200)
    assert page.dialogs == [] and page.errors == []
    context.close()


def test_edit_resolve_and_find_it_in_the_filtered_list(browser, site):
    item_id = site["ids"]["resolve"]
    context, page = browser_login(browser, site, name="Chị Hoa")
    page.goto(f"{site['server'].base}/items/{item_id}")
    corrected = "Nhà văn hóa bản Mến mất điện từ tối hôm qua"
    page.fill("textarea[name=corrected_transcript]", corrected)
    page.fill("input[name=tags]", "điện, khẩn")
    page.fill("textarea[name=note]", "Đã báo điện lực")
    page.click("button[value=resolve]")
    page.wait_for_url(f"**/items/{item_id}?saved=1")
    assert page.locator(".notice.ok").inner_text() == "Đã lưu."
    assert page.locator("h1 .badge").inner_text() == "Đã giải quyết"

    page.goto(site["server"].base + "/")
    page.select_option("select[name=status]", "closed")
    page.select_option("select[name=tag]", "khẩn")
    page.click(".filters button[type=submit]")
    row = page.locator(f"table.items tr[data-id='{item_id}']")
    assert corrected in row.inner_text() and "Đã giải quyết" in row.inner_text()
    assert page.locator("table.items tbody tr").count() == 1

    item = queue.get_item(conn_of(site), item_id)
    assert (item.status, item.corrected_transcript, item.note, item.reviewer) == (
        "closed", corrected, "Đã báo điện lực", "Chị Hoa")
    assert item.transcript == "Nhà văn hóa mất điện từ hôm qua"  # the machine transcript is kept
    assert item.tags == ["khẩn", "điện"]
    actor = conn_of(site).execute("SELECT actor FROM audit_log WHERE subject = ? ORDER BY seq DESC",
                                  (f"feedback:{item_id}",)).fetchone()[0]
    assert actor == "Chị Hoa"

    # Export from the page: the same CSV as `broadcast review export` (BOM, redaction).
    client = http_login(site)
    exported = client.get("/export.csv", params={"status": "closed"})
    assert exported.headers["content-type"].startswith("text/csv")
    assert "attachment" in exported.headers["content-disposition"]
    text = exported.content.decode("utf-8")
    assert text.startswith(BOM)
    rows = list(csv.DictReader(io.StringIO(text[1:])))
    assert [r["id"] for r in rows] == [str(item_id)] and rows[0]["corrected_transcript"] == corrected
    plain = client.get("/export.csv").content.decode("utf-8")
    redacted = client.get("/export.csv", params={"redact": "1"}).content.decode("utf-8")
    assert "0912 345 678" in plain and "0912 345 678" not in redacted and PHONE_MASK in redacted
    context.close()


def test_second_reviewer_gets_a_conflict_and_loses_nothing(browser, site):
    item_id = site["ids"]["conflict"]
    url = f"{site['server'].base}/items/{item_id}"
    ctx_a, a = browser_login(browser, site, name="Anh Minh")
    ctx_b, b = browser_login(browser, site, name="Chị Mai")
    a.goto(url)
    b.goto(url)
    a.fill("textarea[name=corrected_transcript]", "Cầu treo bản Ly Xôm bị gãy một nhịp")
    a.click("button[value=save]")
    a.wait_for_url("**?saved=1")

    mine = "Cầu treo Ly Xôm hỏng, người dân không qua suối được"
    b.fill("textarea[name=corrected_transcript]", mine)
    b.fill("input[name=tags]", "cầu")
    with b.expect_response(lambda r: r.request.method == "POST") as info:
        b.click("button[value=save]")
    assert info.value.status == 409
    conflict = b.locator("#conflict")
    assert "Người khác đã sửa" in conflict.inner_text() and "Anh Minh" in conflict.inner_text()
    assert b.locator("textarea[name=corrected_transcript]").input_value() == mine  # nothing lost
    assert b.locator("input[name=tags]").input_value() == "cầu"
    assert "bị gãy một nhịp" in b.locator("#stored-now").inner_text()  # what the other one saved
    stored = queue.get_item(conn_of(site), item_id)
    assert b.locator("input[name=version]").input_value() == str(stored.version)
    assert stored.corrected_transcript == "Cầu treo bản Ly Xôm bị gãy một nhịp"
    b.screenshot(path=str(ARTIFACTS / "item-conflict.png"), full_page=True)

    # Having seen both, the second reviewer saves deliberately.
    b.click("button[value=save]")
    b.wait_for_url("**?saved=1")
    final = queue.get_item(conn_of(site), item_id)
    assert (final.corrected_transcript, final.tags, final.reviewer) == (mine, ["cầu"], "Chị Mai")

    # A change made outside the page (the CLI) also stops a stale form.
    a.goto(url)
    queue.tag_item(conn_of(site), item_id, ["cli"], reviewer="Trạm máy")
    a.fill("textarea[name=note]", "ghi chú của anh Minh")
    a.click("button[value=save]")
    assert a.locator("#conflict").is_visible()
    assert a.locator("textarea[name=note]").input_value() == "ghi chú của anh Minh"
    ctx_a.close()
    ctx_b.close()


# ------------------------------------------------------------------------------------------ serving

def test_non_loopback_host_without_password_is_refused(ws):
    result = ws.run("review", "serve", "--host", "0.0.0.0", "--no-open")
    assert result.exit_code == 2
    assert "without a password" in result.output and "password_hash" in result.output
    (ws.root / "broadcast.toml").write_text(CONFIG + '\n[review]\npassword_hash = "md5$abc"\n', encoding="utf-8")
    result = ws.run("review", "serve", "--host", "0.0.0.0", "--no-open")
    assert result.exit_code == 2 and "not a scrypt hash" in result.output


def test_password_mode_allows_the_network_and_asks_for_the_password(ws):
    result = CliRunner().invoke(cli, ["review", "serve", "--hash-password"], input="mật-khẩu-xã\nmật-khẩu-xã\n")
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("password_hash = "))
    stored = line.split('"')[1]
    assert check_password_hash(stored, "mật-khẩu-xã") and not check_password_hash(stored, "sai")
    (ws.root / "broadcast.toml").write_text(CONFIG + f"\n[review]\n{line}\n", encoding="utf-8")

    proc = subprocess.Popen([sys.executable, "-m", "broadcast", "--workspace", str(ws.root), "review", "serve",
                             "--host", "0.0.0.0", "--port", "0", "--no-open"], stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        first = proc.stdout.readline()
        m = re.search(r"(http://127\.0\.0\.1:\d+)/ \(sign in with the \[review\] password\)", first)
        assert m, first
        assert "token" not in first
        client = httpx.Client(base_url=m.group(1), follow_redirects=False, timeout=10)
        page = client.get("/login")
        assert 'type="password"' in page.text and 'name="token"' not in page.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', page.text).group(1)
        wrong = client.post("/login", data={"csrf": csrf, "name": "Lan", "password": "đoán-bừa"})
        assert wrong.status_code == 403 and "Sai mật khẩu" in wrong.text
        csrf = re.search(r'name="csrf" value="([^"]+)"', wrong.text).group(1)
        right = client.post("/login", data={"csrf": csrf, "name": "Lan", "password": "mật-khẩu-xã"})
        assert right.status_code == 303
        assert client.get("/").status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_password_settings():
    assert password_setting({}) is None
    assert check_password_hash(password_setting({"password": "long enough"}), "long enough")
    with pytest.raises(AuthConfigError):
        password_setting({"password": "short"})
    with pytest.raises(AuthConfigError):
        password_setting({"password_hash": "plain"})
    assert password_setting({"password_hash": hash_password("x" * 8)}).startswith("scrypt$")


def test_serve_is_registered_with_help_on_every_option():
    serve = cli.commands["review"].commands["serve"]
    assert serve.help
    for param in serve.params:
        if param.name != "help":
            assert param.help, param.name


def test_facets_lists_filter_choices(site):
    facets = queue.facets(conn_of(site))
    assert {"men", "ly-xom"} <= set(facets["areas"]) and facets["announcements"] == ["tiem-chung"]
    assert facets["tags"] == sorted(facets["tags"])


def test_a_recording_browsers_cannot_play_is_converted_for_the_player(browser, tmp_path):
    # Hotline systems and old phones send AMR, WMA, 3GP: Chromium plays none of them.
    root = make_workspace(tmp_path / "ws")
    wav = write_tone(tmp_path / "tone.wav", 3.0)
    subprocess.run(["ffmpeg", "-v", "error", "-i", str(wav), "-c:a", "wmav2",
                    str(root / "feedback" / "store" / "hotline.wma")], check=True)
    conn = db.connect(load_workspace(root).db_path)
    item_id = add(conn, "hotline", "Alô, xã ơi", received="2099-12-20T08:00:00+07:00", audio="store/hotline.wma")
    conn.close()
    server = Server(root)
    try:
        site = {"server": server, "root": root}
        context, page = browser_login(browser, site)
        page.goto(f"{server.base}/items/{item_id}")
        page.wait_for_function("document.getElementById('player').duration > 0", timeout=15_000)
        assert abs(page.evaluate("document.getElementById('player').duration") - 3.0) < 0.2
        context.close()
        converted = root / "feedback" / "store" / ".play" / "hotline.m4a"
        assert converted.is_file()
        client = http_login(site)
        answer = client.get(f"/items/{item_id}/audio", headers={"Range": "bytes=0-99"})
        assert answer.status_code == 206 and answer.headers["content-type"].startswith("audio/mp4")
    finally:
        server.stop()
