"""The workspace database under concurrent opening (real processes)."""

from __future__ import annotations

import multiprocessing
from pathlib import Path

from broadcast.core import db


def _open(path: str) -> str:
    conn = db.connect(Path(path))
    mode = conn.execute("PRAGMA journal_mode").fetchone()[0]
    conn.close()
    return mode


def test_many_processes_opening_a_new_database_at_once(tmp_path):
    # Switching a new file to WAL is not covered by SQLite's busy handler: without a retry,
    # about one round in three failed here with 'database is locked'.
    ctx = multiprocessing.get_context("fork")
    for round_ in range(10):
        path = str(tmp_path / f"r{round_}.db")
        with ctx.Pool(8) as pool:
            assert pool.map(_open, [path] * 8) == ["wal"] * 8
