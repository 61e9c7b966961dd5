"""`broadcast play --install-service`: the systemd unit that keeps `play --follow` running.

Printed by default; written (and enabled with systemctl, when systemd runs here) only when
asked. SIGTERM is systemd's stop signal: the player ends the item on air as interrupted, logs
it and exits; Restart=always brings it back after a crash, and the as-run log tells it what
already aired."""

from __future__ import annotations

import getpass
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import atomic_write_text

UNIT_NAME = "broadcast-play.service"
SYSTEM_UNIT_DIR = Path("/etc/systemd/system")

UNIT = """\
# {unit_name}: airs every slot of {commune} at its time (broadcast play --follow).
# Made by `broadcast play --install-service`; the as-run log is in {db}.
[Unit]
Description=broadcast playout for {commune}
Wants=network-online.target
After=network-online.target sound.target

[Service]
Type=simple
User={user}
SupplementaryGroups=audio
WorkingDirectory={root}
Environment=BROADCAST_HOME={root}
Environment=PYTHONUNBUFFERED=1
ExecStart={exec_start}
# SIGTERM ends the item on air as interrupted and logs it; give it time to close the output.
KillSignal=SIGTERM
TimeoutStopSec=30
Restart=always
RestartSec=5

[Install]
WantedBy=multi-user.target
"""


def unit_text(ws: Workspace, follow_args: list[str], *, user: str | None = None) -> str:
    exec_start = shlex.join([sys.executable, "-m", "broadcast", "--workspace", str(ws.root), "play", "--follow",
                             *follow_args])
    return UNIT.format(unit_name=UNIT_NAME, commune=ws.config.commune_name, db=ws.db_path, root=ws.root,
                       user=user or os.environ.get("SUDO_USER") or getpass.getuser(), exec_start=exec_start)


def install(ws: Workspace, text: str, unit_dir: Path = SYSTEM_UNIT_DIR) -> tuple[Path, list[str]]:
    """Write the unit; enable and start it when systemd runs here and the unit went to its
    folder. Returns (the unit's path, what was done or what is left to do)."""
    path = Path(unit_dir) / UNIT_NAME
    try:
        atomic_write_text(path, text)
    except PermissionError:
        raise BroadcastError(f"cannot write the unit into {unit_dir}", path,
                             hint="run as root (sudo), or pass --unit-dir to write it elsewhere") from None
    steps: list[str] = []
    systemctl = shutil.which("systemctl")
    running = Path("/run/systemd/system").is_dir()
    if Path(unit_dir) == SYSTEM_UNIT_DIR and systemctl and running:
        for args in (["daemon-reload"], ["enable", "--now", UNIT_NAME]):
            proc = subprocess.run([systemctl, *args], capture_output=True, text=True)
            if proc.returncode != 0:
                raise BroadcastError(f"systemctl {' '.join(args)} failed: {proc.stderr.strip()}", path,
                                     hint="see `journalctl -u broadcast-play`")
            steps.append(f"systemctl {' '.join(args)}")
    else:
        steps.append(f"not started here: copy it to {SYSTEM_UNIT_DIR}/ on the playout PC, then "
                     f"`systemctl daemon-reload && systemctl enable --now {UNIT_NAME}`")
    return path, steps
