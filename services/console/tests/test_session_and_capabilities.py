"""Sign-in with the district credential, the session cookie, the write header, and the actions the page
offers each role — checked against the services' own declared rules (ACCESS)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import jwt
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from jingwu_console import capabilities
from jingwu_console.app import build_app
from jingwu_console.session import COOKIE, SignInRefused, open_session
from jingwu_console.settings import ConsoleSettings
from jingwu_platform.auth import Caller, Role, issue_token
from pydantic import SecretStr

SECRET = "console-unit-test-secret-0123456789"
WRITE = {"X-Jingwu-Console": "1"}


def test_a_credential_of_the_district_opens_a_session() -> None:
    token = issue_token(SECRET, "ann", "03", [Role.OFFICER, Role.PII_READER], ttl_s=600)
    session = open_session(SECRET, "03", f"Bearer {token}")
    assert session.caller.subject == "ann" and session.caller.roles == {Role.OFFICER, Role.PII_READER}
    assert abs(session.expires_at - (time.time() + 600)) < 5


@pytest.mark.parametrize(
    ("token", "status", "says"),
    [
        (lambda: "", 400, "请输入凭证"),
        (lambda: "not-a-jwt", 401, "凭证无效"),
        (
            lambda: issue_token("another-key-another-key-another-key", "ann", "03", [Role.OFFICER]),
            401,
            "凭证无效",
        ),
        (lambda: issue_token(SECRET, "ann", "03", [Role.OFFICER], ttl_s=-10), 401, "过期"),
        (lambda: issue_token(SECRET, "ann", "04", [Role.OFFICER]), 403, "04分局"),
    ],
)
def test_sign_in_is_refused_with_a_reason(token: object, status: int, says: str) -> None:
    with pytest.raises(SignInRefused) as refused:
        open_session(SECRET, "03", token())  # type: ignore[operator]
    assert refused.value.status == status
    assert says in refused.value.message


def test_the_page_offers_actions_by_role() -> None:
    officer = Caller("o", "03", frozenset({Role.OFFICER}))
    leader = Caller("l", "03", frozenset({Role.SUPERVISOR}))
    auditor = Caller("a", "03", frozenset({Role.AUDITOR}))
    assert capabilities.capabilities(officer)["compute_assessments"] is False
    assert capabilities.capabilities(officer)["answer_matter"] is True
    assert capabilities.capabilities(leader)["compute_assessments"] is True
    assert capabilities.capabilities(leader)["read_audit"] is False
    assert capabilities.capabilities(auditor)["read_audit"] is True
    assert not capabilities.sees_personal_data(officer)
    assert capabilities.sees_personal_data(Caller("p", "03", frozenset({Role.PII_READER})))


def _declared_rules() -> dict[str, frozenset[Role] | None]:
    """Rules of the services whose servicer modules exist, by gRPC method path."""
    rules: dict[str, frozenset[Role] | None] = {}
    from jingwu_notification.entrypoints.grpc_api import ACCESS as NOTIFICATION
    from jingwu_personnel.entrypoints.grpc_api import ACCESS as PERSONNEL
    from jingwu_rooms.entrypoints.grpc_api import ACCESS as ROOMS

    policies = [ROOMS, PERSONNEL, NOTIFICATION]
    for module in ("jingwu_patrol.entrypoints.grpc_api", "jingwu_population.entrypoints.grpc_api"):
        try:
            policies.append(__import__(module, fromlist=["ACCESS"]).ACCESS)
        except ImportError:  # not built yet; checked once it is
            continue
    for policy in policies:
        rules.update({path: access.roles for path, access in policy.by_path().items()})
    return rules


def test_every_offered_action_names_the_roles_its_service_allows() -> None:
    rules = _declared_rules()
    checked = [a for a in capabilities.ACTIONS if a.rpc in rules]
    assert {a.service for a in checked} >= {"personnel", "notification"}
    for action in checked:
        assert rules[action.rpc] == action.roles, action.name


# --- the HTTP side: cookie, write header, 401 ------------------------------------------------------


@pytest.fixture
async def console(tmp_path: Path) -> AsyncIterator[TestClient[web.Request, web.Application]]:
    settings = ConsoleSettings(
        district="03",
        auth_secret=SecretStr(SECRET),
        console_static_dir=tmp_path,  # not built: the page says how to build it
        kafka_bootstrap="",
        rooms_addr="127.0.0.1:9",
    )
    # unsafe=True: the test server is an IP address, where aiohttp's jar keeps no cookies by default.
    async with TestClient(
        TestServer(build_app(settings)), cookie_jar=aiohttp.CookieJar(unsafe=True)
    ) as client:
        yield client


async def test_signing_in_sets_an_httponly_strict_cookie_and_signing_out_clears_it(
    console: TestClient[web.Request, web.Application],
) -> None:
    token = issue_token(SECRET, "ann", "03", [Role.SUPERVISOR], ttl_s=900)
    answer = await console.post("/api/session", headers=WRITE, json={"token": token})
    assert answer.status == 200
    me = await answer.json()
    assert (
        me["subject"] == "ann" and me["roles"] == ["supervisor"] and me["capabilities"]["compute_assessments"]
    )
    cookie = answer.cookies[COOKIE]
    assert cookie["httponly"] and cookie["samesite"] == "Strict" and cookie["path"] == "/"
    assert 800 < int(cookie["max-age"]) <= 900
    assert jwt.decode(cookie.value, SECRET, algorithms=["HS256"], issuer="jingwu")["sub"] == "ann"

    assert (await console.get("/api/session")).status == 200
    out = await console.delete("/api/session", headers=WRITE)
    assert out.status == 200
    assert (await console.get("/api/session")).status == 401


async def test_the_api_needs_a_session_and_writes_need_the_console_header(
    console: TestClient[web.Request, web.Application],
) -> None:
    anonymous = await console.get("/api/rooms")
    assert anonymous.status == 401 and (await anonymous.json())["error"]["code"] == "UNAUTHENTICATED"
    token = issue_token(SECRET, "ann", "03", [Role.SUPERVISOR])
    await console.post("/api/session", headers=WRITE, json={"token": token})
    forged = await console.post("/api/staffing/evaluate", json={})
    assert forged.status == 403 and (await forged.json())["error"]["code"] == "CSRF"
    # Signing in is a write too: a page of another site cannot sign a person in with its credential.
    console.session.cookie_jar.clear()
    assert (await console.post("/api/session", json={"token": token})).status == 403


async def test_a_service_that_does_not_answer_is_named_in_the_error(
    console: TestClient[web.Request, web.Application],
) -> None:
    await console.post(
        "/api/session", headers=WRITE, json={"token": issue_token(SECRET, "ann", "03", [Role.OFFICER])}
    )
    answer = await console.get("/api/map/zones")
    assert answer.status == 503
    error = (await answer.json())["error"]
    assert error["service"] == "rooms" and error["unavailable"] is True
    assert error["service_label"] in error["message"]


async def test_bad_query_parameters_get_one_violation_each(
    console: TestClient[web.Request, web.Application],
) -> None:
    await console.post(
        "/api/session", headers=WRITE, json={"token": issue_token(SECRET, "ann", "03", [Role.OFFICER])}
    )
    answer = await console.get("/api/map/houses?bbox=1,2,3")
    assert answer.status == 400
    assert [v["field"] for v in (await answer.json())["error"]["violations"]] == ["bbox"]
    answer = await console.get("/api/tracks?device_id=d1&date=2026-13-01")
    assert [v["field"] for v in (await answer.json())["error"]["violations"]] == ["date"]


async def test_an_unbuilt_front_end_says_how_to_build_it_and_pages_carry_a_strict_csp(
    console: TestClient[web.Request, web.Application],
) -> None:
    page = await console.get("/")
    assert page.status == 503 and "jingwu-console build" in await page.text()
    csp = page.headers["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "connect-src 'self'" in csp  # nothing from outside: offline
