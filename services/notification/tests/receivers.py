"""Real receivers the delivery tests send to: an HTTP webhook endpoint that verifies signatures with the
``standardwebhooks`` package (as a subscriber would) and dedupes on ``webhook-id``, an SMTP server
(aiosmtpd), and a group-robot gateway speaking the WeCom webhook API. Each listens on a free local port."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiohttp import web
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from standardwebhooks.webhooks import Webhook, WebhookVerificationError


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    verified: bool
    payload: Any = None


@dataclass
class WebhookReceiver:
    """``fail``: answer the first n requests 503. ``hold``: once a request is processed, wait this long
    before answering (a sender stopped meanwhile never sees the answer). Only verified requests count."""

    secret: str = ""
    fail: int = 0
    hold: float = 0.0
    port: int = field(default_factory=free_port)
    requests: list[Received] = field(default_factory=list)
    processed: list[str] = field(default_factory=list)  # webhook-ids, once each
    _runner: web.AppRunner | None = None
    _released: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/jingwu"

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = dict(request.headers)
        try:
            payload = Webhook(self.secret).verify(body, headers)
            verified = True
        except WebhookVerificationError:
            payload, verified = None, False
        self.requests.append(Received(headers, body, verified, payload))
        if not verified:
            return web.Response(status=401, text="bad signature")
        if len(self.requests) <= self.fail:
            return web.Response(status=503, text="busy")
        message_id = headers["webhook-id"]
        if message_id not in self.processed:  # Standard Webhooks: the id is the idempotency key
            self.processed.append(message_id)
        if self.hold:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._released.wait(), self.hold)
        return web.Response(status=204)

    def release(self) -> None:
        """Answer the held requests now (their sender may be gone)."""
        self._released.set()

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/hooks/jingwu", self._handle)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        self.release()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


class _Mailbox:
    def __init__(self) -> None:
        self.messages: list[tuple[Envelope, EmailMessage]] = []

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        mail = message_from_bytes(content, policy=policy.default)
        assert isinstance(mail, EmailMessage)  # the default policy parses into EmailMessage
        self.messages.append((envelope, mail))
        return "250 Message accepted for delivery"


class SmtpSink:
    """A real SMTP server (aiosmtpd) on a free port, keeping what it receives."""

    def __init__(self) -> None:
        self.port = free_port()
        self._mailbox = _Mailbox()
        self._controller = Controller(self._mailbox, hostname="127.0.0.1", port=self.port)

    @property
    def messages(self) -> list[tuple[Envelope, EmailMessage]]:
        return self._mailbox.messages

    def start(self) -> None:
        self._controller.start()

    def stop(self) -> None:
        self._controller.stop()


@dataclass
class GroupGateway:
    """The WeCom group-robot API: POST /cgi-bin/webhook/send?key=<key> → {"errcode": 0}."""

    port: int = field(default_factory=free_port)
    messages: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    keys: set[str] = field(default_factory=set)
    _runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def _send(self, request: web.Request) -> web.Response:
        key = request.query.get("key", "")
        if key not in self.keys:
            return web.json_response({"errcode": 93000, "errmsg": "invalid webhook url"})
        self.messages.append((key, json.loads(await request.read())))
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/cgi-bin/webhook/send", self._send)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
