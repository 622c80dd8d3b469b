"""``jingwu auth token``: a bearer token for people's own tools (grpcurl, scripts), signed locally.

Only the local signing key signs it (JINGWU_AUTH_SECRET, else the ``.data/auth-secret`` file ``make run``
writes, found as every other command finds it); without one the command refuses, it never makes a key
up. The token goes to stdout alone, so ``TOKEN=$(jingwu auth token ...)`` works; what it names (subject,
roles, district, expiry) and a grpcurl line go to stderr.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import TextIO

from jingwu_platform.auth import Role, issue_token, verify_token

from jingwu_cli.config import DEFAULT_ROOMS_ADDR, default_subject, signing_key
from jingwu_cli.errors import EXIT_CREDENTIAL, EXIT_OK, CliError

DEFAULT_TTL = "1h"
# A hand-made token is for a working session, not a service account: a week at most.
MAX_TTL_S = 7 * 24 * 3600
_TTL = re.compile(r"^(\d+)([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}
# District civil time (China, UTC+8; jingwu_platform.calendar): expiry is shown as people there read it.
_DISTRICT_TIME = timezone(timedelta(hours=8), "UTC+08:00")
_ROLES = sorted(r.value for r in Role)


def role_type(text: str) -> Role:
    try:
        return Role(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid role {text!r}: expected one of {', '.join(_ROLES)}"
        ) from None


def ttl_type(text: str) -> int:
    """``90s``, ``15m``, ``1h``, ``2d`` → seconds (1 s .. 7 d)."""
    match = _TTL.match(text.strip())
    seconds = int(match.group(1)) * _UNIT_S[match.group(2)] if match else 0
    if not match or seconds <= 0:
        raise argparse.ArgumentTypeError(f"invalid ttl {text!r}: expected a duration like 30m, 1h or 2d")
    if seconds > MAX_TTL_S:
        raise argparse.ArgumentTypeError(f"invalid ttl {text!r}: at most 7d (issue a new token when it ends)")
    return seconds


def subject_type(text: str) -> str:
    if not text.strip() or len(text) > 128 or any(c.isspace() for c in text):
        raise argparse.ArgumentTypeError(
            f"invalid subject {text!r}: expected a name without spaces, e.g. cli:ann (at most 128 characters)"
        )
    return text


def add_parser(
    areas: argparse._SubParsersAction[argparse.ArgumentParser], district: Callable[[str], str]
) -> None:
    """``auth token`` under the tool's areas; ``district`` is the tool's district option type."""
    auth = areas.add_parser("auth", help="credentials for your own tools", description="credentials")
    commands = auth.add_subparsers(dest="command", metavar="COMMAND", required=True)
    text = "print a bearer token signed with the local key (for grpcurl, scripts)"
    cmd = commands.add_parser(
        "token",
        help=text,
        description=text + ". The token alone goes to stdout; what it names goes to stderr.",
        epilog="e.g.  TOKEN=$(jingwu auth token --role officer --district 01)",
    )
    cmd.add_argument(
        "--role",
        dest="roles",
        action="append",
        type=role_type,
        required=True,
        metavar="ROLE",
        help=f"a role the token carries (repeat for more): {', '.join(_ROLES)}",
    )
    cmd.add_argument("--district", type=district, required=True, metavar="DD", help="district code, e.g. 01")
    cmd.add_argument("--subject", type=subject_type, help="whom the token names (default cli:$USER)")
    cmd.add_argument("--ttl", type=ttl_type, default=ttl_type(DEFAULT_TTL), help="lifetime (default 1h)")
    cmd.set_defaults(local_command=token_command)


@dataclass(frozen=True)
class IssuedToken:
    token: str
    subject: str
    district: str
    roles: tuple[str, ...]
    expires_at: datetime
    signed_with: str


def issue(roles: list[Role], district: str, subject: str | None, ttl_s: int) -> IssuedToken:
    """Sign a token with the local key; CliError (exit 3) when there is none."""
    key = signing_key()
    if key is None:
        raise CliError(
            "no local signing key: set JINGWU_AUTH_SECRET, or run `make run` once (it writes "
            ".data/auth-secret); jingwu never invents one. For a cluster, ask its operators for a token.",
            EXIT_CREDENTIAL,
        )
    who = subject or default_subject()
    token = issue_token(key.secret, who, district, set(roles), ttl_s=ttl_s)
    caller = verify_token(key.secret, token)  # what a service will read from it
    return IssuedToken(
        token=token,
        subject=caller.subject,
        district=caller.district,
        roles=tuple(sorted(r.value for r in caller.roles)),
        expires_at=datetime.fromtimestamp(_expiry(token), UTC),
        signed_with=key.source,
    )


def _expiry(token: str) -> int:
    """The ``exp`` claim of a token this module just signed (and verified)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return int(claims["exp"])


def describe(issued: IssuedToken, ttl_s: int, rooms_addr: str) -> list[str]:
    local = issued.expires_at.astimezone(_DISTRICT_TIME)
    roles = " ".join(f"--role {r}" for r in issued.roles)
    return [
        f"token for {issued.subject} · roles {', '.join(issued.roles)} · district {issued.district}",
        f"expires {local:%Y-%m-%d %H:%M:%S} UTC+08:00 (in {_duration(ttl_s)}); "
        f"signed with {issued.signed_with}",
        "use it, e.g.:",
        f"  TOKEN=$(jingwu auth token {roles} --district {issued.district})",
        f"  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{}}' {rooms_addr} "
        "jingwu.rooms.v1.RoomRegistryService/ListStations",
    ]


def _duration(seconds: int) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def token_command(args: argparse.Namespace, out: TextIO | None = None, err: TextIO | None = None) -> int:
    issued = issue(list(args.roles), args.district, args.subject, args.ttl)
    (out or sys.stdout).write(issued.token + "\n")
    rooms_addr = getattr(args, "rooms_addr", None) or os.environ.get("JINGWU_ROOMS_ADDR", DEFAULT_ROOMS_ADDR)
    (err or sys.stderr).write("".join(line + "\n" for line in describe(issued, args.ttl, rooms_addr)))
    return EXIT_OK
