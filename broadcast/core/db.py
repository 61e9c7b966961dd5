"""The workspace's SQLite database: connection settings and the ordered schema migrations.

Each migration is a function `mNNN_name(conn)`; applied ones are recorded in `_migrations`,
so the whole schema history reads top to bottom in this one file."""

from __future__ import annotations

import sqlite3
import string
import time
from collections.abc import Callable
from pathlib import Path

MIGRATIONS: list[Callable[[sqlite3.Connection], None]] = []


def migration(fn: Callable[[sqlite3.Connection], None]):
    MIGRATIONS.append(fn)
    return fn


# The tables PostgreSQL holds too (broadcast/pg.py) are written once, with these words for the
# few places where the two dialects differ: $ID the key column, $FLOAT a floating-point column,
# $REF a column that refers to an $ID.
SQLITE_WORDS = {"ID": "INTEGER PRIMARY KEY AUTOINCREMENT", "FLOAT": "REAL", "REF": "INTEGER"}


def in_dialect(ddl: str, words: dict[str, str]) -> str:
    return string.Template(ddl).substitute(words)


# Append-only: every approval (and later every production, import, review action) is a row;
# each row carries the hash of the previous one (core/hashchain.py), so an edit made outside
# the project shows. The triggers that refuse UPDATE and DELETE differ by dialect
# (append_only here, pg.append_only for PostgreSQL).
AUDIT_LOG = """
        CREATE TABLE audit_log (
            seq $ID,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            action TEXT NOT NULL,
            subject TEXT NOT NULL,
            sha256 TEXT,
            detail TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            entry_hash TEXT NOT NULL
        );
        CREATE INDEX audit_log_subject ON audit_log(subject, action);
        """


def append_only(table: str) -> str:
    """SQLite's triggers that refuse UPDATE and DELETE on `table`."""
    return f"""
        CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
        CREATE TRIGGER {table}_no_delete BEFORE DELETE ON {table}
        BEGIN SELECT RAISE(ABORT, '{table} is append-only'); END;
        """


@migration
def m001_audit_log(conn: sqlite3.Connection) -> None:
    run_script(conn, in_dialect(AUDIT_LOG, SQLITE_WORDS) + append_only("audit_log"))


def run_script(conn: sqlite3.Connection, script: str) -> None:
    """Run several statements inside the caller's transaction (`executescript` would commit)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            conn.execute(buffer)
            buffer = ""
    if buffer.strip():
        raise ValueError(f"incomplete SQL statement: {buffer.strip()[:60]}")


def connect(path: Path, *, timeout: float = 30.0) -> sqlite3.Connection:
    """Open (and migrate) the database. WAL lets readers work while one writer writes; the busy
    timeout makes concurrent writers wait instead of failing with 'database is locked'."""
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=timeout, isolation_level=None)
    conn.row_factory = sqlite3.Row
    conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
    _use_wal(conn, timeout)
    conn.execute("PRAGMA foreign_keys = ON")
    migrate(conn)
    return conn


def _use_wal(conn: sqlite3.Connection, timeout: float) -> None:
    """Switch the file to WAL (it stays so). The switch needs the file to itself and SQLite does
    not call the busy handler for it, so two processes opening a new database at the same
    moment get 'database is locked' at once: retry for up to `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) and "busy" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def migrate(conn: sqlite3.Connection) -> None:
    conn.execute("CREATE TABLE IF NOT EXISTS _migrations (name TEXT PRIMARY KEY, applied_at TEXT NOT NULL)")
    done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
    pending = [m for m in MIGRATIONS if m.__name__ not in done]
    if not pending:
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        done = {r[0] for r in conn.execute("SELECT name FROM _migrations")}
        for m in MIGRATIONS:
            if m.__name__ in done:
                continue
            m(conn)
            conn.execute("INSERT INTO _migrations VALUES (?, datetime('now'))", (m.__name__,))
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise


# Citizens' voice feedback awaiting review (broadcast/feedback/queue.py). One row per distinct
# recording (sha256); the machine transcript is never overwritten, a reviewer's correction
# sits beside it; `version` rises on every change (optimistic concurrency for the web page).
# The two tables are written once, as m002 made them: m004 rebuilds them from the same text
# ($NEXT the new tables' suffix, $STATUSES the statuses allowed, $CASE_COLUMNS the columns it
# adds). This text is m002's: a later change of the queue is a new migration, not an edit here.
QUEUE_STATUSES = "'new', 'in-review', 'resolved', 'dismissed'"
QUEUE_TABLES = """
        CREATE TABLE feedback_items$NEXT (
            id $ID,
            source_name TEXT NOT NULL,
            sha256 TEXT NOT NULL UNIQUE,
            stored_path TEXT NOT NULL,
            received_at TEXT NOT NULL,
            duration $FLOAT NOT NULL,
            language TEXT,
            transcript TEXT NOT NULL,
            segments TEXT NOT NULL DEFAULT '[]',
            corrected_transcript TEXT,
            announcement_id TEXT,
            area TEXT,
            status TEXT NOT NULL DEFAULT 'new' CHECK (status IN ($STATUSES)),
            reviewer TEXT,
            note TEXT,
            backend TEXT,
            model TEXT,
            created_at TEXT NOT NULL,
            updated_at TEXT NOT NULL,
            version INTEGER NOT NULL DEFAULT 1$CASE_COLUMNS
        );
        CREATE TABLE feedback_tags$NEXT (
            item_id $REF NOT NULL REFERENCES feedback_items$NEXT(id) ON DELETE CASCADE,
            tag TEXT NOT NULL,
            PRIMARY KEY (item_id, tag)
        );
        """
QUEUE_INDEXES = """
        CREATE INDEX feedback_items_status ON feedback_items(status, received_at);
        CREATE INDEX feedback_items_area ON feedback_items(area);
        CREATE INDEX feedback_items_announcement ON feedback_items(announcement_id);
        CREATE INDEX feedback_items_received ON feedback_items(received_at);
        CREATE INDEX feedback_tags_tag ON feedback_tags(tag);
        """


def queue_tables(words: dict[str, str], *, suffix: str = "", statuses: str = QUEUE_STATUSES,
                 case_columns: tuple[str, ...] = ()) -> str:
    """QUEUE_TABLES in a dialect (SQLITE_WORDS, pg.PG_WORDS): as m002 made them, or m004's."""
    columns = "".join(",\n            " + in_dialect(c, words) for c in case_columns)
    return in_dialect(QUEUE_TABLES, {**words, "NEXT": suffix, "STATUSES": statuses, "CASE_COLUMNS": columns})


@migration
def m002_feedback_queue(conn: sqlite3.Connection) -> None:
    run_script(conn, queue_tables(SQLITE_WORDS) + QUEUE_INDEXES)


# What went on air (broadcast/playout/asrun.py). Append-only and hash-chained like the audit
# log: one row per attempt to air an item, and for an item that starts playing two rows, a
# 'started' row and its closing row (aired / interrupted / failed) with the same `attempt`, so
# a player killed mid-item leaves a 'started' row that the next start closes as interrupted.
# Times are the commune's local time with its offset (planned_at, started_at, ended_at); `at`
# is when the row was written (UTC). `output` is shown without any password.
AS_RUN_LOG = """
        CREATE TABLE as_run_log (
            seq $ID,
            at TEXT NOT NULL,
            attempt TEXT NOT NULL,
            result TEXT NOT NULL
                CHECK (result IN ('started', 'aired', 'refused', 'interrupted', 'failed')),
            reason TEXT,
            day TEXT NOT NULL,
            area TEXT NOT NULL,
            slot TEXT,
            planned_at TEXT,
            started_at TEXT,
            ended_at TEXT,
            aired_seconds $FLOAT,
            file_seconds $FLOAT,
            file TEXT,
            sha256 TEXT,
            announcement TEXT,
            language TEXT,
            priority TEXT,
            approved_text_sha256 TEXT,
            approval_sha256 TEXT,
            approved_by TEXT,
            approved_at TEXT,
            output TEXT NOT NULL,
            output_key TEXT NOT NULL,
            started_by TEXT NOT NULL CHECK (started_by IN ('schedule', 'operator', 'emergency')),
            operator TEXT NOT NULL,
            detail TEXT NOT NULL DEFAULT '{}',
            prev_hash TEXT NOT NULL,
            entry_hash TEXT NOT NULL
        );
        CREATE INDEX as_run_log_day ON as_run_log(day, area, slot);
        CREATE INDEX as_run_log_attempt ON as_run_log(attempt);
        CREATE INDEX as_run_log_announcement ON as_run_log(announcement, area);
        """


@migration
def m003_as_run_log(conn: sqlite3.Connection) -> None:
    run_script(conn, in_dialect(AS_RUN_LOG, SQLITE_WORDS) + append_only("as_run_log"))


# Feedback as cases (broadcast/feedback/cases.py): the category and the unit that handles an
# item, its due date (working days from receipt), the reply (text, by whom, when), the
# citizen's contact, the announcement it seems to answer (suggested, for the reviewer to
# confirm), the group of near-duplicates it belongs to (the id of the group's first item), the
# voice reply made from the approved reply text, and the assignment history. Statuses become
# new → assigned → answered → closed, with dismissed kept: 'in-review' (a reviewer had taken the
# item) becomes 'assigned', 'resolved' becomes 'closed'. SQLite cannot change a CHECK constraint,
# so the queue is rebuilt: copied into the new shape (QUEUE_TABLES with the new statuses and
# CASE_COLUMNS), the old tables dropped, the new renamed (which also points feedback_tags'
# foreign key at the new table), the indexes made again.
QUEUE_COLUMNS = ("id", "source_name", "sha256", "stored_path", "received_at", "duration", "language",
                 "transcript", "segments", "corrected_transcript", "announcement_id", "area", "reviewer",
                 "note", "backend", "model", "created_at", "updated_at", "version")
CASE_COLUMNS = ("category TEXT", "unit TEXT", "due_date TEXT", "contact TEXT", "reply_text TEXT",
                "reply_by TEXT", "reply_at TEXT", "closed_at TEXT", "group_id $REF",
                "suggested_announcement TEXT", "suggestion_score $FLOAT", "reply_audio TEXT")
CASE_STATUSES = "'new', 'assigned', 'answered', 'closed', 'dismissed'"
CASE_STATUS_OF_QUEUE_STATUS = "CASE status WHEN 'in-review' THEN 'assigned' WHEN 'resolved' THEN 'closed' ELSE status END"
CLOSED_AT_OF_QUEUE_STATUS = "CASE WHEN status = 'resolved' THEN updated_at END"
# The new indexes and the assignment history, the same in both dialects.
FEEDBACK_CASES = """
        CREATE INDEX feedback_items_due ON feedback_items(due_date);
        CREATE INDEX feedback_items_unit ON feedback_items(unit);
        CREATE INDEX feedback_items_category ON feedback_items(category);
        CREATE INDEX feedback_items_group ON feedback_items(group_id);
        CREATE TABLE feedback_assignments (
            id $ID,
            item_id $REF NOT NULL REFERENCES feedback_items(id) ON DELETE CASCADE,
            at TEXT NOT NULL,
            actor TEXT NOT NULL,
            unit TEXT,
            category TEXT,
            due_date TEXT,
            note TEXT
        );
        CREATE INDEX feedback_assignments_item ON feedback_assignments(item_id, id);
        """


@migration
def m004_feedback_cases(conn: sqlite3.Connection) -> None:
    run_script(conn, queue_tables(SQLITE_WORDS, suffix="_next", statuses=CASE_STATUSES, case_columns=CASE_COLUMNS))
    columns = ", ".join(QUEUE_COLUMNS)
    conn.execute(f"INSERT INTO feedback_items_next ({columns}, status, closed_at)"
                 f" SELECT {columns}, {CASE_STATUS_OF_QUEUE_STATUS}, {CLOSED_AT_OF_QUEUE_STATUS}"
                 " FROM feedback_items")
    conn.execute("INSERT INTO feedback_tags_next (item_id, tag) SELECT item_id, tag FROM feedback_tags")
    conn.execute("DROP TABLE feedback_tags")
    conn.execute("DROP TABLE feedback_items")
    conn.execute("ALTER TABLE feedback_items_next RENAME TO feedback_items")
    conn.execute("ALTER TABLE feedback_tags_next RENAME TO feedback_tags")
    run_script(conn, QUEUE_INDEXES + in_dialect(FEEDBACK_CASES, SQLITE_WORDS))
    broken = conn.execute("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise sqlite3.IntegrityError(f"feedback queue rebuild left {len(broken)} dangling row(s)")
