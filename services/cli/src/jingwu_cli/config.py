"""Where the services are and who the caller is: options, then environment, then local defaults."""

from __future__ import annotations

import getpass
import os
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


def signing_secret(env: dict[str, str] | None = None, cwd: Path | None = None) -> str | None:
    """The district's local signing key: JINGWU_AUTH_SECRET, else .data/auth-secret; None if neither."""
    environ = os.environ if env is None else env
    secret = environ.get("JINGWU_AUTH_SECRET", "").strip()
    if secret:
        return secret
    path = find_secret_file(cwd or Path.cwd())
    return path.read_text(encoding="utf-8").strip() if path else None


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
    user = environ.get("USER") or _login_name()
    subject = f"cli:{user}"
    secret = environ.get("JINGWU_AUTH_SECRET", "").strip()
    source = "JINGWU_AUTH_SECRET"
    if not secret:
        path = find_secret_file(cwd or Path.cwd())
        if path is None:
            raise CliError(
                "no credential: pass --token, set JINGWU_TOKEN, or set JINGWU_AUTH_SECRET "
                "(locally, `make run` writes .data/auth-secret)",
                EXIT_CREDENTIAL,
            )
        secret = path.read_text(encoding="utf-8").strip()
        source = str(path)
    signed = issue_token(secret, subject, district, [Role.DISTRICT_ADMIN], ttl_s=LOCAL_TOKEN_TTL_S)
    return Credential(signed, f"{subject} (district_admin) signed with {source}")


def _login_name() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"
