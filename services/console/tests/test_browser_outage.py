"""A service stopped: its views show a banner naming it, and the other views keep working."""

from __future__ import annotations

from pathlib import Path

import pytest
from jingwu_platform.auth import Role

from .browser import Browser
from .conftest import ConsoleStack
from .test_browser_console import map_drawn, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(600)]
IDLE = "!document.querySelector('main [aria-busy=\"true\"]')"


async def test_a_stopped_service_shows_a_banner_and_the_rest_keeps_working(
    console_stack: ConsoleStack, screenshots: Path
) -> None:
    stack = console_stack
    stack.stop("personnel")
    try:
        async with Browser.open() as browser:
            await sign_in(browser, stack, Role.SUPERVISOR, subject="leader-outage")
            # The map comes from the room registry: still drawn.
            drawn = await map_drawn(browser)
            assert drawn["zones"] == len(stack.seeded["zones"]) and drawn["rooms"] >= 7  # type: ignore[arg-type]

            await browser.click('role=link[name="考核排名"]')
            await browser.wait("role=alert >> text=人员管理服务暂不可用")
            await browser.screenshot(screenshots / "outage-assessment.png", full_page=True)

            # Rooms and staffing: coverage (room registry) renders, the staffing parts say why not.
            await browser.click('role=link[name="警务室与配备"]')
            # The view is drawn after the click returns: wait for its coverage part, then for every part
            # to have answered.
            await browser.wait("text=覆盖率", timeout_ms=60_000)
            await browser.wait_until(IDLE, timeout_ms=60_000)
            main = await browser.text("main")
            assert "覆盖率" in main
            assert "人员管理服务暂不可用" in main
            assert await browser.count("main table") >= 2  # coverage gaps and the rooms

            # The header says which services answer.
            await browser.wait('[data-service="personnel"].svc-unavailable', timeout_ms=40_000)
            assert await browser.count('[data-service="rooms"].svc-serving') == 1
            await browser.screenshot(screenshots / "outage-rooms.png", full_page=True)
    finally:
        stack.restart("personnel")
