"""Shared fixtures: a real workspace on disk, and a writer for announcement files."""

from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from broadcast.cli.root import cli
from broadcast.core.config import load_workspace

def find_chromium() -> str:
    """Debian's chromium (or chromium-browser elsewhere) from PATH; $CHROMIUM overrides."""
    import os

    for name in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        found = name and shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium"     # scripts/setup installs it there; the launch error names it


CHROMIUM = find_chromium()

CONFIG = """\
[commune]
name = "Xã Chiềng Sinh"
station = "Đài truyền thanh xã Chiềng Sinh"
timezone = "Asia/Ho_Chi_Minh"
sender = "ubnd.chiengsinh@sonla.gov.vn"

[slots]
morning = "05:30"
evening = "17:00"

[areas.ly-xom]
name = "Bản Ly Xôm"
languages = ["vi", "blt"]
zalo_group = "Bản Ly Xôm"

[areas.men]
name = "Bản Mến"
languages = ["vi", "hmn"]
zalo_group = "Bản Mến"
"""

BODY = ("Ủy ban nhân dân xã Chiềng Sinh thông báo: ngày 15/12/2099, từ 7 giờ 30 phút, "
        "Trạm Y tế xã tổ chức tiêm chủng cho trẻ em dưới 5 tuổi. Xin cảm ơn.")


def announcement_text(ann_id: str = "tiem-chung", *, body: str = BODY, **fields) -> str:
    """Front matter + body; pass a field as None to leave it out."""
    front = {
        "id": ann_id,
        "title": "Lịch tiêm chủng",
        "priority": "normal",
        "areas": "[ly-xom, men]",
        "languages": "[vi]",
        "channels": "[loudspeaker, zalo]",
        "schedule": "\n  dates: [2099-12-14, 2099-12-15]\n  slots: [morning, evening]",
        "repeat": "2",
        "expires": "2099-12-31T00:00:00+07:00",
    }
    front.update(fields)
    lines = [f"{k}: {v}" for k, v in front.items() if v is not None]
    return "---\n" + "\n".join(lines) + "\n---\n" + textwrap.dedent(body).strip() + "\n"


class WorkspaceHelper:
    def __init__(self, root: Path) -> None:
        self.root = root

    @property
    def announcements(self) -> Path:
        return self.root / "announcements"

    def write(self, ann_id: str = "tiem-chung", *, name: str | None = None, **kw) -> Path:
        path = self.announcements / (name or f"{ann_id}.md")
        path.write_text(announcement_text(ann_id, **kw), encoding="utf-8")
        return path

    def load(self):
        return load_workspace(self.root)

    def run(self, *args: str, input: str | None = None):
        """Run the CLI in this workspace, as a user would."""
        return CliRunner().invoke(cli, ["--workspace", str(self.root), *args], input=input)


WORKSPACE_FOLDERS = ("announcements", "translations", "voices", "feedback/store", "output")


def make_workspace(root: Path, config: str = CONFIG, *, announcements: dict[str, str] | None = None) -> Path:
    """The one workspace bootstrap: the folders `broadcast init` makes, `config` as broadcast.toml,
    and announcement files ({id: text}, as `announcement_text` writes them). Returns root."""
    for sub in WORKSPACE_FOLDERS:
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "broadcast.toml").write_text(config, encoding="utf-8")
    for ann_id, text in (announcements or {}).items():
        (root / "announcements" / f"{ann_id}.md").write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def ws(tmp_path: Path) -> WorkspaceHelper:
    return WorkspaceHelper(make_workspace(tmp_path / "ws"))


def tone(seconds: float, freq: float = 440.0, amplitude: float = 0.3, rate: int = 16000, *,
         dbfs: float | None = None, phase: float = 0.0):
    """float32 samples of a sine: `amplitude` (or a level in `dbfs`, full scale = 0) at `freq` Hz."""
    import numpy as np

    level = amplitude if dbfs is None else 10 ** (dbfs / 20)
    t = np.arange(int(seconds * rate)) / rate
    return (level * np.sin(2 * np.pi * freq * t + phase)).astype(np.float32)


def speech_like(seconds: float, rate: int, seed: int = 7):
    """Reddish noise with a 4 Hz syllable envelope and pauses, peaking at 0.9: peaky, like speech."""
    import numpy as np
    from scipy.signal import lfilter

    n = int(seconds * rate)
    t = np.arange(n) / rate
    x = lfilter([1.0], [1.0, -0.95], np.random.default_rng(seed).standard_normal(n))
    x *= (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t)) ** 2 * (np.sin(2 * np.pi * 0.3 * t) > -0.3)
    return (0.9 * x / np.max(np.abs(x))).astype(np.float32)


def pcm16(samples):
    """16-bit PCM of float samples in [-1, 1] (clipped), as write_wav stores them; int16 passes as is."""
    import numpy as np

    samples = np.asarray(samples)
    if samples.dtype == np.int16:
        return samples.astype("<i2")
    return (np.clip(samples, -1, 1) * 32767).astype("<i2")


def write_wav(path: Path, samples, rate: int = 16000) -> Path:
    """16-bit WAV of float samples in [-1, 1] (or int16 PCM, written as is); a 2-D array
    (frames × channels) is written with that many channels."""
    import wave

    pcm = pcm16(samples)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1 if pcm.ndim == 1 else pcm.shape[1])
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes(pcm.tobytes())
    return path


def write_tone(path: Path, seconds: float, freq: float = 440.0, amplitude: float = 0.3, rate: int = 16000) -> Path:
    """A mono 16-bit WAV of `tone(seconds, freq, amplitude, rate)`."""
    return write_wav(path, tone(seconds, freq, amplitude, rate), rate)


def speak(path: Path, text: str, voice: str = "vi", speed: int = 130) -> Path:
    """A WAV of espeak-ng reading `text` (a citizen's call or a speaker's take, stood in for)."""
    import subprocess

    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-w", str(path), text], check=True)
    return path


def spoken_clips(folder: Path, texts: dict[str, str], **kw) -> Path:
    """`folder` with one `speak`-made NAME.wav per {name: text}."""
    for name, text in texts.items():
        speak(folder / f"{name}.wav", text, **kw)
    return folder


def read_wav(path: Path):
    """(float32 samples, rate) of a 16-bit mono WAV."""
    import wave

    import numpy as np

    with wave.open(str(path)) as w:
        return np.frombuffer(w.readframes(w.getnframes()), "<i2").astype(np.float32) / 32768, w.getframerate()
