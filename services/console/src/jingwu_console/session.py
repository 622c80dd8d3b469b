"""Sign-in with the district credential, kept in a cookie, checked on every request.

The credential is the HS256 JWT every service verifies (``jingwu auth token`` prints one). Signing in
verifies it with the district's secret and refuses another district's; the token then lives in an
HttpOnly, SameSite=Strict cookie until it expires, and the console forwards it on each gRPC call, so
the services' own declared rules decide what the user may do (docs/adr: the console's sessions).
Nothing is stored on the server: any replica can serve any request.

Writes must carry the ``X-Jingwu-Console`` header, which a page of another site cannot add to a
cross-site request without a preflight the console never answers (with SameSite=Strict, a second
guard against cross-site request forgery).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import jwt
from aiohttp import web
from jingwu_platform.auth import Caller, InvalidCredential, verify_token

COOKIE = "jingwu_console"
WRITE_HEADER = "X-Jingwu-Console"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Session:
    """A signed-in user: who, and the credential the console forwards for them."""

    caller: Caller
    token: str
    expires_at: int

    def describe(self) -> dict[str, object]:
        return {
            "subject": self.caller.subject,
            "district": self.caller.district,
            "roles": sorted(r.value for r in self.caller.roles),
            "expires_at": self.expires_at,
        }


class SignInRefused(Exception):
    """Why a credential was not accepted (shown to the person signing in)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def open_session(secret: str, district: str, token: str) -> Session:
    """The session of ``token``, or SignInRefused: malformed, expired, wrong key, other district."""
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    if not token:
        raise SignInRefused(400, "请输入凭证（jingwu auth token 打印的令牌）")
    try:
        caller = verify_token(secret, token)
    except InvalidCredential as refused:
        raise SignInRefused(401, f"凭证无效或已过期：{refused}") from refused
    if caller.district != district:
        raise SignInRefused(403, f"该凭证属于{caller.district}分局，本控制台服务于{district}分局")
    expires_at = int(jwt.decode(token, options={"verify_signature": False}).get("exp", 0))
    return Session(caller=caller, token=token, expires_at=expires_at)


def session_of(request: web.Request, secret: str, district: str) -> Session | None:
    """The request's session from its cookie, or None (absent, expired, tampered with)."""
    token = request.cookies.get(COOKIE, "")
    if not token:
        return None
    try:
        return open_session(secret, district, token)
    except SignInRefused:
        return None


def set_cookie(response: web.StreamResponse, session: Session, *, secure: bool) -> None:
    max_age = max(0, session.expires_at - int(time.time()))
    response.set_cookie(
        COOKIE,
        session.token,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Strict",
        secure=secure,
    )


def clear_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(COOKIE, path="/")


def write_allowed(request: web.Request) -> bool:
    """A state-changing request must come from the console's own script (see the module doc)."""
    return request.method in SAFE_METHODS or request.headers.get(WRITE_HEADER) == "1"
