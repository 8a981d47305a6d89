"""Sending messages to patients. The console sender is the default: it records and logs what would be sent.

A clinic plugs in its own e-mail or SMS gateway by implementing services.ports.MessageSender.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from uuid import uuid4

log = logging.getLogger("ketaflow.messages")


@dataclass(frozen=True, slots=True)
class SentMessage:
    id: str
    to: str
    subject: str
    body: str


def mask_address(address: str) -> str:
    """Enough to recognise, not enough to identify: logs never carry a full address.

    >>> mask_address("ana.rivera@example.org"), mask_address("+1 555 0101")
    ('a***@example.org', '***0101')
    """
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return "***" + address[-4:]


class ConsoleSender:
    """Keeps every message in memory (for the demo and tests) and logs a masked line for each."""

    name = "console"

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.outbox: list[SentMessage] = []

    def send(self, to: str, subject: str, body: str) -> str:
        message = SentMessage(uuid4().hex, to, subject, body)
        with self._lock:
            self.outbox.append(message)
        log.info("console sender: message %s to %s (%d characters)", message.id, mask_address(to), len(body))
        return message.id
