"""The console's JSON API against the real services: an action the role lacks is refused by the
service, and the console shows that refusal as it is; a write the role has goes through; bad input
comes back with the service's own field violations."""

from __future__ import annotations

from collections.abc import AsyncIterator

import aiohttp
import pytest
from jingwu_platform.auth import Role
from jingwu_platform.testing import wait_until

from .conftest import ConsoleStack

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(900)]
WRITE = {"X-Jingwu-Console": "1"}


async def _session(stack: ConsoleStack, *roles: Role, subject: str) -> aiohttp.ClientSession:
    http = aiohttp.ClientSession(base_url=stack.url, cookie_jar=aiohttp.CookieJar(unsafe=True))
    answer = await http.post(
        "/api/session", json={"token": stack.token(*roles, subject=subject)}, headers=WRITE
    )
    assert answer.status == 200, await answer.text()
    return http


@pytest.fixture
async def officer(console_stack: ConsoleStack) -> AsyncIterator[aiohttp.ClientSession]:
    http = await _session(console_stack, Role.OFFICER, subject="api-officer")
    yield http
    await http.close()


async def test_an_officer_is_not_offered_and_is_refused_computing_assessments(
    officer: aiohttp.ClientSession,
) -> None:
    me = await (await officer.get("/api/session")).json()
    assert me["capabilities"]["compute_assessments"] is False
    refused = await officer.post(
        "/api/assessment/compute", json={"kind": "monthly", "year": 2026, "index": 1}, headers=WRITE
    )
    assert refused.status == 403
    error = (await refused.json())["error"]
    assert error["service"] == "personnel" and error["code"] == "PERMISSION_DENIED"
    assert "supervisor" in error["details"]  # the service names the roles the RPC needs (ADR 0013)


async def test_a_leader_may_evaluate_staffing_through_the_console(console_stack: ConsoleStack) -> None:
    http = await _session(console_stack, Role.SUPERVISOR, subject="api-leader")
    try:
        answer = await http.post("/api/staffing/evaluate", json={}, headers=WRITE)
        assert answer.status == 200, await answer.text()
        assert (await answer.json())["open_count"] > 0  # the demo district has open findings
    finally:
        await http.close()


async def test_the_services_field_violations_come_back_per_field(officer: aiohttp.ClientSession) -> None:
    answer = await officer.get("/api/rooms/not-a-room/rota-gaps?start=2026-03-10&end=2026-03-01")
    assert answer.status in (400, 404)
    error = (await answer.json())["error"]
    assert error["service"] == "rooms"
    if answer.status == 400:
        assert error["violations"], error


async def test_unmasking_residents_needs_a_purpose_and_a_role_that_may(
    officer: aiohttp.ClientSession,
) -> None:
    no_purpose = await officer.get("/api/residents?zone_code=03110101&unmask=1")
    assert no_purpose.status == 400
    assert [v["field"] for v in (await no_purpose.json())["error"]["violations"]] == ["purpose"]
    refused = await officer.get("/api/residents?zone_code=03110101&unmask=1&purpose=test")
    assert refused.status == 403  # population refuses an officer without pii_reader (R-POP-6)
    assert (await refused.json())["error"]["service"] == "population"


async def test_views_of_a_stopped_service_answer_503_naming_it(
    officer: aiohttp.ClientSession, console_stack: ConsoleStack
) -> None:
    async def states() -> dict[str, str]:
        status = await (await officer.get("/api/status")).json()
        return {s["service"]: s["status"] for s in status["services"]}

    assert set((await states()).values()) == {"serving"}
    assert (await officer.get("/api/patrol/evidence")).status == 200
    for service in ("patrol", "telemetry"):
        console_stack.stop(service)
    try:
        for path, service in (("/api/patrol/evidence", "patrol"), ("/api/devices", "telemetry")):
            answer = await officer.get(path)
            assert answer.status == 503, path
            error = (await answer.json())["error"]
            assert error["service"] == service and error["unavailable"] is True
        now = await states()
        assert now["patrol"] == now["telemetry"] == "unavailable"
        assert now["rooms"] == now["personnel"] == now["notification"] == now["population"] == "serving"
    finally:
        for service in ("telemetry", "patrol"):
            console_stack.restart(service)

    # Answered again once the console's channel has reconnected (its reconnect backoff is capped at
    # 2 s: jingwu_platform.grpc_client), not only after a restart of the console.
    async def devices_answered() -> bool:
        return (await officer.get("/api/devices")).status == 200

    await wait_until(devices_answered, timeout_s=15, what="telemetry answered again through the console")
