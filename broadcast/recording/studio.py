"""What there is to read: every approved announcement × language, and the fixed phrases, each with
the state of its reading (the studio's list and `broadcast record list`)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from broadcast.core.config import Workspace
from broadcast.core.languages import language_name
from broadcast.intake.approval import approved_announcements
from broadcast.translations.readings import (
    PHRASE_LANGUAGE,
    PHRASES,
    ReadingState,
    current_reading,
    phrase_reading,
    phrase_text,
)
from broadcast.translations.state import translation_state


@dataclass(frozen=True)
class StudioRow:
    key: str                 # "<id>/<lang>" or "phrase:<name>": the studio's address for it
    label: str               # "tiem-chung [vi]" or "phrase ident"
    title: str
    language: str
    text: str | None         # the approved text to read (None: none approved in this language)
    state: ReadingState
    announcement_id: str | None = None
    phrase: str | None = None

    @property
    def language_name(self) -> str:
        return language_name(self.language)


def overview(ws: Workspace, conn: sqlite3.Connection, *, ids: list[str] | None = None,
             phrases: bool = True) -> list[StudioRow]:
    rows: list[StudioRow] = []
    approved, _failures = approved_announcements(ws, conn)
    for ann, _approval in sorted(approved, key=lambda x: x[0].id):
        if ids and ann.id not in ids:
            continue
        for lang in ann.languages:
            text = translation_state(ws, conn, ann, lang)
            rows.append(StudioRow(f"{ann.id}/{lang}", f"{ann.id} [{lang}]", ann.title, lang,
                                  text.text if text.approved else None, current_reading(ws, conn, ann, lang),
                                  announcement_id=ann.id))
    if phrases and not ids:
        for name in PHRASES:
            rows.append(StudioRow(f"phrase:{name}", f"phrase {name}", name, PHRASE_LANGUAGE,
                                  phrase_text(ws, name), phrase_reading(ws, conn, name), phrase=name))
    return rows


def find_row(ws: Workspace, conn: sqlite3.Connection, key: str) -> StudioRow | None:
    if key.startswith("phrase:"):
        return next((r for r in overview(ws, conn) if r.key == key), None)
    ann_id = key.split("/", 1)[0]
    return next((r for r in overview(ws, conn, ids=[ann_id], phrases=False) if r.key == key), None)
