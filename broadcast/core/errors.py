"""One project error type: it carries the file and the reason, and is turned into a
user message only at the edge (the CLI)."""

from __future__ import annotations

import errno
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Problem:
    """One thing wrong with one input file."""

    path: Path | str | None
    message: str
    line: int | None = None
    field: str | None = None
    hint: str | None = None

    def __str__(self) -> str:
        """`file:line: field: message — hint`, the parts that are known."""
        out = ""
        if self.path is not None:
            out = str(self.path) + (f":{self.line}" if self.line is not None else "") + ": "
        if self.field:
            out += f"{self.field}: "
        out += self.message
        if self.hint:
            out += f" — {self.hint}"
        return out


class BroadcastError(Exception):
    """A failure the user can act on: which file, what is wrong, how to fix it."""

    def __init__(
        self,
        message: str,
        path: Path | str | None = None,
        *,
        line: int | None = None,
        field: str | None = None,
        hint: str | None = None,
        problems: list[Problem] | None = None,
    ) -> None:
        self.problem = Problem(path, message, line=line, field=field, hint=hint)
        self.problems = problems or [self.problem]
        super().__init__(str(self.problem))

    @property
    def path(self):
        return self.problem.path

    @property
    def reason(self) -> str:
        return self.problem.message


class InvalidAnnouncement(BroadcastError):
    """An announcement file that fails validation; `problems` lists every issue found."""

    def __init__(self, path: Path | str, problems: list[Problem]) -> None:
        first = problems[0]
        super().__init__(first.message, path, line=first.line, field=first.field, hint=first.hint, problems=problems)


class NotApproved(BroadcastError):
    """Content that has no approval matching its exact text."""


class WorkspaceError(BroadcastError):
    """No workspace, or a broken broadcast.toml."""


# What to do about an operating-system error, by errno: the user's next step.
OS_ERROR_HINTS = {
    errno.ENOSPC: "the disk is full: free some space (old output/<date> folders, state/cache) and run again; "
                  "what was already in place has not been changed",
    errno.EDQUOT: "the disk quota is used up: free some space and run again",
    errno.EACCES: "permission denied: check the owner and mode of the file or folder (ls -l); "
                  "a file marked immutable (lsattr shows 'i') needs `chattr -i`",
    errno.EPERM: "not permitted: check the owner of the file, and `lsattr` for the immutable flag (`chattr -i`)",
    errno.EROFS: "the file system is read-only: remount it read-write, or use a workspace on another disk",
    errno.EIO: "input/output error: the disk may be failing; copy the workspace to another disk and run "
               "`broadcast verify` there",
    errno.ENOENT: "it does not exist: check the path",
    errno.ENOTDIR: "a part of the path is a file, not a folder: check the path",
    errno.EISDIR: "that is a folder, not a file: check the path",
}


def os_error_hint(exc: OSError) -> str:
    return OS_ERROR_HINTS.get(exc.errno, "check the file and the disk, then run again")


def from_os_error(exc: OSError, what: str) -> BroadcastError:
    """An OSError met while doing `what`, as a project error naming the file and the fix."""
    return BroadcastError(f"{what}: {exc.strerror or exc}", exc.filename, hint=os_error_hint(exc))
