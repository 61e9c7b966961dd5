"""The recording studio in the browser: the real `broadcast review serve` process, Debian's Chromium
through Playwright with a fake microphone fed from a WAV file (espeak-ng standing in for the
reader). Record, play back, send, see the verdict with the sentences to read again marked,
accept anyway with a reason, and — for H'Mông — a second person approving after listening.
Screenshots go to test-artifacts/record-web/."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import numpy as np
import pytest
from test_record_listen import HMN, import_translation
from test_review_web import CHROMIUM, CHROMIUM_ARGS, DESKTOP, Server, csrf_of, http_login

from broadcast.recording.calibrate import RATE, espeak, read_aloud, spoken
from broadcast.recording.cleanup import CleanTake

pytestmark = pytest.mark.slow

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "record-web"
BODY = ("Ủy ban nhân dân xã thông báo lịch tiêm chủng cho trẻ em dưới 5 tuổi.\n\n"
        "Thời gian từ 7 giờ sáng ngày 15/12, tại Trạm Y tế xã.")
HOP = "Ủy ban nhân dân xã thông báo họp dân vào sáng thứ Ba.\n\nMời mỗi hộ một người đến dự."


def wav(path: Path, samples) -> tuple[str, float]:
    # at half scale: Chromium's capture and the Opus encoder overshoot a full-scale peak (clipping)
    x = np.concatenate([0.5 * np.asarray(samples, np.float32), np.zeros(RATE // 2, np.float32)])
    path.write_bytes(CleanTake(x, RATE, None).wav_bytes())
    return str(path), len(x) / RATE


@pytest.fixture(scope="module")
def studio(tmp_path_factory):
    from conftest import WorkspaceHelper, announcement_text, make_workspace

    root = make_workspace(tmp_path_factory.mktemp("studio") / "ws", announcements={
        ann_id: announcement_text(ann_id, body=body, languages=langs, areas="[men]")
        for ann_id, body, langs in (("tiem", BODY, "[vi]"), ("hop-dan", HOP, "[vi, hmn]"))})
    ws = WorkspaceHelper(root)
    for ann_id in ("tiem", "hop-dan"):
        assert ws.run("approve", str(root / "announcements" / f"{ann_id}.md"), "--by", "Chủ tịch").exit_code == 0
    import_translation(ws)
    folder = tmp_path_factory.mktemp("mic")
    mics = {"whole": wav(folder / "whole.wav", read_aloud(spoken(BODY))),
            "half": wav(folder / "half.wav", read_aloud(spoken(BODY.split("\n\n")[0]))),
            "hmn": wav(folder / "hmn.wav", espeak(" ".join(HMN.values())))}
    server = Server(root)
    yield {"root": root, "server": server, "mics": mics}
    server.stop()


def entries(root: Path) -> list[dict]:
    conn = sqlite3.connect(root / "state" / "broadcast.db")
    return [json.loads(d) | {"actor": a, "subject": s} for a, d, s in conn.execute(
        "SELECT actor, detail, subject FROM audit_log WHERE action = 'accept-reading' ORDER BY seq")]


def signed_in(playwright, studio, mic: str, name: str):
    """A Chromium whose microphone plays `mic` once, signed in as `name`."""
    path, seconds = studio["mics"][mic]
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=[
        *CHROMIUM_ARGS, "--use-fake-ui-for-media-stream", "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-audio-capture={path}%noloop", "--autoplay-policy=no-user-gesture-required"])
    context = browser.new_context(viewport=DESKTOP, locale="vi-VN")
    page = context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    page.goto(studio["server"].new_link())
    page.fill("input[name=name]", name)
    page.click("button[type=submit]")
    page.wait_for_url(studio["server"].base + "/")
    return browser, page, seconds


def record_and_send(page, seconds: float) -> None:
    page.click("#rec-start")
    page.wait_for_selector("#recorder.recording")
    time.sleep(seconds + 0.8)
    assert page.evaluate("document.getElementById('rec-level').value") >= 0
    page.click("#rec-stop")
    page.wait_for_selector("#rec-send:not([disabled])")
    page.click("#rec-play")                       # plays back through Web Audio, no error
    with page.expect_navigation(timeout=180_000):
        page.click("#rec-send")


@pytest.fixture(scope="module")
def playwright():
    from playwright.sync_api import sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        yield p


def test_a_whole_reading_recorded_in_the_browser_is_verified_and_aired(playwright, studio):
    browser, page, seconds = signed_in(playwright, studio, "whole", "Lò Thị Mai")
    try:
        page.goto(studio["server"].base + "/studio")
        row = page.locator("tr[data-key='tiem/vi']")
        assert "chưa có" in row.inner_text()
        row.locator("a.read").click()
        assert page.locator("#prompter li").count() == 2
        record_and_send(page, seconds)
        page.screenshot(path=str(ARTIFACTS / "verified.png"), full_page=True)
        assert page.locator("#verdict").get_attribute("data-verdict") == "passed", page.inner_text("main")
        assert page.locator("#reading-state").inner_text() == "đã xác minh"
        assert page.locator("#prompter li.missed").count() == 0
        take = page.locator("#verdict").get_attribute("data-take")
        audio = page.request.get(f"{studio['server'].base}/studio/read/tiem/vi/takes/{take}.wav")
        assert audio.status == 200 and audio.headers["content-type"] == "audio/wav" and audio.body()[:4] == b"RIFF"
        assert (studio["root"] / "translations" / "tiem" / "vi.wav").is_file()
        (entry,) = [e for e in entries(studio["root"]) if e["subject"] == "tiem/vi"]
        assert entry["actor"] == "Lò Thị Mai" and entry["how"] == "verified"
        assert page.errors == []
    finally:
        browser.close()


def test_a_sentence_left_out_is_marked_then_accepted_anyway_with_a_reason(playwright, studio):
    browser, page, seconds = signed_in(playwright, studio, "half", "Cán bộ Hà")
    try:
        page.goto(studio["server"].base + "/studio/read/tiem/vi")
        before = len(entries(studio["root"]))
        record_and_send(page, seconds)
        page.screenshot(path=str(ARTIFACTS / "refused.png"), full_page=True)
        assert page.locator("#verdict").get_attribute("data-verdict") == "failed"
        assert page.locator("#prompter li.missed").all_inner_texts() == [BODY.split("\n\n")[1]]
        assert "sentence 2 not heard" in page.inner_text("#problems")
        assert len(entries(studio["root"])) == before          # the accepted reading stays
        page.fill("#accept-reason", "giờ họp đọc ở loa riêng")
        with page.expect_navigation():
            page.click("#accept-form button")
        assert page.locator("#reading-state").inner_text() == "đã xác minh"
        last = entries(studio["root"])[-1]
        assert (last["actor"], last["how"], last["reason"]) == ("Cán bộ Hà", "overridden", "giờ họp đọc ở loa riêng")
        assert page.errors == []
    finally:
        browser.close()


def test_a_hmong_take_is_approved_by_a_second_listener_not_by_its_reader(playwright, studio):
    browser, page, seconds = signed_in(playwright, studio, "hmn", "Sùng Thị Dợ")
    try:
        page.goto(studio["server"].base + "/studio/read/hop-dan/hmn")
        record_and_send(page, seconds)
        assert page.locator("#verdict").get_attribute("data-verdict") == "listen"
        url = page.url
        with page.expect_navigation():
            page.click("#approve-form button")                 # the reader cannot approve her own take
        assert "a second person must listen" in page.inner_text("#error")
    finally:
        browser.close()
    browser, page, _ = signed_in(playwright, studio, "hmn", "Vàng A Sử")
    try:
        page.goto(url)
        with page.expect_navigation():
            page.click("#approve-form button")
        page.screenshot(path=str(ARTIFACTS / "approved.png"), full_page=True)
        assert page.locator("#reading-state").inner_text() == "đã xác minh"
        last = entries(studio["root"])[-1]
        assert (last["subject"], last["actor"], last["reader"], last["how"]) == \
            ("hop-dan/hmn", "Vàng A Sử", "Sùng Thị Dợ", "listened")
    finally:
        browser.close()


def test_uploads_need_a_session_and_the_csrf_token(studio):
    import httpx

    base = studio["server"].base
    r = httpx.post(f"{base}/studio/read/tiem/vi/take", files={"take": ("t.webm", b"x")}, follow_redirects=False)
    assert r.status_code == 303 and "/login" in r.headers["location"]
    client = http_login(studio)
    r = client.post("/studio/read/tiem/vi/take", files={"take": ("t.webm", b"x")}, data={"csrf": "wrong"})
    assert r.status_code == 403
    r = client.post("/studio/read/tiem/vi/take", files={"take": ("t.webm", b"not audio")},
                    data={"csrf": csrf_of(client, "/studio/read/tiem/vi")})
    assert r.status_code == 422 and "t.webm" not in r.text     # refused with the reason, no path shown
    assert client.get("/studio/read/nope/vi").status_code == 404
    assert client.get("/studio/read/tiem/vi/takes/../../x.wav").status_code == 404
