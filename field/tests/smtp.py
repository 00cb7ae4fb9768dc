"""A real SMTP server on 127.0.0.1 for the 电子送达 tests (aiosmtpd, in its own thread): it accepts,
or answers RCPT TO with the reply it is told (550, 451, …); or nothing listens on the port at all."""

import socket

import pytest


class MailServer:
    """The server's handler: `answer` None accepts the recipient, else it is the reply to RCPT TO.
    `received` holds (recipients, the DATA bytes) of each message accepted."""

    def __init__(self, port: int):
        self.port = port
        self.answer: str | None = None
        self.received: list[tuple[list[str], bytes]] = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.answer:
            return self.answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.received.append((list(envelope.rcpt_tos), envelope.original_content))
        return "250 2.0.0 Message accepted for delivery"


def _free_port() -> socket.socket:
    """A port of this machine bound and not listening: a connection to it is refused."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    return sock


@pytest.fixture
def mail_server(settings):
    """Django's SMTP backend pointed at a real local SMTP server (started with `start()`; until then
    the port is bound but nothing listens, so the connection is refused)."""
    from aiosmtpd.controller import Controller

    holder = _free_port()
    port = holder.getsockname()[1]
    handler = MailServer(port)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 10
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    controllers = []

    def start():
        holder.close()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)

    handler.start = start
    yield handler
    for controller in controllers:
        controller.stop()
    holder.close()
