"""Symbolic links out of the workspace: an input file in the workspace that is, or lies in a
folder that is, a link to somewhere outside it is refused unless broadcast.toml allows it with
`[paths] follow_symlinks = true`. Otherwise a link planted in announcements/ or translations/
would have any readable file on the machine read, approved or aired without anyone seeing it.

"The workspace" is the folder holding broadcast.toml and the folders `[paths]` names (a folder
configured elsewhere on purpose is part of it). Links that stay inside it are followed; a file
named on the command line that lies outside the workspace is read as given."""

from __future__ import annotations

import os
from pathlib import Path

from broadcast.core.config import Config
from broadcast.core.errors import BroadcastError

LINK_HINT = ("copy the file into the workspace instead of linking it, or allow links with "
             "`follow_symlinks = true` under [paths] in broadcast.toml")


class LinkOutside(BroadcastError):
    """An input reached through a symbolic link whose target lies outside the workspace."""


# id(config) -> (config, roots): a run checks hundreds of files against the same folders.
_ROOTS: dict[int, tuple[Config, tuple[list[Path], list[Path]]]] = {}


def _roots(config: Config) -> tuple[list[Path], list[Path]]:
    """(lexical and resolved, resolved) forms of the workspace folders."""
    cached = _ROOTS.get(id(config))
    if cached is not None and cached[0] is config:
        return cached[1]
    if config.root is None:
        roots: tuple[list[Path], list[Path]] = ([], [])
    else:
        root = Path(os.path.abspath(config.root))
        lexical = [root] + [Path(os.path.abspath(root / p)) for p in config.paths.values()]
        resolved = [p.resolve() for p in lexical]
        roots = (lexical + resolved, resolved)
    if len(_ROOTS) > 64:
        _ROOTS.clear()
    _ROOTS[id(config)] = (config, roots)
    return roots


def _inside(path: Path, roots: list[Path]) -> bool:
    return any(path == r or path.is_relative_to(r) for r in roots)


def outside_link(path: Path, config: Config) -> LinkOutside | None:
    """The error for `path` when it is reached through a link leading out of the workspace
    (the link named, with its target), or None when it may be read."""
    if config.follow_symlinks:
        return None
    lexical, resolved = _roots(config)
    where = Path(os.path.abspath(path))
    try:
        target = where.resolve()
    except (OSError, RuntimeError):          # a loop of links
        return LinkOutside("is a loop of symbolic links", path, hint=LINK_HINT)
    if target == where or not _inside(where, lexical) or _inside(target, resolved):
        return None
    # Name the first link on the way: the file itself or one of its folders.
    for candidate in [*reversed(where.parents), where]:
        if candidate != where and candidate.is_symlink() and _inside(candidate, lexical):
            return LinkOutside(f"lies in {candidate}, a symbolic link to {candidate.resolve()}, "
                               "outside the workspace", path, hint=LINK_HINT)
    return LinkOutside(f"is a symbolic link to {target}, outside the workspace", path, hint=LINK_HINT)


def refuse_outside_link(path: Path, config: Config) -> None:
    """Raise LinkOutside when `path` may not be read (see `outside_link`)."""
    problem = outside_link(path, config)
    if problem is not None:
        raise problem
