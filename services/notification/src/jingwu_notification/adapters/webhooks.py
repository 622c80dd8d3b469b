"""Signed webhooks, the Standard Webhooks convention (https://www.standardwebhooks.com/):

    webhook-id:        the delivery's message id, the same on every attempt and replay (receivers dedupe)
    webhook-timestamp: the attempt's time, integer seconds since the epoch (receivers refuse stale ones)
    webhook-signature: "v1," + base64(HMAC-SHA256(secret, f"{id}.{timestamp}.{body}"))

The secret is ``whsec_`` + base64 of the key bytes. Any Standard Webhooks library verifies these; the
tests verify them with the ``standardwebhooks`` package.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import datetime

import aiohttp

from jingwu_notification.application.channels import DeliveryFailed
from jingwu_notification.domain.deliveries import Delivery

SECRET_PREFIX = "whsec_"  # noqa: S105 - the format's prefix, not a secret
USER_AGENT = "jingwu-notification/1 (+standard-webhooks)"
# Statuses a retry may fix: the receiver is busy, throttling or broken for now. Any other non-2xx is the
# receiver refusing this message (a dead letter at once; replay after the receiver is fixed).
RETRYABLE_STATUSES = frozenset({408, 409, 425, 429, 500, 502, 503, 504})


def secret_key(secret: str) -> bytes:
    value = secret.removeprefix(SECRET_PREFIX)
    return base64.b64decode(value + "=" * (-len(value) % 4))


def signature(secret: str, message_id: str, timestamp: int, body: str) -> str:
    signed = f"{message_id}.{timestamp}.{body}".encode()
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def signed_headers(secret: str, message_id: str, at: datetime, body: str) -> dict[str, str]:
    timestamp = int(at.timestamp())
    return {
        "content-type": "application/json",
        "user-agent": USER_AGENT,
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": signature(secret, message_id, timestamp, body),
    }


class WebhookSender:
    """POSTs a delivery's body, signed, to its URL. Redirects are not followed (a subscriber's URL is
    where the district agreed to send its data)."""

    def __init__(self, timeout_s: float = 10.0) -> None:
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def send(self, delivery: Delivery, *, secret: str, at: datetime) -> None:
        if not secret:
            raise DeliveryFailed("the subscription has no signing secret", retryable=False)
        headers = signed_headers(secret, delivery.message_id, at, delivery.body)
        try:
            async with self._client().post(
                delivery.address, data=delivery.body.encode(), headers=headers, allow_redirects=False
            ) as response:
                if 200 <= response.status < 300:
                    return
                text = (await response.text())[:200]
                raise DeliveryFailed(
                    f"HTTP {response.status} from the receiver: {text}",
                    retryable=response.status in RETRYABLE_STATUSES,
                )
        except (TimeoutError, aiohttp.ClientError) as error:
            raise DeliveryFailed(f"receiver unreachable: {type(error).__name__}: {error}") from error
