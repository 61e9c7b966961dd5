"""Render one rendition: speech (synthesised, or a human reading) → programme → one master per
profile, written into the master cache. Runs in a worker process or on a Ray worker."""

from __future__ import annotations

from pathlib import Path

from broadcast.core.config import Workspace, load_workspace
from broadcast.mastering import PROFILES, build_programme, master
from broadcast.produce.cache import cached, masters_dir, write_cache_meta
from broadcast.produce.models import Rendition, RenderResult
from broadcast.speech import load_recording, synthesize

# The recorded phrases around the readings (the ident comes before them, in every file).
FRAMING = ("opening", "closing")


def render_rendition(root: str, r: Rendition, key: str, profiles: list[str], phrases: dict) -> RenderResult:
    """Speech → programme → one master per profile, into the master cache. Runs in a worker.
    `phrases`: name ("ident", "opening", "closing") → (samples, rate, details), those that air."""
    return render_in(load_workspace(root), r, key, profiles, phrases)


def render_in(ws: Workspace, r: Rendition, key: str, profiles: list[str], phrases: dict) -> RenderResult:
    """render_rendition on a loaded workspace (a Ray worker renders into a scratch workspace
    of its own and sends the masters back by value: broadcast.produce.remote)."""
    hit = cached(ws, key, profiles)
    if hit is not None:
        return hit
    ann = r.announcement
    if r.recording:
        speech = load_recording(Path(r.recording), r.text, r.language, details=r.reading)
    else:
        speech = synthesize(ws, r.language, r.text)
    tags = {"title": ann.title, "language": r.language, "announcement_id": ann.id,
            "approval_sha256": r.approval.sha256, "artist": ws.config.station}
    masters: dict[str, dict] = {}
    first_reading: list[float] = []
    ident = phrases.get("ident")
    frame = {name: phrases[name][:2] for name in FRAMING if name in phrases}
    for profile in profiles:
        loudspeaker = profile == "loudspeaker"
        programme = build_programme(
            speech.samples, speech.sample_rate,
            ident=ident[0] if ident else None, ident_rate=ident[1] if ident else None,
            # The loudspeaker programme repeats the reading and sounds the attention signal;
            # a Zalo voice note is listened to on a phone, once, without the siren.
            readings=ann.readings if loudspeaker else 1,
            attention=loudspeaker and ann.priority == "emergency",
            # The recorded opening and closing frame the readings on both channels, as the
            # ident does: the Zalo voice note is the same announcement from the same station.
            **frame,
        )
        dest = masters_dir(ws) / f"{key}-{profile}{PROFILES[profile].extension}"
        mastered = master(programme, profile, dest, tags=tags)
        masters[profile] = {
            "cache": str(dest), "sha256": mastered.sha256, "size": mastered.size,
            "duration": round(mastered.duration, 3), "integrated_lufs": round(mastered.integrated_lufs, 2),
            "true_peak_dbtp": round(mastered.true_peak_dbtp, 2),
            "first_reading": [round(x, 3) for x in programme.first_reading],
        }
        if loudspeaker or not first_reading:
            first_reading = [round(x, 3) for x in programme.first_reading]
    speech_meta = {"engine": speech.engine, "voice": speech.voice, "engine_version": speech.engine_version,
                   "fallbacks": list(speech.fallbacks), "warnings": list(getattr(speech, "warnings", ()))}
    if frame:     # who read the opening / closing, who accepted it (the manifest names them)
        speech_meta["phrases"] = {name: {**(phrases[name][2] or {}), "duration": round(
            len(phrases[name][0]) / phrases[name][1], 3)} for name in frame}
    result = RenderResult(r.key, masters, speech_meta, first_reading, True)
    write_cache_meta(ws, key, result)
    return result
