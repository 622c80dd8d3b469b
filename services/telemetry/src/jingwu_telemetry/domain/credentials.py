"""Auth codes (R-TEL-2): issued on a terminal's registration (0x8100) or a handheld's provisioning,
checked on authentication (0x0102), revoked on logout (0x0003).

A code is derived, not stored: ``HMAC-SHA256(key, district/device/generation)``, so a repeated
registration answers the same code, a logout revokes it by moving the device to the next generation,
and the store holds only the code's SHA-256 (which the city gateways get too, to check handheld
credentials without a call per fix). Codes carry 96 bits, so a plain SHA-256 suffices to store them:
there is nothing to brute-force from the hash (docs/adr, telemetry credentials).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass


def fingerprint(code: str) -> str:
    """Hex SHA-256 of an auth code, as stored and as published to the gateways."""
    return hashlib.sha256(code.encode()).hexdigest()


def matches(code: str, stored_fingerprint: str) -> bool:
    return bool(stored_fingerprint) and hmac.compare_digest(fingerprint(code), stored_fingerprint)


@dataclass(frozen=True)
class AuthCodes:
    """Derives auth codes from a per-district key (``key`` must stay secret: whoever holds it can
    compute every device's code)."""

    key: bytes
    district: str

    def code(self, device_id: str, generation: int) -> str:
        message = f"jingwu-telemetry-auth/{self.district}/{device_id}/{generation}".encode()
        digest = hmac.new(self.key, message, hashlib.sha256).digest()
        return base64.b32encode(digest[:12]).decode().rstrip("=")  # 96 bits, 20 characters
