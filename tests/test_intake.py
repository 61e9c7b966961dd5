"""Announcement intake and the approval gate, through the CLI as a user runs it."""

from __future__ import annotations

import sqlite3

import pytest
from pathlib import Path

from broadcast.core.config import load_workspace
from conftest import BODY, announcement_text

BOMB = """---
a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]
b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]
c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]
d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]
e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]
f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]
g: &g [*f,*f,*f,*f,*f,*f,*f,*f,*f]
---
Nội dung.
"""

# name → (file content as bytes, words the one-line reason must contain)
BAD_FILES = {
    "missing-id": (announcement_text(None).encode(), ["id", "missing"]),
    "dotdot-id": (announcement_text("../etc/passwd").encode(), ["id", "not a valid id"]),
    "unknown-priority": (announcement_text(priority="urgent").encode(), ["priority", "urgent"]),
    "unknown-field": (announcement_text(colour="red").encode(), ["unknown field", "colour"]),
    "empty-body": (announcement_text(body="   ").encode(), ["body", "empty"]),
    "invalid-utf8": (announcement_text().encode().replace("Ủy".encode(), b"\xff\xfe"), ["UTF-8"]),
    "yaml-syntax": (announcement_text(title="[unclosed").encode(), ["YAML"]),
    "alias-bomb": (BOMB.encode(), ["alias"]),
    "python-tag": (announcement_text(title="!!python/object/apply:os.system ['touch PWNED']").encode(),
                   ["YAML", "python"]),
    "never-closed": (b"---\nid: x\ntitle: y\n\nNoi dung\n", ["never closed"]),
    "expired": (announcement_text(expires="2020-01-01T00:00:00+07:00").encode(), ["expires", "expired"]),
    "impossible-date": (announcement_text(schedule="\n  dates: [2099-02-30]\n  slots: [morning]").encode(),
                        ["2099-02-30", "not a real date"]),
    "unknown-area": (announcement_text(areas="[ha-noi]").encode(), ["area", "ha-noi"]),
    "unknown-slot": (announcement_text(schedule="\n  dates: [2099-12-14]\n  slots: [midnight]").encode(),
                     ["slot", "midnight"]),
    "unknown-language": (announcement_text(languages="[vi, xx]").encode(), ["language", "xx"]),
    "unknown-channel": (announcement_text(channels="[fax]").encode(), ["channel", "fax"]),
    "negative-repeat": (announcement_text(repeat="-1").encode(), ["repeat", "1 to 10"]),
    "binary-garbage": (bytes(range(256)) * 16, ["UTF-8"]),
    "empty-file": (b"", ["empty"]),
    "tab-indented": (announcement_text(schedule="\n\tdates: [2099-12-14]\n\tslots: [morning]").encode(),
                     ["YAML", "spaces, not tabs"]),
    "control-character": (announcement_text(body="Thông báo\x1f họp dân.").encode(), ["U+001F", "control"]),
    "huge-body": (announcement_text(body="Thông báo. " * 200_000).encode(), ["KiB", "limit"]),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_bad_file_is_refused_with_file_named_and_no_traceback(ws, name, tmp_path, monkeypatch):
    content, words = BAD_FILES[name]
    path = ws.announcements / f"{name}.md"
    path.write_bytes(content)
    monkeypatch.chdir(tmp_path)  # a python tag must not run `touch PWNED` anywhere
    result = ws.run("validate", str(path))
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert errors, result.output
    assert all(f"{name}.md" in ln for ln in errors), errors
    joined = " ".join(errors)
    for word in words:
        assert word.lower() in joined.lower(), (word, errors)
    assert not (tmp_path / "PWNED").exists()


def test_every_problem_in_a_file_is_reported_at_once_with_lines(ws):
    path = ws.write(priority="urgent", areas="[ha-noi]", repeat="99")
    result = ws.run("validate", str(path))
    assert result.exit_code == 1
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 3, errors
    # file:line: field: message — hint
    assert any(":4: priority:" in e and "use one of" in e for e in errors), errors
    assert any(":5: areas:" in e for e in errors), errors


def test_folder_with_some_bad_files_validates_the_good_ones(ws):
    ws.write("mot")
    ws.write("hai", priority="bogus")
    ws.write("ba")
    result = ws.run("validate")
    assert result.exit_code == 1
    assert "ok  " in result.output and "2 valid, 1 invalid" in result.output
    assert "hai.md" in result.output


def test_duplicate_ids_are_refused_naming_both_files(ws):
    ws.write("mot", name="a.md")
    ws.write("mot", name="b.md")
    ws.write("hai")
    result = ws.run("validate")
    assert result.exit_code == 1
    assert "1 valid, 2 invalid" in result.output
    errors = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
    assert len(errors) == 2, errors
    # each file's error names it and the other one
    for mine, other in (("a.md", "b.md"), ("b.md", "a.md")):
        line = next(e for e in errors if e.split(":")[1].strip().endswith(mine))
        assert other in line and "'mot'" in line and ":2: id:" in line, line


def test_a_duplicate_id_cannot_take_over_an_approval(ws):
    from broadcast.core import db

    first = ws.write("mot", name="a.md")
    assert ws.run("approve", str(first), "--by", "A").exit_code == 0
    second = ws.write("mot", name="b.md", title="Bản sao")
    result = ws.run("approve", str(second), "--by", "A")
    assert result.exit_code == 1
    assert "b.md" in result.output and "a.md" in result.output and "also used by" in result.output
    conn = db.connect(load_workspace(ws.root).db_path)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1   # nothing recorded
    # approving the folder refuses both, the one approved before included
    result = ws.run("approve", str(ws.announcements), "--by", "A")
    assert result.exit_code == 1 and result.output.count("also used by") == 2, result.output
    status = ws.run("status").output
    assert "\n2 invalid\n" in status and "│ approved" not in status, status
    second.unlink()
    assert "already approved" in ws.run("approve", str(first), "--by", "A").output


def test_produce_skips_both_files_of_a_duplicate_id_as_failures(ws):
    ws.write("mot", name="a.md")
    ws.write("mot", name="b.md")
    ws.write("hai")
    assert ws.run("approve", str(ws.announcements / "hai.md"), "--by", "A").exit_code == 0
    result = ws.run("produce", "--date", "2099-01-01")   # a day nothing is scheduled: no speech
    assert result.exit_code == 1, result.output
    errors = [ln for ln in result.output.splitlines() if "also used by" in ln]
    assert len(errors) == 2 and any("a.md:" in e for e in errors) and any("b.md:" in e for e in errors), \
        result.output


def test_from_to_schedule_and_defaults(ws):
    path = ws.write(schedule="\n  from: 2099-12-30\n  to: 2100-01-02\n  slots: [evening]", repeat=None,
                    priority="emergency", languages="[hmn]")
    from broadcast.intake.announcements import parse_announcement

    ann = parse_announcement(path, load_workspace(ws.root).config)
    assert [d.isoformat() for d in ann.dates] == ["2099-12-30", "2099-12-31", "2100-01-01", "2100-01-02"]
    assert ann.languages == ("vi", "hmn")
    assert ann.readings >= 3


def test_approval_lifecycle(ws):
    path = ws.write()
    assert "draft" in ws.run("status").output
    result = ws.run("approve", str(path), "--by", "Lò Văn Minh")
    assert result.exit_code == 0, result.output
    assert "approved" in ws.run("status").output

    path.write_text(path.read_text(encoding="utf-8").replace("Xin cảm ơn", "Xin cám ơn"), encoding="utf-8")
    status = ws.run("status").output
    assert "changed-since-approval" in status

    from broadcast.core import db
    from broadcast.intake.announcements import parse_announcement
    from broadcast.intake.approval import require_approved
    from broadcast.core.errors import NotApproved

    w = load_workspace(ws.root)
    conn = db.connect(w.db_path)
    with pytest.raises(NotApproved) as exc:
        require_approved(conn, parse_announcement(path, w.config))
    assert "tiem-chung.md" in str(exc.value) and "approval again" in str(exc.value)

    assert ws.run("approve", str(path), "--by", "Lò Văn Minh").exit_code == 0
    assert "changed-since-approval" not in ws.run("status").output
    rows = conn.execute("SELECT actor, action FROM audit_log ORDER BY seq").fetchall()
    assert [tuple(r) for r in rows] == [("Lò Văn Minh", "approve")] * 2


def test_reapproving_unchanged_content_adds_nothing(ws):
    path = ws.write()
    ws.run("approve", str(path), "--by", "A")
    result = ws.run("approve", str(path), "--by", "B")
    assert "already approved" in result.output
    conn = sqlite3.connect(load_workspace(ws.root).db_path)
    assert conn.execute("SELECT count(*) FROM audit_log").fetchone()[0] == 1


def test_whitespace_only_resave_keeps_approval(ws):
    path = ws.write()
    ws.run("approve", str(path), "--by", "A")
    path.write_bytes(path.read_bytes().replace(b"\n", b"\r\n"))
    assert "changed-since-approval" not in ws.run("status").output


def test_audit_table_cannot_be_altered(ws):
    path = ws.write()
    ws.run("approve", str(path), "--by", "A")
    conn = sqlite3.connect(load_workspace(ws.root).db_path)
    for sql in ("UPDATE audit_log SET actor = 'B'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute(sql)
    assert conn.execute("SELECT actor FROM audit_log").fetchone()[0] == "A"


def test_audit_chain_detects_edits_made_outside_the_project(ws):
    from broadcast.core import audit, db

    path = ws.write()
    ws.run("approve", str(path), "--by", "A")
    ws.run("approve", str(ws.write("khac")), "--by", "A")
    w = load_workspace(ws.root)
    conn = db.connect(w.db_path)
    assert audit.verify_chain(conn) == []
    conn.execute("DROP TRIGGER audit_log_no_update")
    conn.execute("UPDATE audit_log SET actor = 'Mallory' WHERE seq = 1")
    assert audit.verify_chain(conn) == [1]


def test_approving_an_invalid_file_fails_but_approves_the_rest(ws):
    good = ws.write("tot")
    bad = ws.write("xau", priority="bogus")
    result = ws.run("approve", str(good), str(bad), "--by", "A")
    assert result.exit_code == 1
    assert "approved  tot" in result.output and "xau.md" in result.output


def test_approve_requires_a_name(ws):
    result = ws.run("approve", str(ws.write()))
    assert result.exit_code == 2
    assert "--by" in result.output


def test_workspace_discovery(ws, tmp_path, monkeypatch):
    from click.testing import CliRunner

    from broadcast.cli.root import cli

    sub = ws.root / "announcements"
    monkeypatch.chdir(sub)
    monkeypatch.delenv("BROADCAST_HOME", raising=False)
    ws.write()
    assert CliRunner().invoke(cli, ["validate"]).exit_code == 0  # found upwards
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 2 and "no workspace found" in result.output
    monkeypatch.setenv("BROADCAST_HOME", str(ws.root))
    assert CliRunner().invoke(cli, ["validate"]).exit_code == 0


def test_broken_config_is_a_clear_usage_error(ws):
    (ws.root / "broadcast.toml").write_text("[commune\nname = 1", encoding="utf-8")
    result = ws.run("status")
    assert result.exit_code == 2
    assert "broadcast.toml" in result.output and "TOML" in result.output


def test_init_creates_a_working_workspace(tmp_path):
    from click.testing import CliRunner

    from broadcast.cli.root import cli

    target = tmp_path / "xa-moi"
    result = CliRunner().invoke(cli, ["init", str(target), "--name", "Xã Mường Bú"])
    assert result.exit_code == 0, result.output
    for sub in ("announcements", "translations", "voices", "feedback", "output"):
        assert (target / sub).is_dir()
    assert 'name = "Xã Mường Bú"' in (target / "broadcast.toml").read_text(encoding="utf-8")
    (target / "announcements" / "a.md").write_text(
        announcement_text("a", areas="[trung-tam]"), encoding="utf-8")
    result = CliRunner().invoke(cli, ["--workspace", str(target), "validate"])
    assert result.exit_code == 0, result.output


def test_every_command_loads_has_help_and_is_in_the_readme():
    """Every command of COMMAND_MODULES loads, has help text for itself and each option, and the
    README names it (the docs cannot fall behind the command line)."""
    import click
    from click.testing import CliRunner

    from broadcast.cli.root import COMMAND_MODULES, cli

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    ctx = click.Context(cli)

    def walk(group, prefix=()):
        for name in group.list_commands(ctx):
            cmd = group.get_command(ctx, name)
            assert cmd is not None, f"{' '.join((*prefix, name))} does not load"
            yield (*prefix, name), cmd
            if isinstance(cmd, click.Group):
                yield from walk(cmd, (*prefix, name))

    seen = list(walk(cli))
    assert {path[0] for path, _ in seen} >= set(COMMAND_MODULES)
    for path, cmd in seen:
        assert (cmd.help or "").strip(), f"{' '.join(path)} has no help text"
        assert f"broadcast {' '.join(path)}" in readme, f"README.md does not mention `broadcast {' '.join(path)}`"
        result = CliRunner().invoke(cli, [*path, "--help"])
        assert result.exit_code == 0, path
        for param in cmd.params:
            if hasattr(param, "help") and param.param_type_name == "option" and param.name != "help":
                assert param.help, f"{' '.join(path)} {param.name} has no help"


def test_body_is_nfc_and_sha_ignores_trailing_whitespace(ws):
    from broadcast.intake.announcements import parse_announcement

    w = load_workspace(ws.root)
    a = parse_announcement(ws.write("x", body=BODY), w.config)
    import unicodedata

    b = parse_announcement(ws.write("x", body=unicodedata.normalize("NFD", BODY) + "   \n\n"), w.config)
    assert a.sha256 == b.sha256
    c = parse_announcement(ws.write("x", body=BODY.replace("15/12", "16/12")), w.config)
    assert c.sha256 != a.sha256


def test_approving_an_empty_folder_says_so(ws):
    result = ws.run("approve", str(ws.announcements), "--by", "A")
    assert result.exit_code == 1 and "no announcement files" in result.output


# --- symbolic links out of the workspace --------------------------------------------------------

def allow_links(ws) -> None:
    with open(ws.root / "broadcast.toml", "a", encoding="utf-8") as f:
        f.write("\n[paths]\nfollow_symlinks = true\n")


def test_a_link_to_an_announcement_outside_the_workspace_is_refused(ws, tmp_path):
    outside = tmp_path / "elsewhere" / "secret.md"
    outside.parent.mkdir()
    outside.write_text(announcement_text("bi-mat"), encoding="utf-8")
    link = ws.announcements / "bi-mat.md"
    link.symlink_to(outside)
    ws.write("tot")
    for args in (("validate",), ("validate", str(link)), ("approve", str(link), "--by", "A")):
        result = ws.run(*args)
        assert result.exit_code == 1, (args, result.output)
        (line,) = [ln for ln in result.output.splitlines() if ln.startswith("error:")]
        assert "bi-mat.md" in line and str(outside) in line and "symbolic link" in line, line
        assert "follow_symlinks = true" in line, line
    assert "1 valid, 1 invalid" in ws.run("validate").output
    assert sqlite3.connect(load_workspace(ws.root).db_path).execute(
        "SELECT count(*) FROM audit_log").fetchone()[0] == 0

    allow_links(ws)
    assert ws.run("validate").exit_code == 0
    assert ws.run("approve", str(link), "--by", "A").exit_code == 0


def test_a_link_through_a_linked_folder_is_refused_and_links_inside_are_followed(ws, tmp_path):
    outside = tmp_path / "shared"
    outside.mkdir()
    (outside / "x.md").write_text(announcement_text("x"), encoding="utf-8")
    (ws.announcements / "chung").symlink_to(outside, target_is_directory=True)
    result = ws.run("validate", str(ws.announcements / "chung" / "x.md"))
    assert result.exit_code == 1
    assert "lies in" in result.output and "chung" in result.output and str(outside) in result.output

    drafts = ws.root / "drafts"                 # inside the workspace: a link there is fine
    drafts.mkdir()
    (drafts / "y.md").write_text(announcement_text("y"), encoding="utf-8")
    (ws.announcements / "y.md").symlink_to(drafts / "y.md")
    result = ws.run("validate")
    assert result.exit_code == 0 and "ok  " in result.output and "(y)" in result.output, result.output


def test_a_file_named_outside_the_workspace_is_read_as_given(ws, tmp_path):
    path = tmp_path / "from-email.md"
    path.write_text(announcement_text("thu"), encoding="utf-8")
    assert ws.run("validate", str(path)).exit_code == 0


def test_follow_symlinks_must_be_true_or_false(ws):
    with open(ws.root / "broadcast.toml", "a", encoding="utf-8") as f:
        f.write('\n[paths]\nfollow_symlinks = "yes"\n')
    result = ws.run("validate")
    assert result.exit_code == 2 and "follow_symlinks" in result.output and "true or false" in result.output


def test_translation_files_linked_out_of_the_workspace_are_not_read(ws, tmp_path):
    from broadcast.core import db
    from broadcast.translations import translation_state
    from broadcast.translations.workflow import find_announcement

    path = ws.write("hop", languages="[vi, hmn]")
    assert ws.run("approve", str(path), "--by", "A").exit_code == 0
    outside = tmp_path / "outside"
    outside.mkdir()
    memory = ws.root / "translations" / "memory"
    memory.mkdir(parents=True)
    (outside / "hmn.tmx").write_text("<tmx/>", encoding="utf-8")
    (memory / "hmn.tmx").symlink_to(outside / "hmn.tmx")
    result = ws.run("translate", "hop", "--to", "hmn")
    assert result.exit_code == 1 and "hmn.tmx" in result.output and str(outside) in result.output
    (memory / "hmn.tmx").unlink()
    assert ws.run("translate", "hop", "--to", "hmn").exit_code == 0

    # a translator's file planted as a link is not imported
    folder = ws.root / "translations" / "hop"
    xlf = folder / "hmn.xlf"
    (outside / "hmn.xlf").write_bytes(xlf.read_bytes())
    xlf.unlink()
    xlf.symlink_to(outside / "hmn.xlf")
    result = ws.run("translations", "import", str(xlf), "--by", "T")
    assert result.exit_code == 1 and "symbolic link" in result.output and str(outside) in result.output

    # an approved text or a recording linked from outside is not produced: the state says why
    w = load_workspace(ws.root)
    conn = db.connect(w.db_path)
    (outside / "hmn.wav").write_bytes(b"RIFF")
    (folder / "hmn.wav").symlink_to(outside / "hmn.wav")
    st = translation_state(w, conn, find_announcement(w, "hop"), "hmn")
    assert st.state == "draft" and st.recording is None
    assert "hmn.wav" in st.reason and str(outside) in st.reason, st.reason
