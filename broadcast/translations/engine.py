"""Optional machine drafts from a CTranslate2 translation model folder with a sentencepiece
model (e.g. NLLB or MADLAD converted by the user). Output is only ever a draft that a
translator reviews; nothing here can approve a unit.

The folder holds what `ct2-*-converter` writes (model.bin, config.json, vocabulary) plus the
sentencepiece model, and optionally `broadcast-mt.toml` with the language tokens the model
expects, per target language:

    source_prefix = ["vie_Latn"]          # tokens put before the source (NLLB)
    [languages.km]
    target_prefix = ["khm_Khmr"]          # tokens the output starts with (NLLB)
    source_prefix = ["<2km>"]             # or a source tag (MADLAD)
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from broadcast.translations.models import TranslationError

ENGINES = ("ct2",)
SENTENCEPIECE_NAMES = ("sentencepiece.model", "sentencepiece.bpe.model", "spm.model", "source.spm", "sp.model")
SETTINGS_NAME = "broadcast-mt.toml"
MAX_DECODING_LENGTH = 256
INSTALL_HINT = "install the extra: pip install 'broadcast[mt]' (ctranslate2 and sentencepiece)"


@dataclass
class Ct2Translator:
    """A loaded model. `translate(sentences, language)` returns one draft per sentence."""

    model_dir: Path
    translator: object
    tokenizer: object
    settings: dict = field(default_factory=dict)

    @classmethod
    def load(cls, model_dir: Path) -> Ct2Translator:
        try:
            import ctranslate2
            import sentencepiece
        except ImportError as exc:
            raise TranslationError(f"machine drafts need {exc.name}, which is not installed",
                                   hint=INSTALL_HINT) from None
        model_dir = Path(model_dir)
        if not (model_dir / "model.bin").is_file():
            raise TranslationError("not a CTranslate2 model folder (no model.bin)", model_dir,
                                   hint="convert the model with ct2-transformers-converter, or pass the folder that holds model.bin")
        sp_model = next((model_dir / n for n in SENTENCEPIECE_NAMES if (model_dir / n).is_file()), None)
        if sp_model is None:
            raise TranslationError("no sentencepiece model in the folder", model_dir,
                                   hint=f"copy the model's sentencepiece file in as one of: {', '.join(SENTENCEPIECE_NAMES)}")
        settings: dict = {}
        if (model_dir / SETTINGS_NAME).is_file():
            try:
                settings = tomllib.loads((model_dir / SETTINGS_NAME).read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
                raise TranslationError(f"cannot read: {exc}", model_dir / SETTINGS_NAME) from None
        try:
            translator = ctranslate2.Translator(str(model_dir), device="cpu")
            tokenizer = sentencepiece.SentencePieceProcessor(model_file=str(sp_model))
        except (RuntimeError, OSError, ValueError) as exc:
            raise TranslationError(f"cannot load the model: {exc}", model_dir) from None
        return cls(model_dir, translator, tokenizer, settings)

    def _prefixes(self, language: str) -> tuple[list[str], list[str] | None]:
        per_lang = self.settings.get("languages", {}).get(language, {})
        source = list(per_lang.get("source_prefix", self.settings.get("source_prefix", [])))
        target = per_lang.get("target_prefix")
        return source, (list(target) if target else None)

    def translate(self, sentences: list[str], language: str) -> list[str]:
        if not sentences:
            return []
        source_prefix, target_prefix = self._prefixes(language)
        batch = [source_prefix + self.tokenizer.encode(s, out_type=str) for s in sentences]
        results = self.translator.translate_batch(
            batch, target_prefix=[target_prefix] * len(batch) if target_prefix else None,
            beam_size=2, max_decoding_length=MAX_DECODING_LENGTH)
        drafts = []
        for r in results:
            tokens = r.hypotheses[0]
            if target_prefix and tokens[:len(target_prefix)] == target_prefix:
                tokens = tokens[len(target_prefix):]
            drafts.append(self.tokenizer.decode(tokens).strip())
        return drafts


def load_engine(engine: str, model_dir: Path | None) -> Ct2Translator:
    if engine not in ENGINES:
        raise TranslationError(f"unknown engine {engine!r}", hint=f"engines: {', '.join(ENGINES)}")
    if model_dir is None:
        raise TranslationError("--engine ct2 needs --model DIR", hint="pass the CTranslate2 model folder")
    if not Path(model_dir).is_dir():
        raise TranslationError("no such model folder", model_dir,
                               hint="pass the folder a CTranslate2 converter wrote (it holds model.bin)")
    return Ct2Translator.load(Path(model_dir))
