"""The as-run table's PostgreSQL twin (core/pg.py): made by the same migration history, and
append-only there too. (The player writes to the workspace's SQLite file; the table exists on
PostgreSQL so both databases keep one schema.)"""

from __future__ import annotations

import pytest
from pgserver import pg_server  # noqa: F401  (a fixture)

from broadcast.core import pg


def test_as_run_log_on_postgresql_is_append_only(pg_server):  # noqa: F811
    import psycopg

    conn = pg.connect(pg_server.new_database())
    try:
        assert "m003_as_run_log" in {r[0] for r in conn.execute("SELECT name FROM _migrations")}
        conn.execute("INSERT INTO as_run_log (at, attempt, result, day, area, output, output_key, started_by, "
                     "operator, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                     ("t", "a1", "aired", "2099-12-14", "ban-a", "alsa:default", "alsa-default", "schedule", "op",
                      "0" * 64, "1" * 64))
        for sql in ("UPDATE as_run_log SET result = 'refused'", "DELETE FROM as_run_log"):
            with pytest.raises(psycopg.errors.RaiseException, match="as_run_log is append-only"):
                conn.execute(sql)
        with pytest.raises(psycopg.errors.CheckViolation):
            conn.execute("INSERT INTO as_run_log (at, attempt, result, day, area, output, output_key, started_by, "
                         "operator, prev_hash, entry_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         ("t", "a2", "played", "2099-12-14", "ban-a", "o", "k", "schedule", "op", "0", "1"))
    finally:
        conn.close()
