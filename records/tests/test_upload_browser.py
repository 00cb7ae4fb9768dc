"""The upload page in a real headless Chromium: a file goes up in pieces, the connection drops in
the middle, the page resumes from the offset the server confirmed, and the record is filed."""

import hashlib
import os
import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_upload_survives_a_dropped_connection(browser, live_server, tmp_path):
    from org.tests.factories import PASSWORD, AgencyFactory, SectionFactory, StaffFactory
    from records.models import Record, Upload

    agency = AgencyFactory()
    section = SectionFactory(agency=agency, name="执法监察一大队")
    officer = StaffFactory(agency=agency, section=section, roles=("officer",))
    clip = tmp_path / "现场检查录像.mp4"
    clip.write_bytes(os.urandom(20 * 2**20 + 12345))  # three pieces of 8 MiB; not playable, still evidence
    expected = hashlib.sha256(clip.read_bytes()).hexdigest()

    page = browser.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", officer.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/$"))

    pieces = {"sent": 0, "dropped": 0}

    def drop_the_second_piece(route):
        if route.request.method == "PATCH":
            pieces["sent"] += 1
            if pieces["sent"] == 2 and not pieces["dropped"]:
                pieces["dropped"] += 1
                route.abort("connectionreset")
                return
        route.continue_()

    page.route(re.compile(r".*/api/v1/uploads/.*"), drop_the_second_piece)
    page.goto(f"{live_server.url}/records/upload/")
    page.set_input_files("#file", str(clip))
    page.fill("#title", "东兴化工现场检查录像")
    page.click("#go")
    page.wait_for_url(re.compile(r".*/records/\d+/$"), timeout=90_000)

    body = page.content()
    assert "东兴化工现场检查录像" in body and expected in body
    assert pieces["dropped"] == 1 and pieces["sent"] >= 4  # three pieces plus the one sent again
    record = Record.objects.get()
    version = record.versions.get()
    assert version.sha256 == expected and version.size == clip.stat().st_size and version.readable is False
    assert Upload.objects.get().received == version.size
    page.close()
