"""What the review page shows and sends of citizens' material, against the real `broadcast
review serve` process (pages read over HTTP and in Chromium): bidirectional-text controls and
control characters written as visible escapes, recordings never cached, and a recording ffmpeg
cannot convert answered with a plain 415 — once converted, the failure remembered."""

from __future__ import annotations

import hashlib
import re

import pytest
from playwright.sync_api import sync_playwright
from conftest import CHROMIUM, write_tone
from test_review_web import CHROMIUM_ARGS
from test_web_auth import CSRF_RE, serve  # noqa: F401

from broadcast.core import db
from broadcast.core.config import load_workspace
from broadcast.feedback import queue
from broadcast.feedback.models import Segment, Transcript
from broadcast.web.text import one_line, reviewer_name, shown

BIDI = re.compile("[\u202a-\u202e\u2066-\u2069\u200e\u200f\u061c]")
# What a phone may send: a name that reads "hoa-don-exe.jpg" on screen but is an .exe, a
# newline that breaks one-line listings, and a transcript with an isolate and a mark.
TRICK_NAME = "hoa-don-\u202egpj.exe"
NEWLINE_NAME = "ghi âm\nmới.amr"
TRANSCRIPT = "Xin chào \u2067ông trưởng bản\u2069 và \u200fcả xã\u061c; nhắc lại \x1b[31m"


def put(conn, source_name: str, text: str, stored_path: str, **kw) -> int:
    item, _ = queue.add_item(conn, queue.NewItem(
        source_name=source_name, sha256=hashlib.sha256(source_name.encode()).hexdigest(), stored_path=stored_path,
        received_at="2099-12-20T08:00:00+07:00",
        transcript=Transcript(text, [Segment(0.0, 1.0, text, -0.3, 0.05, 1.1)], 1.0, "vi", "faster-whisper", "test"),
        **kw))
    return item.id


@pytest.fixture
def tricky(serve):
    server = serve()
    conn = db.connect(load_workspace(server.root).db_path)
    ids = {"trick": put(conn, TRICK_NAME, TRANSCRIPT, "store/voice.wav", area="men"),
           "newline": put(conn, NEWLINE_NAME, "Đường ngập", "store/voice.wav")}
    item = queue.get_item(conn, ids["trick"])
    queue.update_item(conn, item.id, item.version, actor="test", note="ghi chú \u202bđảo\u202c",
                      add_tags=["khẩn"])
    conn.close()
    return server, ids


def test_bidi_and_control_characters_are_shown_as_escapes(tricky):
    server, ids = tricky
    client = server.sign_in()
    for path in ("/", f"/items/{ids['trick']}", f"/items/{ids['newline']}"):
        html = client.get(path).text
        assert not BIDI.search(html), (path, BIDI.findall(html))
        assert "\x1b" not in html
    page = client.get(f"/items/{ids['trick']}").text
    assert "hoa-don-\\u202egpj.exe" in page
    assert "\\u2067ông trưởng bản\\u2069" in page and "\\u200fcả xã\\u061c" in page and "\\x1b[31m" in page
    assert "\\u202bđảo\\u202c" in page
    assert "ghi âm\\nmới.amr" in client.get(f"/items/{ids['newline']}").text


def test_the_escapes_are_what_a_reviewer_sees(tricky):
    server, ids = tricky
    link = server.link()
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page()
        page.goto(link)
        page.click("button[type=submit]")
        page.wait_for_url(server.base + "/")
        page.goto(f"{server.base}/items/{ids['trick']}")
        assert page.locator("dd.file").inner_text() == "hoa-don-\\u202egpj.exe"
        page.goto(f"{server.base}/items/{ids['newline']}")
        shown_name = page.locator("dd.file").inner_text()
        browser.close()
    assert shown_name == "ghi âm\\nmới.amr"


def test_text_helpers():
    assert shown("dòng một\ndòng hai\tcột") == "dòng một\ndòng hai\tcột"   # multi-line text keeps its lines
    assert shown("a\u202eb\u2028c\x00") == "a\\u202eb\\u2028c\\x00"
    assert one_line("a\nb\tc\r\u0085") == "a\\nb\\tc\\r\\x85"
    assert shown(42) == 42 and one_line(None) == ""
    assert reviewer_name("  Chị\nLan\u202e \x07 ") == "Chị Lan"
    assert reviewer_name("x" * 200) == "x" * 80


def test_recordings_are_never_cached(serve):
    server = serve()
    conn = db.connect(load_workspace(server.root).db_path)
    item_id = put(conn, "voice.wav", "Một câu", "store/voice.wav")
    client = server.sign_in()
    for headers in ({}, {"Range": "bytes=0-99"}):
        answer = client.get(f"/items/{item_id}/audio", headers=headers)
        assert answer.status_code in (200, 206) and answer.headers["cache-control"] == "no-store"
    assert client.get("/items/999/audio").headers["cache-control"] == "no-store"


def test_an_unconvertible_recording_is_a_plain_415_and_ffmpeg_runs_once(serve):
    server = serve()
    store = server.root / "feedback" / "store"
    (store / "hong.amr").write_bytes(b"#!AMR\n" + bytes(range(256)) * 8)   # an AMR header, then noise
    write_tone(store / "tot.wav", 1.0)
    conn = db.connect(load_workspace(server.root).db_path)
    bad = put(conn, "hong.amr", "Alô", "store/hong.amr")
    client = server.sign_in()
    first = client.get(f"/items/{bad}/audio")
    assert first.status_code == 415 and first.headers["cache-control"] == "no-store"
    assert str(server.root) not in first.text and "/" not in first.text and "ffmpeg" not in first.text
    line = server.wait_for(r"hong\.amr")
    assert str(store / "hong.amr") in line   # the path and ffmpeg's reason: the server's log only
    for _ in range(3):
        again = client.get(f"/items/{bad}/audio")
        assert (again.status_code, again.text) == (415, first.text)
    assert server.log().count("hong.amr") == 1, server.log()   # remembered: ffmpeg did not run again
    assert not (store / ".play" / "hong.m4a").exists()
