import pytest
from django.conf import settings


@pytest.fixture
def agency(db):
    from org.tests.factories import AgencyFactory

    return AgencyFactory()


@pytest.fixture
def section(agency):
    from org.tests.factories import SectionFactory

    return SectionFactory(agency=agency, name="执法监察一大队")


@pytest.fixture
def make_staff(agency, section):
    """make_staff("officer", "section_chief", certificate=True) → a logged-in-able member of staff."""

    from org.tests.factories import staff_maker

    return staff_maker(agency, section)


@pytest.fixture
def login(client):
    from org.tests.factories import PASSWORD

    def do(staff):
        assert client.login(username=staff.username, password=PASSWORD)
        return client

    return do


def pytest_configure(config):
    if not config.pluginmanager.hasplugin("django"):
        return  # run without Django (pure modules: -p no:django)
    # Tests create many accounts; the production hasher is deliberately slow.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _data_dir(request, tmp_path_factory):
    """Each test that touches Django gets its own data folder and blob store."""
    if "settings" not in request.fixturenames and not request.config.pluginmanager.hasplugin("django"):
        yield
        return
    settings_fixture = request.getfixturevalue("settings")
    data = tmp_path_factory.mktemp("data")
    settings_fixture.DATA_DIR = data
    settings_fixture.ZHIFA_BLOB_STORE = f"file://{data}/blobs"
    yield data


@pytest.fixture(scope="module")
def browser():
    """A headless Chromium (Debian's, installed by tools/chromium.py) driven by Playwright."""
    import os
    import sys
    from pathlib import Path

    from playwright.sync_api import sync_playwright

    sys.path.insert(0, str(Path(__file__).resolve().parent / "tools"))
    import chromium

    executable = chromium.ensure()
    # Playwright's sync API keeps an event loop in this thread; the ORM calls of the test are plain
    # synchronous calls, so Django's guard against async contexts is lifted for the module.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=chromium.LAUNCH_ARGS)
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous
