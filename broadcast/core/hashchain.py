"""The hash chain of the append-only tables (the audit log, core/audit.py; the as-run log,
playout/asrun.py): each row carries the hash of the row before it and its own hash over that
and its values, so a row edited, inserted or removed outside broadcast shows.

A row's hash is the SHA-256 of the JSON list [previous hash, value, value, …] (UTF-8, not
ASCII-escaped), the values in the table's own order; the first row's previous hash is GENESIS.
Logs written before this module verify unchanged: the bytes hashed are the same."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence

GENESIS = "0" * 64


def entry_hash(prev_hash: str, values: Iterable) -> str:
    payload = json.dumps([prev_hash, *values], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def append(conn: sqlite3.Connection, table: str, columns: Sequence[str], values: Sequence) -> tuple[int, str]:
    """Add one row (`values` in `columns`' order) chained to the table's newest; returns its
    (seq, entry_hash). Its own write transaction unless the caller is in one, so the chain never
    forks when several processes write."""
    own_tx = not conn.in_transaction
    if own_tx:
        conn.execute("BEGIN IMMEDIATE")
    try:
        last = conn.execute(f"SELECT entry_hash FROM {table} ORDER BY seq DESC LIMIT 1").fetchone()
        prev = last[0] if last else GENESIS
        entry = entry_hash(prev, values)
        cur = conn.execute(
            f"INSERT INTO {table} ({', '.join(columns)}, prev_hash, entry_hash) "
            f"VALUES ({', '.join('?' for _ in columns)}, ?, ?)",
            (*values, prev, entry))
        if own_tx:
            conn.execute("COMMIT")
    except BaseException:
        if own_tx:
            conn.execute("ROLLBACK")
        raise
    return int(cur.lastrowid), entry


def verify(conn: sqlite3.Connection, table: str, columns: Sequence[str]) -> list[int]:
    """Seqs of the rows whose hashes do not match their values and the row before them."""
    broken: list[int] = []
    prev = GENESIS
    for r in conn.execute(f"SELECT * FROM {table} ORDER BY seq"):
        expected = entry_hash(prev, (r[c] for c in columns))
        if r["prev_hash"] != prev or r["entry_hash"] != expected:
            broken.append(r["seq"])
        prev = r["entry_hash"]
    return broken
