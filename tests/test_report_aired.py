"""`broadcast report aired`: a day aired for real (one item refused as tampered, an emergency
aired at once by --now, two slots never aired), then its CSV read back section by section and
its HTML printed by Chromium on A4 (landscape) without anything cut off, with a screenshot."""

from __future__ import annotations

import csv
import io
import re
from datetime import datetime
from pathlib import Path

import pytest

from conftest import CHROMIUM
from playout_support import DAY, fresh_copy, items, log_rows, play, run_cli

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "playout"
A4_LANDSCAPE_POINTS = (842.0, 595.0)
A4_LANDSCAPE_CONTENT_PX = round((297 - 20) / 25.4 * 96)    # less the @page side margins (10 mm each)
AFTER_THE_DAY = "2099-12-15T08:00:00+07:00"


@pytest.fixture(scope="module")
def aired_day(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("report")
    root = fresh_copy(tmp_path_factory, tmp)
    morning = items(root, "ban-a", "morning")
    victim = root / "output" / DAY / morning[1]["path"]
    victim.write_bytes(victim.read_bytes() + b"\0")
    out = f"file:{tmp}/air.wav"
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output", out,
             now=f"{DAY}T05:30:00+07:00")
    assert r.returncode == 1                                   # the tampered one
    r = play(root, "--date", DAY, "--now", "lu-quet", "--output", out, now=f"{DAY}T09:15:00+07:00")
    assert r.returncode == 0, r.stdout + r.stderr
    return root


def sections(text: str, *, crlf: bool = True) -> dict[str, list[dict]]:
    assert text.startswith("\ufeff") and ("\r\n" in text) == crlf
    out: dict[str, list[dict]] = {}
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"), newline="")))
    i = 0
    while i < len(rows):
        if not rows[i]:
            i += 1
            continue
        title, header = rows[i][0], rows[i + 1]
        body = []
        i += 2
        while i < len(rows) and rows[i]:
            body.append(dict(zip(header, rows[i])))
            i += 1
        out[title.split(" — ")[0]] = body
    return out


def test_csv_has_every_row_the_totals_missed_slots_and_response_times(aired_day, monkeypatch):
    root = aired_day
    monkeypatch.setenv("BROADCAST_PLAYOUT_NOW", AFTER_THE_DAY)
    out = root.parent / "asrun.csv"
    r = run_cli(root, "report", "aired", "--date", DAY, "--format", "csv", "--output", str(out))
    assert r.exit_code == 0, r.output
    assert "wrote" in r.output and "4 attempts, 3 missed slots" in r.output
    s = sections(out.read_bytes().decode("utf-8"))
    rows = s[f"as-run {DAY}"]
    log = [x for x in log_rows(root) if x["result"] != "started"]
    assert len(rows) == len(log) == 4                          # 2 aired + 1 refused in the slot, 1 at once
    by_file = {e["path"]: e["sha256"] for e in items(root, "ban-a")}
    for row in rows:
        assert row["sha256"] == by_file[row["file"]]           # the manifest's sha256, as a column
    assert [(x["announcement"], x["result"], x["slot"], x["started_by"]) for x in rows] == [
        ("lu-quet", "aired", "morning", "operator"), ("hop-thon", "refused", "morning", "operator"),
        ("tiem-chung", "aired", "morning", "operator"), ("lu-quet", "aired", "", "emergency")]
    assert "file changed after production" in rows[1]["reason"]
    assert rows[0]["approved_by"] == "Chủ tịch Lò Văn A" and rows[0]["approved_at"].endswith("+07:00")

    totals = {x["announcement"]: x for x in s["totals per announcement"]}
    lu = [x for x in log if x["announcement"] == "lu-quet" and x["result"] == "aired"]
    assert totals["lu-quet"]["plays"] == "2"
    assert float(totals["lu-quet"]["minutes"]) == pytest.approx(sum(x["aired_seconds"] for x in lu) / 60, abs=0.001)
    assert "hop-thon" not in totals                           # refused, never aired
    (area,) = s["totals per area"]
    assert (area["area"], area["plays"], area["refused"], area["interrupted"]) == ("ban-a", "3", "1", "0")

    missed = {(x["area"], x["slot"]): x for x in s["missed slots (scheduled, not aired)"]}
    assert set(missed) == {("ban-a", "morning"), ("ban-a", "noon"), ("ban-a", "evening")}
    assert (missed[("ban-a", "morning")]["scheduled"], missed[("ban-a", "morning")]["aired"]) == ("3", "2")
    assert missed[("ban-a", "morning")]["missing"] == "Tin hop-thon [vi]"
    assert missed[("ban-a", "evening")]["aired"] == "0"

    (em,) = s["emergency response (approval → first airing)"]
    first = min(x["started_at"] for x in lu)
    approved = datetime.fromisoformat(lu[0]["approved_at"])
    assert em["first_aired_at"] == first
    assert float(em["response_seconds"]) == pytest.approx((datetime.fromisoformat(first) - approved).total_seconds(),
                                                          abs=0.1)


def test_a_month_and_an_area(aired_day, monkeypatch):
    monkeypatch.setenv("BROADCAST_PLAYOUT_NOW", AFTER_THE_DAY)
    r = run_cli(aired_day, "report", "aired", "--month", DAY[:7], "--area", "ban-b")
    assert r.exit_code == 0
    s = sections(r.output, crlf=False)          # (CliRunner's output has its line ends made \n)
    assert s[f"as-run {DAY[:7]} ban-b"] == [] and s["missed slots (scheduled, not aired)"] == []
    r = run_cli(aired_day, "report", "aired", "--month", DAY[:7])
    assert len(sections(r.output, crlf=False)[f"as-run {DAY[:7]}"]) == 4
    assert run_cli(aired_day, "report", "aired", "--month", "2099-13").exit_code == 1
    assert run_cli(aired_day, "report", "aired").exit_code == 2
    assert "unknown area 'ban-z'" in run_cli(aired_day, "report", "aired", "--date", DAY, "--area", "ban-z").output


def test_html_prints_on_a4_and_is_screenshot_in_chromium(aired_day, monkeypatch, tmp_path):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("BROADCAST_PLAYOUT_NOW", AFTER_THE_DAY)
    path = tmp_path / "asrun.html"
    r = run_cli(aired_day, "report", "aired", "--date", DAY, "--format", "html", "--output", str(path))
    assert r.exit_code == 0, r.output
    html = path.read_text(encoding="utf-8")
    assert "size: A4 landscape" in html and "Nhật ký phát sóng" in html
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": A4_LANDSCAPE_CONTENT_PX, "height": 800})
        errors: list = []
        page.on("pageerror", lambda exc: errors.append(exc))
        page.goto(path.as_uri())
        page.emulate_media(media="print")
        widest = page.evaluate("""() => Math.max(document.documentElement.scrollWidth,
            ...[...document.querySelectorAll('table, h1, h2, p, td')].map(e => e.getBoundingClientRect().right))""")
        assert widest <= A4_LANDSCAPE_CONTENT_PX + 1, widest
        assert page.locator("table.rows tbody tr").count() == 4
        assert page.locator("table.missed tbody tr").count() == 3
        refused = page.locator("table.rows td.refused").first
        assert "file changed after production" in refused.inner_text()
        assert refused.evaluate("e => getComputedStyle(e).color") == "rgb(164, 0, 0)"
        sha = items(aired_day, "ban-a", "morning")[0]["sha256"]
        assert sha in page.locator("table.rows td.sha").first.inner_text()
        page.screenshot(path=str(ARTIFACTS / "asrun-print.png"), full_page=True)
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)
        assert errors == []
        browser.close()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes
    for width, height in boxes:
        assert abs(float(width) - A4_LANDSCAPE_POINTS[0]) < 2 and abs(float(height) - A4_LANDSCAPE_POINTS[1]) < 2
    (ARTIFACTS / "asrun.pdf").write_bytes(pdf)


def test_the_run_sheet_marks_what_aired(aired_day, tmp_path):
    from playwright.sync_api import sync_playwright

    # the player wrote it after the slot; the report shows the same
    written = aired_day / "state" / "asrun" / DAY / "ban-a-rundown.html"
    assert written.is_file()
    path = tmp_path / "runsheet.html"
    r = run_cli(aired_day, "report", "aired", "--date", DAY, "--area", "ban-a", "--format", "runsheet",
                "--output", str(path))
    assert r.exit_code == 0, r.output
    html = path.read_text(encoding="utf-8")
    assert html == written.read_text(encoding="utf-8")
    assert "Lịch phát ngày 14/12/2099 — Bản A" in html
    assert run_cli(aired_day, "report", "aired", "--date", DAY, "--format", "runsheet").exit_code == 2
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 800, "height": 900})
        page.goto(path.as_uri())
        marks = {}
        for li in page.locator("ol.items li").all():
            name = li.locator(".meta").inner_text().split()[-1]          # the file name ends the line
            marks[name] = li.locator(".onair").inner_text() if li.locator(".onair").count() else ""
        assert marks["01-morning-emergency-lu-quet-vi.mp3"].startswith("✓ đã phát (aired) 05:30")
        assert marks["03-morning-normal-tiem-chung-vi.mp3"].startswith("✓ đã phát (aired)")
        refused = marks["02-morning-normal-hop-thon-vi.mp3"]
        assert refused.startswith("✗ không phát (refused)") and "file changed after production" in refused
        assert marks["04-noon-normal-dai-dong-vi.mp3"] == "" and marks["05-evening-normal-hop-thon-vi.mp3"] == ""
        colour = page.locator(".onair.refused").first.evaluate("e => getComputedStyle(e).color")
        assert colour == "rgb(164, 0, 0)"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "runsheet-aired.png"), full_page=True)
        browser.close()
