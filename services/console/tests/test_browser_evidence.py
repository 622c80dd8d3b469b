"""The patrol evidence view and the track replay with a real day (R-PAT-6): a demo vehicle's yesterday,
uploaded through the JT/T 808 gateway with 0x0704, stored by telemetry and computed by patrol
(past_day.py), then shown by the console — the figures patrol computed, and the track on the map."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest
from jingwu_platform.auth import Role

from .browser import Browser
from .conftest import ConsoleStack
from .past_day import PastDay, drive_yesterday
from .test_browser_console import map_drawn, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(900)]
IDLE = "!document.querySelector('main [aria-busy=\"true\"]')"
SHOWN = """(() => {
  const said = document.querySelector('.replay-readout')?.textContent || '';
  const banners = [...document.querySelectorAll('.banners .banner')].map(b => b.textContent).join(' ');
  return said.includes('个定位点') || said.includes('没有定位记录') ? said : banners;
})()"""
EVIDENCE_COLUMNS = (
    "车辆",
    "警务区",
    "里程",
    "区内里程",
    "区内时长",
    "行驶时长",
    "信号中断",
    "定位点",
    "停靠点",
    "计划完成率",
)


@pytest.fixture(scope="module")
async def yesterday(
    console_stack: ConsoleStack, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[PastDay]:
    past = await drive_yesterday(console_stack, tmp_path_factory.mktemp("past-day"))
    try:
        yield past
    finally:
        console_stack.supervisor.stop(past.gateway)


def fixed(value: float, digits: int) -> str:
    """JavaScript's ``value.toFixed(digits)`` for the non-negative figures the view shows."""
    return str(Decimal(value).quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def duration(seconds: float) -> str:
    """The view's ``duration`` (shared/labels.ts): "1小时5分", "12分"."""
    hours = math.floor(seconds / 3600)
    minutes = int(Decimal((seconds % 3600) / 60).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return f"{hours}小时{minutes}分" if hours else f"{minutes}分"


def percent(ratio: float) -> str:
    return f"{fixed(ratio * 100, 0)}%"


def test_the_day_went_through_telemetry_into_patrols_evidence(yesterday: PastDay) -> None:
    """What the browser checks against: patrol's own figures for the day, from a real track."""
    evidence = yesterday.evidence
    assert yesterday.batches >= 2 and yesterday.sent > 200  # a day of stored fixes, many frames
    assert yesterday.stored == yesterday.sent  # telemetry kept every fix the gateway took
    assert evidence.vehicle_id == yesterday.vehicle.vehicle_id
    assert evidence.device_id == yesterday.device_id
    assert evidence.fix_count == yesterday.stored
    assert evidence.mileage_km > 1.0  # drove from the zone's centre to the hot spots and back
    assert evidence.time_in_zone.seconds > 0  # telemetry's zone crossings reached patrol
    assert evidence.planned_slot_count >= 1
    assert evidence.met_slot_count == evidence.planned_slot_count  # it followed its plan
    assert len(evidence.hotspot_coverage) == evidence.planned_slot_count
    assert all(slot.met for slot in evidence.hotspot_coverage)
    assert evidence.compliance_ratio == 1.0


async def test_the_evidence_view_shows_patrols_figures_for_the_vehicle_and_day(
    console_stack: ConsoleStack, yesterday: PastDay, screenshots: Path
) -> None:
    stack, evidence, plate = console_stack, yesterday.evidence, yesterday.vehicle.plate
    async with Browser.open() as browser:
        await sign_in(browser, stack, Role.SUPERVISOR, subject="leader-evidence")
        await browser.click('role=link[name="巡逻证据"]')
        day = 'role=main >> input[type="date"]'
        await browser.wait(day)
        assert (
            await browser.eval("document.querySelector('main input[type=date]').value")
            == yesterday.day.isoformat()
        )
        caption = f"{yesterday.day.isoformat()} 巡逻证据"
        row = f'table:has(caption:has-text("{caption}")) tbody tr:has-text("{plate}")'
        await browser.wait(row, timeout_ms=60_000)
        await browser.wait_until(IDLE, timeout_ms=60_000)

        cells = dict(zip(EVIDENCE_COLUMNS, await browser.texts(f"{row} td"), strict=False))
        assert cells["车辆"] == plate
        assert cells["警务区"] == evidence.zone_code == yesterday.vehicle.zone_code
        assert cells["里程"] == f"{fixed(evidence.mileage_km, 1)} km"
        assert cells["区内里程"] == f"{fixed(evidence.mileage_in_zone_km, 1)} km"
        assert cells["区内时长"] == duration(evidence.time_in_zone.ToTimedelta().total_seconds())
        assert cells["定位点"] == str(evidence.fix_count) == str(yesterday.stored)
        assert cells["计划完成率"] == percent(evidence.compliance_ratio) == "100%"

        # 见警率 of the zone: its planned hot-spot slots with presence, over every vehicle's evidence.
        slots = sum(len(e.hotspot_coverage) for e in yesterday.zone_evidence)
        met = sum(1 for e in yesterday.zone_evidence for slot in e.hotspot_coverage if slot.met)
        assert slots >= evidence.planned_slot_count and met >= evidence.met_slot_count
        zone_row = f'table:has(caption:text-is("见警率")) tbody tr:has-text("{evidence.zone_code}")'
        assert await browser.texts(f"{zone_row} td") == [
            evidence.zone_code,
            str(slots),
            str(met),
            percent(met / slots),
        ]
        # The charts carry the same figures (their titles are what a screen reader says).
        charts = " ".join(await browser.texts("main figure svg title"))
        assert f"{plate} {fixed(evidence.mileage_km, 1)} km" in charts
        assert f"{evidence.zone_code} {percent(met / slots)}" in charts
        await browser.screenshot(screenshots / "patrol-evidence.png", full_page=True)

        # Recomputing from the view asks patrol again: the same track gives the same figures. The view
        # draws the table again once patrol has answered: the rows drawn before are marked, so the
        # figures read are the new row's.
        await browser.eval("document.querySelectorAll('main tbody tr').forEach(r => r.dataset.before = '1')")
        await browser.click(f'{row} >> role=button[name="重新计算"]')
        redrawn = f"{row}:not([data-before])"
        await browser.wait(redrawn, timeout_ms=60_000)
        await browser.wait_until(IDLE, timeout_ms=60_000)
        again = dict(zip(EVIDENCE_COLUMNS, await browser.texts(f"{redrawn} td"), strict=False))
        assert (again["里程"], again["定位点"]) == (cells["里程"], cells["定位点"])


async def test_the_replay_draws_the_vehicles_day_on_the_map(
    console_stack: ConsoleStack, yesterday: PastDay, screenshots: Path
) -> None:
    stack, device, day = console_stack, yesterday.device_id, yesterday.day.isoformat()
    async with Browser.open() as browser:
        await sign_in(browser, stack, Role.SUPERVISOR, subject="leader-replay")
        drawn = await map_drawn(browser)
        assert drawn["track"] == 0  # nothing replayed yet

        picker = '.replay-form select[name="device"]'
        await browser.wait(f'{picker} option[value="{device}"]', state="attached", timeout_ms=30_000)
        await browser.select(picker, device)
        await browser.fill('.replay-form input[name="date"]', day)
        await browser.click('role=button[name="回放轨迹"]')
        readout = ".replay-readout"
        # The readout names the fix shown and how many there are; a failure shows a banner instead.
        said = await browser.wait_until(SHOWN, timeout_ms=30_000)
        assert said.endswith(f"（第 1/{yesterday.replayed} 个定位点）"), said

        # The BFF's line for the day has a point per replayed fix, and the map draws it.
        line = await browser.eval(
            f"fetch('/api/tracks?device_id={device}&date={day}').then(r => r.json())"
            ".then(t => [t.fixes.length, t.line.geometry.type, t.line.geometry.coordinates.length])"
        )
        assert line == [yesterday.replayed, "LineString", yesterday.replayed]
        assert 0 < yesterday.replayed <= yesterday.stored
        assert await browser.attr('role=slider[name="回放位置"]', "max") == str(yesterday.replayed - 1)
        await browser.wait_until(
            "Number(document.querySelector('.map-summary').dataset.track) > 0", timeout_ms=30_000
        )
        await browser.wait(".replay-marker", state="attached")

        # The slider by keyboard: End goes to the day's last fix.
        await browser.press('role=slider[name="回放位置"]', "End")
        await browser.wait(f'{readout}:has-text("第 {yesterday.replayed}/{yesterday.replayed} 个定位点")')
        await browser.press('role=slider[name="回放位置"]', "Home")
        await browser.wait(f'{readout}:has-text("第 1/{yesterday.replayed} 个定位点")')
        await browser.screenshot(screenshots / "track-replay.png", full_page=True)
