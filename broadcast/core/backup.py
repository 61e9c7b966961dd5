"""Consistent copies of the workspace database, and putting one back.

A copy is made with SQLite's online backup API (consistent while others write) into a temp
file beside the target, checked, then renamed into place. A restore checks the copy (a SQLite
database whose audit log's hash chain is intact), refuses one that lacks entries the current
database holds (unless forced), keeps the current file in state/backups/, and records the
restore in the audit log."""

from __future__ import annotations

import os
import shutil
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from broadcast.core import audit, db
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import sha256_file


class BackupError(BroadcastError):
    """A copy that cannot be made, read or put back."""


@dataclass(frozen=True)
class CopyInfo:
    entries: int
    head: tuple[int, str] | None

    @property
    def head_code(self) -> str | None:
        return audit.anchor_code(self.head[1], self.head[0]) if self.head else None


def inspect(path: Path) -> CopyInfo:
    """What a database file holds; BackupError when it is not a sound broadcast database."""
    try:
        with closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as conn:
            conn.row_factory = sqlite3.Row
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "audit_log" not in tables:
                raise BackupError("not a broadcast database (no audit log in it)", path,
                                  hint="give a file made with `broadcast backup`")
            broken = audit.verify_chain(conn)
            if broken:
                raise BackupError(f"its audit log is damaged (entry #{broken[0]} does not match its hash)", path,
                                  hint="use another copy")
            entries = conn.execute("SELECT count(*) FROM audit_log").fetchone()[0]
            return CopyInfo(int(entries), audit.head(conn))
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"not a readable SQLite database: {exc}", path,
                          hint="give a file made with `broadcast backup`") from None


def _copy(src: Path, dest: Path) -> None:
    """SQLite backup API from src into a temp file beside dest, then renamed into place."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.{os.getpid()}.tmp")
    try:
        with closing(sqlite3.connect(f"file:{src}?mode=ro", uri=True)) as source, \
                closing(sqlite3.connect(str(tmp))) as target:
            source.backup(target)
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)


def backup(db_path: Path, dest: Path) -> CopyInfo:
    if not db_path.is_file():
        raise BackupError("there is no database to back up yet", db_path,
                          hint="it is made by the first `broadcast approve`")
    with closing(db.connect(db_path)):   # migrated and in WAL: the copy is of a current schema
        pass
    if dest.resolve() == db_path.resolve():
        raise BackupError("the copy would overwrite the database itself", dest, hint="give another file name")
    _copy(db_path, dest)
    return inspect(dest)


def restore(db_path: Path, source: Path, *, force: bool, actor: str) -> tuple[CopyInfo, Path | None]:
    """Put `source` back as the database; returns what it holds and where the old file went."""
    info = inspect(source)
    current: CopyInfo | None = None
    if db_path.is_file():
        try:
            current = inspect(db_path)
        except BackupError:
            current = None                 # damaged: replacing it is the point
    if current is not None and current.head is not None and not force:
        with closing(sqlite3.connect(f"file:{source}?mode=ro", uri=True)) as conn:
            if not audit.holds(conn, *current.head):
                lost = current.head[0] - (info.head[0] if info.head else 0)
                raise BackupError(
                    f"the copy ends at entry {info.head_code or '(empty)'} but the database holds entries up to "
                    f"{current.head_code}: restoring it would lose {max(lost, 1)} or more entries", source,
                    hint="use a newer copy, or --force if those entries are known to be lost anyway")
    kept = None
    if db_path.exists():
        stamp = datetime.now(timezone.utc).strftime("%Y%m%d-%H%M%S")
        kept = db_path.parent / "backups" / f"replaced-{stamp}.db"
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(db_path, kept)
    for suffix in ("-wal", "-shm"):
        Path(str(db_path) + suffix).unlink(missing_ok=True)
    _copy(source, db_path)
    head_file = Path(str(db_path) + ".head")
    head_file.unlink(missing_ok=True)      # the restored log is the log now: its head starts again
    with closing(db.connect(db_path)) as conn:
        if info.head:
            audit.remember_head(conn, *info.head)
        audit.append(conn, actor=actor, action="restore", subject=source.name, sha256=sha256_file(source),
                     detail={"entries": info.entries, "replaced": str(kept) if kept else None})
    return inspect(db_path), kept
