"""The command line: `broadcast` and its command groups, one module per group.

`root` holds the group, the workspace option and the mapping of project errors to one-line
messages; each other module registers its commands on it."""

from broadcast.cli.root import cli, main

__all__ = ["cli", "main"]
