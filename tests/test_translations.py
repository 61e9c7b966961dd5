"""Translations: memory (exact vs near), XLIFF/PO round trips through translate-toolkit,
glossary refusal, per-language approval and staleness."""

from __future__ import annotations

import json

import pytest
from lxml import etree
from translate.storage import po, tmx, xliff

from broadcast.core import db
from broadcast.translations import translation_state
from broadcast.translations.memory import TranslationMemory, critical_differences
from broadcast.translations.segments import assemble, segment

XLIFF_NS = "urn:oasis:names:tc:xliff:document:1.2"

BODY = """\
Ủy ban nhân dân xã Chiềng Sinh thông báo: họp dân vào sáng thứ Ba, ngày 16/12/2099. Mời mỗi hộ một người.

Trạm Y tế xã tiêm chủng cho 51 trẻ em. Xin cảm ơn.
"""
SENTENCES = [
    "Ủy ban nhân dân xã Chiềng Sinh thông báo: họp dân vào sáng thứ Ba, ngày 16/12/2099.",
    "Mời mỗi hộ một người.",
    "Trạm Y tế xã tiêm chủng cho 51 trẻ em.",
    "Xin cảm ơn.",
]


def approved(ws, body: str = BODY, ann_id: str = "hop-dan"):
    path = ws.write(ann_id, body=body, languages="[vi, hmn]")
    result = ws.run("approve", str(path), "--by", "Chủ tịch UBND")
    assert result.exit_code == 0, result.output
    return path


def translations_dir(ws):
    return ws.root / "translations"


def fake_hmn(source: str) -> str:
    """What a translator would type (a stand-in, not H'Mông)."""
    return f"[hmn] {source}"


def fill_xliff(path, *, approve=lambda unit_id: True, target=lambda src: fake_hmn(src)):
    """Fill and approve units with translate-toolkit, as a translator's tool would."""
    store = xliff.xlifffile.parsestring(path.read_bytes())
    for unit in store.units:
        if approve(unit.xmlelement.get("id")) and not unit.isapproved():
            unit.target = target(str(unit.source))
            unit.set_state_n(unit.statemap["final"])
    path.write_bytes(bytes(store))


def xliff_units(path) -> dict[str, dict]:
    """id -> {source, target, state, approved, alt} read with lxml (what a translator's tool sees)."""
    root = etree.fromstring(path.read_bytes())
    out = {}
    for tu in root.iter(f"{{{XLIFF_NS}}}trans-unit"):
        tgt = tu.find(f"{{{XLIFF_NS}}}target")
        out[tu.get("id")] = {
            "source": tu.findtext(f"{{{XLIFF_NS}}}source"),
            "target": (tgt.text or "") if tgt is not None else "",
            "state": tgt.get("state") if tgt is not None else None,
            "approved": tu.get("approved"),
            "alt": [a.findtext(f"{{{XLIFF_NS}}}target") for a in tu.iter(f"{{{XLIFF_NS}}}alt-trans")],
            "notes": [n.text for n in tu.iter(f"{{{XLIFF_NS}}}note")],
        }
    return out


def state_of(ws, lang="hmn", ann_id="hop-dan"):
    from broadcast.translations.workflow import find_announcement

    w = ws.load()
    conn = db.connect(w.db_path)
    return translation_state(w, conn, find_announcement(w, ann_id), lang)


def summary(ws, ann_id="hop-dan") -> str:
    """What `broadcast status` shows in its languages column."""
    from broadcast.produce.status import translation_summary
    from broadcast.translations.workflow import find_announcement

    w = ws.load()
    return translation_summary(w, db.connect(w.db_path), find_announcement(w, ann_id))


def audit_rows(ws, action="approve-translation"):
    conn = db.connect(ws.load().db_path)
    return [dict(r) for r in conn.execute("SELECT * FROM audit_log WHERE action = ? ORDER BY seq", (action,))]


# --- segmentation -------------------------------------------------------------------------

def test_segments_keep_paragraphs_and_lines_and_assemble_back():
    body = "Câu một. Câu hai!\n\nĐịa chỉ: UBND TP. Sơn La.\nĐiện thoại 0212 3845 123.\n\nHết."
    segs = segment(body)
    assert [s.unit_id for s in segs] == ["p1-s1", "p1-s2", "p2-l1-s1", "p2-l2-s1", "p3-s1"]
    assert segs[2].text == "Địa chỉ: UBND TP. Sơn La."    # no split after the abbreviation
    assert assemble([(s.unit_id, s.text) for s in segs]) == body


def test_segments_of_the_test_body():
    assert [s.text for s in segment(BODY)] == SENTENCES
    assert [s.unit_id for s in segment(BODY)] == ["p1-s1", "p1-s2", "p2-s1", "p2-s2"]


# --- memory: exact means exact ------------------------------------------------------------

def seed_memory(ws, pairs, lang="hmn", by="Vàng A Sử"):
    mem = TranslationMemory.for_language(translations_dir(ws), lang)
    for src, tgt in pairs:
        mem.add(src, tgt, by=by)
    mem.save()
    return mem


def test_near_matches_differing_in_weekday_or_number_are_never_approved(ws):
    approved(ws)
    seed_memory(ws, [
        # 98 %-ish matches: one weekday, one number apart
        ("Ủy ban nhân dân xã Chiềng Sinh thông báo: họp dân vào sáng thứ Hai, ngày 16/12/2099.", "HMN-monday"),
        ("Trạm Y tế xã tiêm chủng cho 50 trẻ em.", "HMN-fifty"),
        ("Xin cảm ơn.", "Ua tsaug."),                       # exact
    ])
    result = ws.run("translate", "hop-dan", "--to", "hmn")
    assert result.exit_code == 0, result.output
    assert "1 final (1 from memory" in result.output
    units = xliff_units(translations_dir(ws) / "hop-dan" / "hmn.xlf")
    assert units["p2-s2"] == units["p2-s2"] | {"target": "Ua tsaug.", "state": "final", "approved": "yes"}
    for uid, suggestion in (("p1-s1", "HMN-monday"), ("p2-s1", "HMN-fifty")):
        u = units[uid]
        assert u["state"] == "needs-translation" and u["target"] == "" and u["approved"] != "yes"
        assert u["alt"] == [suggestion]
        assert any("not approved" in n and "CHECK" in n for n in u["notes"])
    assert any("thứ Ba ≠ thứ Hai" in n for n in units["p1-s1"]["notes"])
    assert any("51 ≠ 50" in n for n in units["p2-s1"]["notes"])
    assert units["p1-s2"]["state"] == "needs-translation" and units["p1-s2"]["alt"] == []


def test_memory_exact_lookup_and_suggestion_scores(tmp_path):
    mem = TranslationMemory(tmp_path / "hmn.tmx", "hmn")
    mem.add("Họp dân vào thứ Hai.", "A", by="X")
    assert mem.exact("Họp dân vào thứ Ba.") is None
    assert mem.exact("Họp dân  vào thứ Hai.").target == "A"      # whitespace folding only
    assert mem.exact("họp dân vào thứ Hai.") is None            # case matters
    (s,) = mem.suggestions("Họp dân vào thứ Ba.")
    assert 75 <= s.score < 100 and s.differences == ("thứ Ba ≠ thứ Hai",)
    assert critical_differences("gọi 0212 3845 123", "gọi 0212 3845 124") == ("123 ≠ 124",)
    mem.save()
    store = tmx.tmxfile.parsestring((tmp_path / "hmn.tmx").read_bytes())
    (tu,) = store.units
    assert tu.xmlelement.get("creationid") == "X" and len(tu.xmlelement.get("creationdate")) == 16


# --- XLIFF and PO round trips --------------------------------------------------------------

def test_xliff_round_trip_assembles_and_records_approval(ws):
    approved(ws)
    assert ws.run("translate", "hop-dan", "--to", "hmn").exit_code == 0
    xlf = translations_dir(ws) / "hop-dan" / "hmn.xlf"
    root = etree.fromstring(xlf.read_bytes())
    assert root.get("version") == "1.2" and root.tag == f"{{{XLIFF_NS}}}xliff"
    assert {u["state"] for u in xliff_units(xlf).values()} == {"needs-translation"}
    assert state_of(ws).state == "draft"

    fill_xliff(xlf)
    result = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert result.exit_code == 0, result.output
    assert "4/4 units approved" in result.output

    md = translations_dir(ws) / "hop-dan" / "hmn.md"
    assert md.read_text(encoding="utf-8") == (
        f"{fake_hmn(SENTENCES[0])} {fake_hmn(SENTENCES[1])}\n\n{fake_hmn(SENTENCES[2])} {fake_hmn(SENTENCES[3])}\n")
    (row,) = audit_rows(ws)
    detail = json.loads(row["detail"])
    st = state_of(ws)
    assert st.state == "approved" and st.text == md.read_text(encoding="utf-8").strip()
    assert row["subject"] == "hop-dan/hmn" and row["actor"] == "Vàng A Sử" and row["sha256"] == st.text_sha256
    assert detail["source_text_sha256"] == st.approval["source_sha256"]
    assert detail["translator"] == "Vàng A Sử" and detail["xliff"].endswith("hop-dan/hmn.xlf")
    assert st.approval["by"] == "Vàng A Sử" and st.approval["seq"] == row["seq"]

    mem = TranslationMemory.for_language(translations_dir(ws), "hmn")
    assert len(mem) == 4 and mem.exact(SENTENCES[3]).by == "Vàng A Sử"

    # importing the same file again records nothing new
    again = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert again.exit_code == 0 and "already approved" in again.output
    assert len(audit_rows(ws)) == 1

    assert ws.run("status").exit_code == 0
    assert "hmn: approved" in summary(ws)
    listing = ws.run("translations", "status")
    assert "hop-dan  hmn  approved by Vàng A Sử" in listing.output


def test_po_round_trip(ws, tmp_path):
    approved(ws)
    result = ws.run("translate", "hop-dan", "--to", "hmn", "--format", "po")
    assert result.exit_code == 0, result.output
    src = translations_dir(ws) / "hop-dan" / "hmn.po"
    store = po.pofile.parsestring(src.read_bytes())
    assert store.parseheader()["X-Broadcast-Announcement"] == "hop-dan"
    for unit in store.units:
        if not unit.isheader():
            unit.target = fake_hmn(str(unit.source))
    answered = tmp_path / "from-translator.po"       # the translator mails it back
    answered.write_bytes(bytes(store))

    result = ws.run("translations", "import", str(answered), "--by", "Lò Thị Mai")
    assert result.exit_code == 0, result.output
    assert state_of(ws).state == "approved"
    assert src.read_bytes() == answered.read_bytes()    # kept beside the announcement's translations
    assert audit_rows(ws)[0]["actor"] == "Lò Thị Mai"


def test_po_fuzzy_entries_are_not_approved(ws):
    approved(ws)
    ws.run("translate", "hop-dan", "--to", "hmn", "--format", "po")
    src = translations_dir(ws) / "hop-dan" / "hmn.po"
    store = po.pofile.parsestring(src.read_bytes())
    for unit in store.units:
        if not unit.isheader():
            unit.target = fake_hmn(str(unit.source))
            unit.markfuzzy(unit.getcontext() == "p1-s2")
    src.write_bytes(bytes(store))
    result = ws.run("translations", "import", str(src), "--by", "Lò Thị Mai")
    assert result.exit_code == 0, result.output
    assert "3/4 units approved" in result.output
    st = state_of(ws)
    assert st.state == "draft" and "3/4 units approved" in st.reason and st.text is None
    assert not (translations_dir(ws) / "hop-dan" / "hmn.md").exists()
    assert audit_rows(ws) == []
    assert len(TranslationMemory.for_language(translations_dir(ws), "hmn")) == 3


def test_partial_xliff_import_fills_memory_but_does_not_approve(ws):
    approved(ws)
    ws.run("translate", "hop-dan", "--to", "hmn")
    xlf = translations_dir(ws) / "hop-dan" / "hmn.xlf"
    fill_xliff(xlf, approve=lambda uid: uid.startswith("p1"))
    result = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert result.exit_code == 0 and "2/4 units approved" in result.output
    assert state_of(ws).state == "draft" and audit_rows(ws) == []
    # the next export has those two as final from memory
    ws.run("translate", "hop-dan", "--to", "hmn")
    states = {k: u["state"] for k, u in xliff_units(xlf).items()}
    assert states == {"p1-s1": "final", "p1-s2": "final", "p2-s1": "needs-translation", "p2-s2": "needs-translation"}


# --- glossary -------------------------------------------------------------------------------

def test_glossary_refusal_names_the_term(ws):
    approved(ws)
    gl = translations_dir(ws) / "glossary"
    gl.mkdir(parents=True)
    (gl / "hmn.csv").write_text("vi,hmn,note\nTrạm Y tế xã,Chaw Kho Mob Zos,health station\n", encoding="utf-8")
    ws.run("translate", "hop-dan", "--to", "hmn")
    xlf = translations_dir(ws) / "hop-dan" / "hmn.xlf"
    assert any("Glossary: Trạm Y tế xã → Chaw Kho Mob Zos" in n for n in xliff_units(xlf)["p2-s1"]["notes"])
    fill_xliff(xlf)      # the translator's text lacks the agreed rendering
    result = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert result.exit_code == 1
    assert "unit p2-s1" in result.output and "'Trạm Y tế xã'" in result.output
    assert "'Chaw Kho Mob Zos'" in result.output
    assert "3/4 units approved" in result.output            # the other units were still taken
    assert len(TranslationMemory.for_language(translations_dir(ws), "hmn")) == 3
    assert audit_rows(ws) == [] and state_of(ws).state == "draft"

    fill_xliff(xlf, approve=lambda uid: uid == "p2-s1",
               target=lambda src: "Chaw Kho Mob Zos txhaj tshuaj rau 51 tus me nyuam.")
    ok = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert ok.exit_code == 1       # fill_xliff skips approved units: p2-s1 is still refused
    store = xliff.xlifffile.parsestring(xlf.read_bytes())
    for unit in store.units:
        if unit.xmlelement.get("id") == "p2-s1":
            unit.target = "Chaw Kho Mob Zos txhaj tshuaj rau 51 tus me nyuam."
            unit.set_state_n(unit.statemap["final"])
    xlf.write_bytes(bytes(store))
    ok = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert ok.exit_code == 0, ok.output
    assert state_of(ws).state == "approved"


def test_glossary_with_a_wrong_header_is_a_clear_error(ws):
    approved(ws)
    gl = translations_dir(ws) / "glossary"
    gl.mkdir(parents=True)
    (gl / "hmn.csv").write_text("source,target\nA,B\n", encoding="utf-8")
    result = ws.run("translate", "hop-dan", "--to", "hmn")
    assert result.exit_code == 1 and "vi,hmn,note" in result.output


# --- staleness and carry-over ---------------------------------------------------------------

def test_stale_after_source_change_and_carry_over(ws, tmp_path):
    path = approved(ws)
    ws.run("translate", "hop-dan", "--to", "hmn")
    xlf = translations_dir(ws) / "hop-dan" / "hmn.xlf"
    fill_xliff(xlf)
    old_copy = tmp_path / "old.xlf"
    old_copy.write_bytes(xlf.read_bytes())
    assert ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử").exit_code == 0
    assert state_of(ws).state == "approved"

    # the leadership changes the date and approves again
    new_body = BODY.replace("thứ Ba, ngày 16/12/2099", "thứ Tư, ngày 17/12/2099")
    ws.write("hop-dan", body=new_body, languages="[vi, hmn]")
    st = state_of(ws)
    assert st.state == "stale" and "older Vietnamese text" in st.reason and st.text is None
    assert ws.run("approve", str(path), "--by", "Chủ tịch UBND").exit_code == 0
    st = state_of(ws)
    assert st.state == "stale" and "broadcast translate hop-dan --to hmn" in st.reason
    assert "hmn: stale" in summary(ws)

    # the translator's old file is refused as stale
    refused = ws.run("translations", "import", str(old_copy), "--by", "Vàng A Sử")
    assert refused.exit_code == 1 and "older Vietnamese text" in refused.output
    assert "broadcast translate hop-dan --to hmn" in refused.output

    # translate carries the unchanged sentences over; the changed one needs a translator
    result = ws.run("translate", "hop-dan", "--to", "hmn")
    assert result.exit_code == 0, result.output
    units = xliff_units(xlf)
    assert {k: u["state"] for k, u in units.items()} == {
        "p1-s1": "needs-translation", "p1-s2": "final", "p2-s1": "final", "p2-s2": "final"}
    assert units["p1-s1"]["alt"] == [fake_hmn(SENTENCES[0])]     # offered, not taken
    fill_xliff(xlf)
    ok = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert ok.exit_code == 0, ok.output
    assert state_of(ws).state == "approved" and len(audit_rows(ws)) == 2


def test_carry_over_from_an_unimported_workspace_file(ws):
    """Approved units in the workspace's own exchange file survive a re-export even before import."""
    approved(ws)
    ws.run("translate", "hop-dan", "--to", "hmn")
    xlf = translations_dir(ws) / "hop-dan" / "hmn.xlf"
    fill_xliff(xlf, approve=lambda uid: uid == "p1-s2")
    store = xliff.xlifffile.parsestring(xlf.read_bytes())
    for unit in store.units:
        if unit.xmlelement.get("id") == "p2-s2":       # a draft the translator has begun
            unit.target = "Ua tsaug"
            unit.set_state_n(unit.statemap["needs-review-translation"])
    xlf.write_bytes(bytes(store))
    ws.run("translate", "hop-dan", "--to", "hmn")
    units = xliff_units(xlf)
    assert units["p1-s2"]["state"] == "final" and units["p2-s2"]["state"] == "needs-review-translation"
    assert units["p2-s2"]["target"] == "Ua tsaug" and units["p2-s2"]["approved"] != "yes"


def test_edited_translation_after_approval_is_a_draft(ws):
    approved(ws)
    ws.run("translate", "hop-dan", "--to", "hmn")
    xlf = translations_dir(ws) / "hop-dan" / "hmn.xlf"
    fill_xliff(xlf)
    ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    md = translations_dir(ws) / "hop-dan" / "hmn.md"
    md.write_text(md.read_text(encoding="utf-8").replace("\n", "\r\n"), encoding="utf-8")
    assert state_of(ws).state == "approved"           # line endings do not void an approval
    md.write_text(md.read_text(encoding="utf-8") + "Ib kab lus ntxiv.\n", encoding="utf-8")
    st = state_of(ws)
    assert st.state == "draft" and "edited after Vàng A Sử approved it" in st.reason
    md.unlink()
    assert "missing" in state_of(ws).reason


def test_translation_states_and_recording(ws):
    approved(ws)
    st = state_of(ws)
    assert (st.state, st.text, st.approval, st.recording) == ("untranslated", None, None, None)
    assert "broadcast translate hop-dan --to hmn" in st.reason
    vi = state_of(ws, "vi")
    assert vi.state == "source" and vi.text.startswith("Ủy ban") and vi.text_sha256
    folder = translations_dir(ws) / "hop-dan"
    folder.mkdir(parents=True)
    (folder / "hmn.m4a").write_bytes(b"\0")
    assert state_of(ws).recording == folder / "hmn.m4a"
    assert "hmn: untranslated (reading to verify)" in summary(ws)   # not aired until verified


# --- refusals ---------------------------------------------------------------------------------

def test_translate_refuses_unapproved_announcements(ws):
    ws.write("hop-dan", body=BODY, languages="[vi, hmn]")
    result = ws.run("translate", "hop-dan", "--to", "hmn")
    assert result.exit_code == 1
    assert "not approved" in result.output and "broadcast approve" in result.output
    assert not (translations_dir(ws) / "hop-dan").exists()


def test_translate_without_ids_takes_every_approved_announcement(ws):
    approved(ws)
    ws.write("nhap", body="Bản nháp.", languages="[vi, hmn]")       # not approved: left alone
    result = ws.run("translate")
    assert result.exit_code == 0, result.output
    assert (translations_dir(ws) / "hop-dan" / "hmn.xlf").is_file()
    assert not (translations_dir(ws) / "nhap").exists()


def test_import_refuses_edited_source_sentences(ws):
    approved(ws)
    ws.run("translate", "hop-dan", "--to", "hmn")
    xlf = translations_dir(ws) / "hop-dan" / "hmn.xlf"
    fill_xliff(xlf)
    xlf.write_text(xlf.read_text(encoding="utf-8").replace("Mời mỗi hộ một người.", "Mời mỗi hộ hai người."),
                   encoding="utf-8")
    result = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert result.exit_code == 1 and "do not match the approved text" in result.output
    assert audit_rows(ws) == []


def test_import_of_a_file_that_is_not_an_exchange_file(ws, tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello", encoding="utf-8")
    result = ws.run("translations", "import", str(bad), "--by", "X")
    assert result.exit_code == 1 and "neither XLIFF nor PO" in result.output


def test_import_for_an_id_two_files_share_names_both(ws):
    approved(ws).rename(ws.announcements / "ban-goc.md")      # file names need not be the id
    ws.run("translate", "hop-dan", "--to", "hmn")
    xlf = translations_dir(ws) / "hop-dan" / "hmn.xlf"
    fill_xliff(xlf)
    ws.write("hop-dan", name="ban-sao.md", body=BODY, languages="[vi, hmn]")   # a copy, same id
    result = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert result.exit_code == 1 and "also used by" in result.output, result.output
    assert "ban-goc.md" in result.output and "ban-sao.md" in result.output
    assert audit_rows(ws) == [] and not (translations_dir(ws) / "hop-dan" / "hmn.md").exists()


@pytest.mark.parametrize("lang", ["vi", "xx"])
def test_translate_rejects_source_or_unknown_language(ws, lang):
    approved(ws)
    result = ws.run("translate", "hop-dan", "--to", lang)
    assert result.exit_code == 1


def test_glossary_matches_whole_words_and_downgrades_memory_that_lacks_a_term(ws):
    from broadcast.translations.glossary import Glossary, Term

    g = Glossary(None, "hmn", [Term("Nậm La", "Nam La"), Term("La", "LA")])
    assert [t.source for t in g.terms_in("suối Nậm La")] == ["Nậm La", "La"]
    assert g.terms_in("nước Lào") == []
    assert g.missing("suối Nậm La", "dej Nam La") == []
    assert [t.source for t in g.missing("suối Nậm La", "dej Nam Lab")] == ["Nậm La", "La"]

    approved(ws)
    seed_memory(ws, [("Xin cảm ơn.", "Ua tsaug.")])
    gl = translations_dir(ws) / "glossary"
    gl.mkdir(parents=True)
    (gl / "hmn.csv").write_text("vi,hmn,note\ncảm ơn,ua tsaug ntau,agreed later\n", encoding="utf-8")
    ws.run("translate", "hop-dan", "--to", "hmn")
    unit = xliff_units(translations_dir(ws) / "hop-dan" / "hmn.xlf")["p2-s2"]
    assert unit["state"] == "needs-review-translation" and unit["approved"] != "yes"
    assert any("lacks the glossary rendering of cảm ơn" in n for n in unit["notes"])


def test_sample_data_of_the_demo_workspace_loads():
    from pathlib import Path

    from broadcast.translations.glossary import Glossary

    root = Path(__file__).resolve().parents[1] / "examples" / "translations"
    for lang in ("hmn", "blt"):
        terms = Glossary.for_language(root, lang).terms
        assert terms and all("SAMPLE DATA" in t.note for t in terms)
    mem = TranslationMemory.for_language(root, "hmn")
    assert len(mem) >= 3 and mem.exact("Xin cảm ơn.").by == "SAMPLE DATA"
    assert not list(root.glob("*/*.md"))      # approvals live only in the audit log
