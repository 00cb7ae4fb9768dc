import pytest

from archive.tests.conftest import desk  # noqa: F401 — the archive's ready-made agency


@pytest.fixture
def sms_outbox(settings):
    """SMS sent during the test, kept by the test backend (like Django's mail outbox)."""
    from supervision import sms

    settings.ZHIFA_SMS_BACKEND = "supervision.sms.LocmemBackend"
    sms.outbox.clear()
    yield sms.outbox
    sms.outbox.clear()
