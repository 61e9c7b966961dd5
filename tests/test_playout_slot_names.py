"""Named slots on the operator's side: `broadcast play --slot` says the slot's name (with its id)
and the printed as-run report (HTML) names the slots it lists, while the CSV keeps the ids."""

from __future__ import annotations

from playout_support import DAY, fresh_copy, play, run_cli

AFTER_THE_DAY = "2099-12-15T08:00:00+07:00"


def test_play_and_the_printed_report_say_the_slot_names(tmp_path_factory, tmp_path, monkeypatch):
    root = fresh_copy(tmp_path_factory, tmp_path)
    config = root / "broadcast.toml"
    text = config.read_text(encoding="utf-8")
    assert 'morning = "05:30"\nnoon = "11:00"' in text
    config.write_text(text.replace('morning = "05:30"\nnoon = "11:00"',
                                   'morning = { time = "05:30", name = "Buổi sáng" }\n'
                                   'noon = { time = "11:00", name = "Buổi trưa" }'), encoding="utf-8")
    r = play(root, "--date", DAY, "--slot", "morning", "--area", "ban-a", "--output", f"file:{tmp_path}/air.wav",
             now=f"{DAY}T05:30:00+07:00")
    assert r.returncode == 0, r.stdout + r.stderr
    assert f"{DAY} Buổi sáng (morning) ban-a on" in r.stdout, r.stdout

    monkeypatch.setenv("BROADCAST_PLAYOUT_NOW", AFTER_THE_DAY)      # the day is over: its slots are due
    html = run_cli(root, "report", "aired", "--date", DAY, "--format", "html")
    assert html.exit_code == 0, html.output
    assert "Bản A · Buổi sáng" in html.output                  # what aired, by its slot's name
    assert "<td>Buổi trưa</td>" in html.output                 # a missed slot, by its name
    assert "<td>evening</td>" in html.output                   # a slot without a name: its id
    csv_text = run_cli(root, "report", "aired", "--date", DAY).output
    assert ",morning," in csv_text and "Buổi sáng" not in csv_text
