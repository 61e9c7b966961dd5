"""The id rule of the workspace's names: announcements, areas, slots, units, categories."""

from __future__ import annotations

import re

ID_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
