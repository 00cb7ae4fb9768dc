"""SMS for reminders, through a pluggable backend like Django's mail backends.

`ZHIFA_SMS_BACKEND` names the class: the default logs each message (no gateway is assumed); an
agency's gateway is a subclass of `BaseBackend` whose `send_messages` posts to it; `LocmemBackend`
keeps messages in `outbox` for tests.
"""

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

log = logging.getLogger("zhifa.sms")

MOBILE = re.compile(r"^1[3-9]\d{9}$")
outbox: list["Message"] = []


@dataclass(frozen=True)
class Message:
    to: str
    text: str


def mobile_number(phone: str) -> str | None:
    """A mainland mobile number from a staff member's phone field (spaces, dashes and +86 allowed)."""
    digits = re.sub(r"[\s\-()]", "", phone or "")
    digits = digits.removeprefix("+86").removeprefix("0086")
    return digits if MOBILE.match(digits) else None


def bounded(text: str) -> str:
    """A message cut to the configured length (long messages cost several SMS and get cut anyway)."""
    limit = settings.ZHIFA_SMS_MAX_CHARS
    return text if len(text) <= limit else text[: limit - 1] + "…"


class BaseBackend:
    def send_messages(self, messages: list[Message]) -> int:
        raise NotImplementedError


class LoggingBackend(BaseBackend):
    """The default: each message is written to the log, nothing leaves the server."""

    def send_messages(self, messages):
        for m in messages:
            log.info("SMS to %s: %s", m.to, m.text)
        return len(messages)


class LocmemBackend(BaseBackend):
    """For tests: messages are kept in `supervision.sms.outbox`."""

    def send_messages(self, messages):
        outbox.extend(messages)
        return len(messages)


def send_sms(phone: str, text: str) -> bool:
    """Send one message to a staff member's phone; False (and a log line) when it is no mobile."""
    number = mobile_number(phone)
    if number is None:
        log.warning("SMS not sent: %r is not a mobile number", phone)
        return False
    backend = import_string(settings.ZHIFA_SMS_BACKEND)()
    return backend.send_messages([Message(number, bounded(text))]) == 1
