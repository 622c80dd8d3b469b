"""A sample subscriber for other police systems (R-NOT-5): receives Jingwu's signed webhooks, verifies
each with a Standard Webhooks library, skips repeats by ``webhook-id``, and decodes the payload with the
published protos.

Run it beside a Jingwu checkout (the protos' Python code comes from `make gen`; any language's protoc
output works the same way):

    pip install standardwebhooks==1.1.0 aiohttp protobuf     # or use the Jingwu venv
    JINGWU_WEBHOOK_SECRET=whsec_... python docs/sample_subscriber.py --port 8088

and grant it a subscription (a district administrator's credential, `jingwu auth token`):

    grpcurl -H "authorization: Bearer $TOKEN" -d '{"subscriber": "command-centre",
      "system": "SUBSCRIBER_SYSTEM_COMMAND_CENTRE",
      "filter": {"event_types": ["jingwu.rooms.v1.*"], "districts": ["06"]},
      "webhook": {"url": "http://127.0.0.1:8088/jingwu"}, "request_id": "cc-1"}' \
      127.0.0.1:50055 jingwu.notification.v1.SubscriptionService/CreateSubscription

The response's ``webhook_secret`` is the secret above. What arrives (docs/asyncapi.yaml, WebhookEvent):
a JSON body ``{"type", "timestamp", "data"}`` whose ``data`` is a CloudEvents 1.0 envelope with the
protobuf payload in ``data_base64``. Answer 2xx quickly: anything else is retried with backoff, and after
the retry budget the delivery becomes a dead letter the district can replay.
"""

from __future__ import annotations

import argparse
import base64
import importlib
import json
import logging
import os
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from google.protobuf.message import Message
from standardwebhooks.webhooks import Webhook, WebhookVerificationError

log = logging.getLogger("sample-subscriber")


@dataclass(frozen=True)
class ReceivedEvent:
    message_id: str  # webhook-id: the same on every retry and replay of one delivery
    event_id: str  # ce_id: the same for every subscriber of one event
    event_type: str  # ce_type, e.g. jingwu.rooms.v1.RoomOpened
    district: str
    key: str  # the Kafka key: the aggregate id
    payload: Message


def message_class(event_type: str) -> type[Message]:
    """``jingwu.rooms.v1.RoomOpened`` → the generated class in ``jingwu.rooms.v1.events_pb2``."""
    package, _, name = event_type.rpartition(".")
    if not package.startswith("jingwu."):
        raise ValueError(f"not a Jingwu event type: {event_type!r}")
    for module_name in (f"{package}.events_pb2", *_other_modules(package)):
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        cls = getattr(module, name, None)
        if isinstance(cls, type) and issubclass(cls, Message):
            return cls
    raise ValueError(f"no published proto defines {event_type}: regenerate the protos (make gen)")


def _other_modules(package: str) -> list[str]:
    domain = package.split(".")[1]
    return [f"{package}.{domain}_pb2"]  # e.g. telemetry's LocationFix lives in telemetry.proto


def verify_and_decode(secret: str, headers: dict[str, str], body: bytes) -> ReceivedEvent:
    """Verify the Standard Webhooks signature (raises WebhookVerificationError), then decode."""
    document: dict[str, Any] = Webhook(secret).verify(body, headers)
    envelope = document["data"]
    if envelope.get("datacontenttype") != "application/x-protobuf":
        raise ValueError(f"unexpected content type {envelope.get('datacontenttype')!r}")
    cls = message_class(envelope["type"])
    payload = cls.FromString(base64.b64decode(envelope["data_base64"]))
    return ReceivedEvent(
        message_id=headers.get("webhook-id") or headers.get("Webhook-Id", ""),
        event_id=envelope["id"],
        event_type=envelope["type"],
        district=envelope["district"],
        key=envelope.get("subject", ""),
        payload=payload,
    )


class Subscriber:
    """The endpoint: verify, dedupe on webhook-id (remembering the last ``memory`` ids), hand on."""

    def __init__(self, secret: str, memory: int = 10_000) -> None:
        self._secret = secret
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._memory = memory
        self.received: list[ReceivedEvent] = []

    def handle(self, event: ReceivedEvent) -> None:
        """Your system's work goes here. This sample logs and keeps the event."""
        self.received.append(event)
        log.info("%s %s key=%s district=%s", event.event_type, event.event_id, event.key, event.district)

    async def endpoint(self, request: web.Request) -> web.Response:
        body = await request.read()
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            event = verify_and_decode(self._secret, headers, body)
        except WebhookVerificationError:
            return web.Response(status=401, text="signature does not verify")
        except (ValueError, KeyError, json.JSONDecodeError) as error:
            return web.Response(status=400, text=str(error))
        if event.message_id in self._seen:
            return web.Response(status=204)  # a retry of something already handled
        self.handle(event)
        self._seen[event.message_id] = None
        while len(self._seen) > self._memory:
            self._seen.popitem(last=False)
        return web.Response(status=204)

    def app(self, path: str = "/jingwu") -> web.Application:
        application = web.Application()
        application.router.add_post(path, self.endpoint)
        return application


def main() -> None:
    parser = argparse.ArgumentParser(description="Receive Jingwu's signed webhooks.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8088)
    args = parser.parse_args()
    secret = os.environ.get("JINGWU_WEBHOOK_SECRET", "")
    if not secret.startswith("whsec_"):
        raise SystemExit("set JINGWU_WEBHOOK_SECRET to the subscription's webhook_secret (whsec_…)")
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    web.run_app(Subscriber(secret).app(), host=args.host, port=args.port)


if __name__ == "__main__":
    main()
