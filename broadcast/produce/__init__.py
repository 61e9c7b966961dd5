"""Produce a day: plan → render (with the master cache) → package each channel → manifest.

Modules: `pipeline` (the run), `plan`, `cache` (the master cache and render key), `render` (one
rendition), `workers` (local processes or Ray: `remote`), `output` (placing files), one
packager per channel (`loudspeaker`, `zalo`, `cap`) and the run sheets (`rundown`), `manifest`
and `checkmarks` (the formats of manifest.json and check.json), `verify`, `lock`, `status`."""

from broadcast.produce.lock import ProduceLock, ProduceLocked
from broadcast.produce.manifest import MANIFEST_NAME, ManifestError, read_manifest
from broadcast.produce.models import Missing, ProduceReport, Rendition, RenderResult
from broadcast.produce.pipeline import produce
from broadcast.produce.plan import slot_moment, today
from broadcast.produce.verify import verify

__all__ = ["MANIFEST_NAME", "ManifestError", "Missing", "ProduceLock", "ProduceLocked", "ProduceReport",
           "Rendition", "RenderResult", "produce", "read_manifest", "slot_moment", "today", "verify"]
