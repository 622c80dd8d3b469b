"""Where the services are and who the caller is: options, then environment, then local defaults."""

from __future__ import annotations

import getpass
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from jingwu_platform.auth import Role, issue_token

from jingwu_cli.errors import EXIT_CREDENTIAL, CliError

DEFAULT_ROOMS_ADDR = "127.0.0.1:50051"
DEFAULT_PERSONNEL_ADDR = "127.0.0.1:50053"
DEFAULT_DISTRICT = "01"
# A token the tool issues itself from the local signing key lives only as long as one command needs.
LOCAL_TOKEN_TTL_S = 15 * 60
SECRET_FILE = Path(".data") / "auth-secret"


@dataclass(frozen=True)
class Credential:
    token: str
    # Where it came from, for error messages ("--token", "JINGWU_TOKEN", "JINGWU_AUTH_SECRET as cli:ann").
    source: str


@dataclass(frozen=True)
class Target:
    district: str
    rooms_addr: str
    personnel_addr: str
    credential: Credential


def find_secret_file(start: Path) -> Path | None:
    """``.data/auth-secret`` as written by ``make run``, in ``start`` or one of its parents."""
    for folder in (start, *start.parents):
        candidate = folder / SECRET_FILE
        if candidate.is_file():
            return candidate
    return None


@dataclass(frozen=True)
class SigningKey:
    """The district's local credential-signing key and where it was found (for messages)."""

    secret: str
    source: str  # "JINGWU_AUTH_SECRET" or the path of the .data/auth-secret file


def signing_key(env: Mapping[str, str] | None = None, cwd: Path | None = None) -> SigningKey | None:
    """JINGWU_AUTH_SECRET, else .data/auth-secret (``make run`` writes it) in ``cwd`` or a parent; None if
    neither exists. The tool never makes a key up."""
    environ = os.environ if env is None else env
    secret = environ.get("JINGWU_AUTH_SECRET", "").strip()
    if secret:
        return SigningKey(secret, "JINGWU_AUTH_SECRET")
    path = find_secret_file(cwd or Path.cwd())
    if path is None:
        return None
    secret = path.read_text(encoding="utf-8").strip()
    return SigningKey(secret, str(path)) if secret else None


def signing_secret(env: dict[str, str] | None = None, cwd: Path | None = None) -> str | None:
    """The district's local signing key: JINGWU_AUTH_SECRET, else .data/auth-secret; None if neither."""
    key = signing_key(env, cwd)
    return key.secret if key else None


def default_subject(env: Mapping[str, str] | None = None) -> str:
    """Whom a token the tool signs itself names: ``cli:<login name>``."""
    environ = os.environ if env is None else env
    return f"cli:{environ.get('USER') or _login_name()}"


def resolve_credential(
    district: str, token: str | None, env: dict[str, str] | None = None, cwd: Path | None = None
) -> Credential:
    """--token, else JINGWU_TOKEN, else a short-lived district_admin token signed with the local key
    (JINGWU_AUTH_SECRET or the .data/auth-secret file ``make run`` writes)."""
    environ = os.environ if env is None else env
    if token:
        return Credential(token, "--token")
    if environ.get("JINGWU_TOKEN"):
        return Credential(environ["JINGWU_TOKEN"], "JINGWU_TOKEN")
    subject = default_subject(environ)
    key = signing_key(environ, cwd)
    if key is None:
        raise CliError(
            "no credential: pass --token, set JINGWU_TOKEN, or set JINGWU_AUTH_SECRET "
            "(locally, `make run` writes .data/auth-secret)",
            EXIT_CREDENTIAL,
        )
    signed = issue_token(key.secret, subject, district, [Role.DISTRICT_ADMIN], ttl_s=LOCAL_TOKEN_TTL_S)
    return Credential(signed, f"{subject} (district_admin) signed with {key.source}")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
