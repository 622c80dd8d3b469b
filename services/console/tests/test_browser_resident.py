"""The residents' online police room (R-NOT-4) in a real browser, on a tablet-sized window, through the
console to the notification service's resident API: booking an appointment and finding it, entrusting
a matter and following its progress by reference number, and no one else's data."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from jingwu_platform.auth import Role
from jingwu_platform.calendar import DISTRICT_ZONE

from .browser import Browser
from .conftest import ConsoleStack
from .test_browser_console import UNLABELLED, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(600)]
ROOM = 'role=combobox[name="警务室"]'
PHONE = "13912345678"


async def _choose_room(browser: Browser) -> str:
    await browser.wait(f"{ROOM} >> option >> nth=1", state="attached")
    room_id = str(await browser.eval("document.querySelectorAll('main select option')[1].value"))
    await browser.select(ROOM, room_id)
    return room_id


async def test_a_resident_books_an_appointment_and_then_finds_it(
    console_stack: ConsoleStack, screenshots: Path
) -> None:
    stack = console_stack
    async with Browser.open(width=820, height=1180) as browser:  # a tablet
        await browser.goto(stack.url + "/resident/")
        room_id = await _choose_room(browser)
        await browser.fill('role=textbox[name="姓名"]', "𠀋 李明")  # a name outside the BMP round-trips
        await browser.fill('role=textbox[name="手机号码"]', PHONE)
        await browser.fill('role=textbox[name="事由"]', "办理居住证")
        tomorrow = datetime.now(DISTRICT_ZONE).date() + timedelta(days=1)  # bookable: up to 60 days ahead
        await browser.fill('input[type="datetime-local"]', f"{tomorrow.isoformat()}T09:30")
        assert await browser.eval(UNLABELLED) == []  # every control of the form has its label
        await browser.click('role=button[name="提交预约"]')
        await browser.wait(".reference")
        reference = (await browser.text(".reference")).strip()
        assert reference.startswith("YY")
        await browser.screenshot(screenshots / "resident-appointment.png", full_page=True)

        # The room's officer finds it in the console, the resident's phone masked (R-POP-6).
        await browser.goto(stack.url + "/")
        await sign_in(browser, stack, Role.OFFICER, subject="room-officer")
        await browser.click('role=link[name="通知与回告"]')
        await browser.wait(f"{ROOM} >> option >> nth=1", state="attached")
        await browser.select(ROOM, room_id)
        await browser.click('role=button[name="查看"]')
        await browser.wait(f"text={reference}")
        row = await browser.text(f'tr:has-text("{reference}")')
        assert "办理居住证" in row and PHONE not in row and "*" in row

        # The resident finds it with the reference number and the phone number.
        await browser.clear_cookies()
        await browser.goto(stack.url + "/resident/")
        await _choose_room(browser)
        await browser.click('role=tab[name="进度查询"]')
        await browser.fill('role=textbox[name="预约或事项编号"]', reference)
        await browser.fill('role=textbox[name="手机号码"]', PHONE)
        await browser.click('role=button[name="查询"]')
        await browser.wait("dl.found")
        found = await browser.text("dl.found")
        assert reference in found and "办理居住证" in found and "已预约" in found
        assert PHONE not in found


async def test_a_resident_entrusts_a_matter_and_follows_it_only_with_its_reference_and_phone(
    console_stack: ConsoleStack, screenshots: Path
) -> None:
    stack = console_stack
    async with Browser.open(width=820, height=1180) as browser:
        await browser.goto(stack.url + "/resident/")
        await _choose_room(browser)
        await browser.click('role=tab[name="委托事项"]')
        await browser.fill('role=textbox[name="姓名"]', "王芳")
        await browser.fill('role=textbox[name="手机号码"]', PHONE)
        await browser.fill('role=textbox[name="需要民警办理的事项"]', "楼道路灯损坏，夜间不安全")
        await browser.click('role=button[name="提交委托"]')
        await browser.wait(".reference")
        reference = (await browser.text(".reference")).strip()
        assert reference.startswith("JW")

        await browser.click('role=tab[name="进度查询"]')
        await browser.fill('role=textbox[name="预约或事项编号"]', reference)
        await browser.fill('role=textbox[name="手机号码"]', "13900000000")  # not the resident's phone
        await browser.click('role=button[name="查询"]')
        await browser.wait('[role="tabpanel"]:not([hidden]) .banner')
        assert "no matter" in await browser.text('[role="tabpanel"]:not([hidden]) .banner')

        await browser.fill('role=textbox[name="手机号码"]', PHONE)
        await browser.click('role=button[name="查询"]')
        await browser.wait("dl.found")
        found = await browser.text("dl.found")
        assert reference in found and "办理中" in found and "楼道路灯" in found
        assert PHONE not in found  # even the resident's own number comes back masked
        await browser.screenshot(screenshots / "resident-progress.png", full_page=True)

        # Keyboard: the tabs follow the arrow keys (WAI-ARIA tabs).
        await browser.press('role=tab[name="进度查询"]', "ArrowRight")
        assert (await browser.focused() or {}).get("text") == "通知与提示"
        await browser.wait('[role="tabpanel"]:not([hidden])')
