"""The master cache: masters keyed by the hash of everything that goes into them (the render
key), so an unchanged rerun renders nothing.

The cache's index (`<key>.json` beside the masters) names each master by its file name only: a
copied or moved workspace finds its own masters and never reads another workspace's. A damaged
or foreign index entry is not an error: the rendition is simply rendered again."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace
from pathlib import Path

from broadcast.core.config import Workspace
from broadcast.core.fsutil import atomic_write_bytes, sha256_file
from broadcast.mastering import PROFILES
from broadcast.media.encode import encoder_id
from broadcast.produce.models import Rendition, RenderResult
from broadcast.speech import speech_fingerprint

# Bump when the way a master is made changes, so cached masters are redone.
RENDER_VERSION = "2"   # 2: conditioning, AAC encode and verification in process (PyAV)


def render_key(ws: Workspace, r: Rendition, ident_fingerprint: str, profiles: list[str],
               phrases: dict[str, str] | None = None) -> str:
    """`phrases`: the fingerprints of the recorded opening / closing that frame the readings
    (left out of the key when there are none, so masters made without them keep their keys)."""
    if r.recording:
        speech_fp = f"recorded:{sha256_file(r.recording)}:{(r.reading or {}).get('audit_seq')}"
    else:
        speech_fp = speech_fingerprint(ws, r.language, r.text)
    ann = r.announcement
    material = {
        "render": RENDER_VERSION,
        "speech": speech_fp,
        "ident": ident_fingerprint,
        "readings": ann.readings,
        "attention": ann.priority == "emergency",
        "profiles": {p: asdict(PROFILES[p]) for p in profiles},
        # Nodes with different encoder builds must not share masters.
        "encoders": {p: encoder_id(PROFILES[p].codec) for p in profiles},
        "tags": [ann.title, r.language, ann.id, r.approval.sha256],
    }
    if phrases:
        material["phrases"] = dict(sorted(phrases.items()))
    return hashlib.sha256(json.dumps(material, sort_keys=True, default=str).encode()).hexdigest()


def masters_dir(ws: Workspace) -> Path:
    d = ws.cache_dir / "masters"
    d.mkdir(parents=True, exist_ok=True)
    return d


def cached(ws: Workspace, key: str, profiles: list[str]) -> RenderResult | None:
    """The cached masters of `key`, when the index is sound and every master still has its
    sha256; None otherwise (a damaged entry is simply rendered again)."""
    meta_path = masters_dir(ws) / f"{key}.json"
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        masters = {}
        for p, m in meta["masters"].items():
            name = str(m["cache"])
            if Path(name).name != name:      # an index of an older layout, or tampered: redo
                return None
            masters[p] = {**m, "cache": str(masters_dir(ws) / name)}
        result = RenderResult(meta["rendition_key"], masters, meta["speech"], meta["first_reading"], False)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    for p in profiles:
        m = result.masters.get(p)
        if m is None or not Path(m["cache"]).is_file() or sha256_file(m["cache"]) != m["sha256"]:
            return None
    return result


def write_cache_meta(ws: Workspace, key: str, result: RenderResult) -> None:
    """The master cache's record of a rendition (written last: it is what makes the masters count)."""
    stored = replace(result, masters={p: {**m, "cache": Path(m["cache"]).name} for p, m in result.masters.items()})
    atomic_write_bytes(masters_dir(ws) / f"{key}.json",
                       json.dumps(asdict(stored), ensure_ascii=False, indent=1).encode())
