"""The review web page on a PostgreSQL queue (`[feedback] database_url`): the real `broadcast
review serve` process against the test PostgreSQL server, driven over HTTP like
test_review_web.py drives it over SQLite."""

from __future__ import annotations

import pytest

from broadcast.core import pg
from broadcast.feedback import queue
from conftest import CONFIG, make_workspace, write_tone
from pgserver import pg_server  # noqa: F401  (a fixture)
from test_review_web import Server, add, csrf_of, http_login


@pytest.fixture(scope="module")
def pg_site(tmp_path_factory, pg_server):  # noqa: F811
    url = pg_server.new_database()
    root = make_workspace(tmp_path_factory.mktemp("review-pg") / "ws",
                          CONFIG + f'\n[feedback]\ndatabase_url = "{url}"\n')
    write_tone(root / "feedback" / "store" / "voice.wav", 4.0)
    conn = pg.connect(url)
    ids = {key: add(conn, key, text, received=f"2099-12-20T0{n}:00:00+07:00", audio="store/voice.wav", area="men")
           for n, (key, text) in enumerate([("bridge", "Cầu treo bản Ly Xôm bị hỏng"),
                                            ("power", "Nhà văn hóa mất điện từ hôm qua")])}
    conn.close()
    server = Server(root)
    yield {"root": root, "server": server, "ids": ids, "url": url}
    server.stop()


def test_queue_item_and_save_on_postgresql(pg_site):
    client = http_login(pg_site, "Chị Lan")
    page = client.get("/")
    assert page.status_code == 200 and "Cầu treo bản Ly Xôm bị hỏng" in page.text
    item_id = pg_site["ids"]["bridge"]
    assert "Cầu treo" in client.get(f"/items/{item_id}").text
    assert client.get(f"/items/{item_id}/audio").status_code == 200
    conn = pg.connect(pg_site["url"])
    before = queue.get_item(conn, item_id)
    form = {"version": str(before.version), "corrected_transcript": "Cầu treo bản Ly Xôm bị gãy", "tags": "cầu",
            "status": "assigned", "note": "", "reviewer": "Chị Lan", "action": "save"}
    ok = client.post(f"/items/{item_id}", data={**form, "csrf": csrf_of(client)})
    assert ok.status_code == 303 and ok.headers["location"] == f"/items/{item_id}?saved=1"
    after = queue.get_item(conn, item_id)
    assert (after.version, after.corrected_transcript, after.tags, after.status) == (
        before.version + 1, "Cầu treo bản Ly Xôm bị gãy", ["cầu"], "assigned")
    # A second reviewer who opened the item before that save is told, and overwrites nothing.
    stale = client.post(f"/items/{item_id}", data={**form, "corrected_transcript": "ghi đè", "csrf": csrf_of(client)})
    assert stale.status_code == 409
    assert queue.get_item(conn, item_id).corrected_transcript == "Cầu treo bản Ly Xôm bị gãy"
    assert "bridge.wav" in client.get("/export.csv").text
