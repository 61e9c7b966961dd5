"""Translations: approved human translations first (TMX memory, XLIFF/PO with translators),
per-language approval in the audit log, optional machine drafts that are never approved.

What other stages use: `translation_state(ws, conn, ann, lang) -> TranslationState`."""

from broadcast.translations.models import APPROVED, DRAFT, SOURCE, STALE, UNTRANSLATED, TranslationError
from broadcast.translations.state import TranslationState, translation_state

__all__ = ["APPROVED", "DRAFT", "SOURCE", "STALE", "UNTRANSLATED", "TranslationError",
           "TranslationState", "translation_state"]
