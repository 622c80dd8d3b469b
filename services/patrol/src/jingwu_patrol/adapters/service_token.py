"""The credential patrol calls other Jingwu services with: itself, Role.SERVICE, in its district,
re-issued before it expires."""

from __future__ import annotations

import time

from jingwu_platform.auth import Role, issue_token

TOKEN_TTL_S = 3600
SUBJECT = "system:patrol"


class ServiceToken:
    def __init__(self, secret: str, district: str, subject: str = SUBJECT) -> None:
        self._secret = secret
        self._district = district
        self.subject = subject
        self._token = ""
        self._expires = 0.0

    def metadata(self) -> tuple[tuple[str, str], ...]:
        now = time.time()
        if self._expires - now < 300:
            self._token = issue_token(
                self._secret, self.subject, self._district, [Role.SERVICE], ttl_s=TOKEN_TTL_S
            )
            self._expires = now + TOKEN_TTL_S
        return (("authorization", f"Bearer {self._token}"),)
