"""The installable app's own files are served by zhifa: no outside asset is named anywhere."""

import io
import json
import re

import pytest
from PIL import Image

pytestmark = pytest.mark.django_db


def test_manifest_worker_and_icons_are_served_by_zhifa(client, make_staff):
    manifest = client.get("/field/manifest.webmanifest")
    assert manifest["Content-Type"].startswith("application/manifest+json")
    data = json.loads(manifest.content)
    assert data["start_url"] == "/field/" and data["display"] == "standalone"
    for icon in data["icons"]:
        assert client.get(icon["src"]).status_code == 200
    assert Image.open(io.BytesIO(client.get("/field/icon-192.png").content)).size == (192, 192)
    worker = client.get("/field/sw.js")
    assert worker["Content-Type"].startswith("text/javascript") and worker["Service-Worker-Allowed"] == "/field/"
    script = client.get("/field/app.js").content.decode()
    client.force_login(make_staff("officer", certificate=True))
    page = client.get("/field/").content.decode()
    assert 'rel="manifest"' in page and "csrf-token" in page
    for text in (page, script, worker.content.decode()):
        assert not re.search(r"""(src|href)=["']?https?://""", text) and "//cdn" not in text
