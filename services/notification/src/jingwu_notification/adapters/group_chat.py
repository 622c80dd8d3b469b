"""Messaging groups (R-NOT-4: resident WeChat/QQ groups) behind an HTTP API: the group-robot webhook of
WeCom (企业微信群机器人), the API that enterprise group chats expose to programs:

    POST <base_url>/cgi-bin/webhook/send?key=<group key>
    {"msgtype": "markdown", "markdown": {"content": "..."}}
    → {"errcode": 0, "errmsg": "ok"}

The group key is a contact point's ``group_key``. Another platform (a QQ bot, a DingTalk robot) is one
more ``MessageSender`` beside this one.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import aiohttp

from jingwu_notification.application.channels import DeliveryFailed
from jingwu_notification.domain.deliveries import Delivery

MAX_CONTENT = 4096  # the robot API's limit on markdown content, in bytes
# errcodes a retry may fix: system busy, the API's rate limit.
_RETRYABLE_ERRCODES = frozenset({-1, 45009})


def content(delivery: Delivery) -> str:
    text = f"**{delivery.subject}**\n{delivery.body}"
    encoded = text.encode()
    if len(encoded) <= MAX_CONTENT:
        return text
    return encoded[: MAX_CONTENT - 3].decode(errors="ignore") + "…"


class GroupChatSender:
    def __init__(self, base_url: str, timeout_s: float = 10.0) -> None:
        self._url = base_url.rstrip("/") + "/cgi-bin/webhook/send"
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
        body = {"msgtype": "markdown", "markdown": {"content": content(delivery)}}
        try:
            async with self._client().post(
                self._url, params={"key": delivery.address}, json=body
            ) as response:
                if response.status >= 500 or response.status == 429:
                    raise DeliveryFailed(f"group gateway HTTP {response.status}")
                if response.status != 200:
                    raise DeliveryFailed(f"group gateway HTTP {response.status}", retryable=False)
                answer: Any = await response.json(content_type=None)
        except (TimeoutError, aiohttp.ClientError, ValueError) as error:
            raise DeliveryFailed(f"group gateway unreachable: {type(error).__name__}: {error}") from error
        errcode = answer.get("errcode") if isinstance(answer, dict) else None
        if errcode != 0:
            message = answer.get("errmsg", "") if isinstance(answer, dict) else answer
            raise DeliveryFailed(
                f"group gateway errcode {errcode}: {message}", retryable=errcode in _RETRYABLE_ERRCODES
            )
