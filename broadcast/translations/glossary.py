"""Locked terms per language, `translations/glossary/<lang>.csv` with columns vi,<lang>,note:
agency and place names that must be rendered one agreed way."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from broadcast.translations.models import TranslationError


@dataclass(frozen=True)
class Term:
    source: str
    target: str
    note: str = ""
    line: int = 0


def _fold(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _contains(text: str, term: str) -> bool:
    """Whole-word containment after folding: "La" is in "suối Nậm La", not in "Lào"."""
    return re.search(rf"(?<!\w){re.escape(_fold(term))}(?!\w)", _fold(text)) is not None


class Glossary:
    def __init__(self, path: Path, language: str, terms: list[Term]) -> None:
        self.path = path
        self.language = language
        self.terms = terms

    @classmethod
    def for_language(cls, translations_dir: Path, language: str) -> Glossary:
        return cls.load(translations_dir / "glossary" / f"{language}.csv", language)

    @classmethod
    def load(cls, path: Path, language: str) -> Glossary:
        if not path.is_file():
            return cls(path, language, [])
        try:
            text = path.read_bytes().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TranslationError(f"not valid UTF-8 (byte {exc.start})", path,
                                   hint="save the glossary as UTF-8 CSV") from None
        rows = list(csv.reader(io.StringIO(text)))
        if not rows:
            return cls(path, language, [])
        header = [h.strip() for h in rows[0]]
        if len(header) < 2 or header[0] != "vi" or header[1] != language:
            raise TranslationError(
                f"header is {','.join(header)!r}", path, line=1,
                hint=f"the first row must be: vi,{language},note")
        terms: list[Term] = []
        for line_no, row in enumerate(rows[1:], start=2):
            if not row or not any(c.strip() for c in row):
                continue
            if len(row) < 2 or not row[0].strip() or not row[1].strip():
                raise TranslationError("a term needs both a vi and a " + language + " column", path,
                                       line=line_no, hint="fill both columns or delete the row")
            terms.append(Term(row[0].strip(), row[1].strip(), row[2].strip() if len(row) > 2 else "",
                              line_no))
        return cls(path, language, terms)

    def terms_in(self, source: str) -> list[Term]:
        return [t for t in self.terms if _contains(source, t.source)]

    def missing(self, source: str, target: str) -> list[Term]:
        """Terms whose Vietnamese form is in `source` but whose approved rendering is not in `target`."""
        return [t for t in self.terms_in(source) if not _contains(target, t.target)]
