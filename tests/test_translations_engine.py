"""Machine drafts through a real CTranslate2 model: a tiny random-weight Transformer and a
sentencepiece model, both built at test time. Assert states, never text."""

from __future__ import annotations

import io
import re
import sys

import numpy as np
import pytest

from test_translations import approved, seed_memory, state_of, translations_dir, xliff_units

pytestmark = pytest.mark.slow

TRAINING_TEXT = [
    "Ủy ban nhân dân xã Chiềng Sinh thông báo họp dân vào sáng thứ Ba.",
    "Trạm Y tế xã tiêm chủng cho trẻ em dưới 5 tuổi. Xin cảm ơn.",
    "Mời mỗi hộ một người đến nhà văn hóa bản.",
    "Nyob zoo. Ua tsaug. Txhua tsev neeg tuaj ib tus neeg.",
]


def _shape(name: str, d: int, ff: int, vocab: int) -> tuple[int, ...]:
    layer = name.split("/")[-2]
    if "embeddings" in name or "projection" in name:
        return (vocab, d)
    if "/ffn/" in name:
        return (ff, d) if layer == "linear_0" else (d, ff)
    if "/self_attention/" in name:
        return (3 * d, d) if layer == "linear_0" else (d, d)
    if "/attention/" in name:            # encoder-decoder attention: q, fused kv, out
        return (2 * d, d) if layer == "linear_1" else (d, d)
    raise KeyError(name)


def _owner(spec, parts: list[str]):
    obj = spec
    for part in parts:
        m = re.fullmatch(r"(.+)_(\d+)", part)
        obj = getattr(obj, m.group(1))[int(m.group(2))] if m and not hasattr(obj, part) else getattr(obj, part)
    return obj


def build_tiny_model(folder, *, d: int = 16, ff: int = 32) -> None:
    """A 1+1 layer Transformer with random weights, and its sentencepiece vocabulary."""
    import sentencepiece as spm
    from ctranslate2 import specs

    folder.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(TRAINING_TEXT * 10), model_writer=buffer, vocab_size=80,
        model_type="unigram", character_coverage=1.0, hard_vocab_limit=False, minloglevel=2)
    (folder / "sentencepiece.model").write_bytes(buffer.getvalue())
    sp = spm.SentencePieceProcessor(model_file=str(folder / "sentencepiece.model"))
    vocab = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]

    spec = specs.TransformerSpec.from_config((1, 1), num_heads=2)
    rng = np.random.default_rng(0)
    for name, value in spec.variables().items():
        if value is not None:
            continue
        parts = name.split("/")
        if parts[-1] == "gamma":
            array = np.ones(d, np.float32)
        elif parts[-1] == "beta":
            array = np.zeros(d, np.float32)
        else:
            array = (rng.standard_normal(_shape(name, d, ff, len(vocab))) * 0.1).astype(np.float32)
        setattr(_owner(spec, parts[:-1]), parts[-1], array)
    spec.register_source_vocabulary(vocab)
    spec.register_target_vocabulary(vocab)
    spec.validate()
    spec.optimize(quantization=None)
    spec.save(str(folder))
    (folder / "broadcast-mt.toml").write_text(f'[languages.hmn]\ntarget_prefix = ["{vocab[3]}"]\n',
                                              encoding="utf-8")


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory):
    folder = tmp_path_factory.mktemp("mt") / "tiny-vi-hmn"
    build_tiny_model(folder)
    return folder


def test_machine_output_is_only_ever_a_draft(ws, tiny_model):
    approved(ws)
    seed_memory(ws, [("Xin cảm ơn.", "Ua tsaug.")])
    result = ws.run("translate", "hop-dan", "--to", "hmn", "--engine", "ct2", "--model", str(tiny_model))
    assert result.exit_code == 0, result.output
    assert "3 machine drafts" in result.output
    xlf = translations_dir(ws) / "hop-dan" / "hmn.xlf"
    units = xliff_units(xlf)
    assert units.pop("p2-s2")["state"] == "final"                   # memory beats the machine
    for u in units.values():
        assert u["state"] == "needs-review-translation" and u["approved"] != "yes"
        assert any("Machine draft" in n for n in u["notes"])
    # importing the file untouched approves only the memory unit: no machine text gets through
    imported = ws.run("translations", "import", str(xlf), "--by", "Vàng A Sử")
    assert imported.exit_code == 0 and "1/4 units approved" in imported.output
    assert state_of(ws).state == "draft"
    assert not (translations_dir(ws) / "hop-dan" / "hmn.md").exists()


def test_machine_drafts_in_po_are_fuzzy(ws, tiny_model):
    from translate.storage import po

    approved(ws)
    result = ws.run("translate", "hop-dan", "--to", "hmn", "--format", "po", "--model", str(tiny_model))
    assert result.exit_code == 0, result.output
    store = po.pofile.parsestring((translations_dir(ws) / "hop-dan" / "hmn.po").read_bytes())
    units = [u for u in store.units if not u.isheader()]
    assert units and all(u.isfuzzy() for u in units if u.target)


def test_engine_errors_are_clear(ws, tmp_path, monkeypatch):
    approved(ws)
    no_model = ws.run("translate", "hop-dan", "--to", "hmn", "--engine", "ct2")
    assert no_model.exit_code == 1 and "needs --model DIR" in no_model.output
    missing = ws.run("translate", "hop-dan", "--to", "hmn", "--engine", "ct2", "--model", str(tmp_path / "nope"))
    assert missing.exit_code == 1 and "no such model folder" in missing.output
    empty = tmp_path / "empty"
    empty.mkdir()
    not_ct2 = ws.run("translate", "hop-dan", "--to", "hmn", "--model", str(empty))
    assert not_ct2.exit_code == 1 and "no model.bin" in not_ct2.output
    (empty / "model.bin").write_bytes(b"")
    no_sp = ws.run("translate", "hop-dan", "--to", "hmn", "--model", str(empty))
    assert no_sp.exit_code == 1 and "no sentencepiece model" in no_sp.output
    monkeypatch.setitem(sys.modules, "sentencepiece", None)       # the extra is not installed
    no_extra = ws.run("translate", "hop-dan", "--to", "hmn", "--model", str(empty))
    assert no_extra.exit_code == 1 and "broadcast[mt]" in no_extra.output
    assert not (translations_dir(ws) / "hop-dan").exists()          # nothing written on error
