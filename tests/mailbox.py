"""A real SMTP server for the tests (aiosmtpd) that keeps what it receives; the `smtp` fixture in conftest.py
configures it as the app's mail server."""

import re
from dataclasses import dataclass
from email import message_from_bytes, policy

BASE_URL = "http://127.0.0.1:5000"  # the default, so the links in files and mails are known
LINK = re.compile(re.escape(BASE_URL) + r"/r/([A-Za-z0-9_-]+)")


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: object

    @property
    def text(self) -> str:
        return self.message.get_body(("plain",)).get_content()

    @property
    def html(self) -> str:
        return self.message.get_body(("html",)).get_content()

    @property
    def code(self) -> str:
        (code,) = set(LINK.findall(self.text))
        return code


class Collector:
    """An SMTP server's handler that keeps every message; it can refuse an address or stop accepting
    messages after a number of them (a temporary failure, as a full queue gives)."""

    def __init__(self):
        self.mails: list[Mail] = []
        self.refuse: set[str] = set()
        self.accept_only: int | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.accept_only is not None and len(self.mails) >= self.accept_only:
            return "451 4.3.0 queue full, try again later"
        self.mails.append(Mail(envelope.mail_from, list(envelope.rcpt_tos),
                               message_from_bytes(envelope.content, policy=policy.default)))
        return "250 Message accepted for delivery"
