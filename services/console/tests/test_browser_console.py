"""The console in a real browser (Debian's Chromium, driven by Playwright) against the real stack with
the demo district: sign-in, the map's zones and rooms, a vehicle moving live, masking by role with the
audit entry, and the views' screenshots for docs/console/. The residents' pages and a stopped service
are in test_browser_resident.py and test_browser_outage.py."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from aiokafka import AIOKafkaProducer
from google.protobuf.timestamp_pb2 import Timestamp
from jingwu.common.v1 import common_pb2
from jingwu.telemetry.v1 import telemetry_pb2
from jingwu_platform.auth import Role, issue_token
from jingwu_platform.events import telemetry_fixes_topic
from jingwu_platform.kafka import ensure_topics
from pymongo import AsyncMongoClient

from .browser import Browser
from .conftest import ConsoleStack

pytestmark = [pytest.mark.e2e, pytest.mark.browser, pytest.mark.timeout(900)]
TOKEN_BOX = 'role=textbox[name="凭证"]'
SIGN_IN = 'role=button[name="登录"]'
NAV = 'role=navigation[name="主导航"]'
EXPLAIN = "role=button[name=/^查看.+的得分说明$/]"
# Visible form controls in <main> without a label, an aria-label or (buttons) a text.
UNLABELLED = """(() => [...document.querySelectorAll('main input, main select, main textarea, main button')]
    .filter(el => !el.hidden && el.offsetParent !== null)
    .filter(el => !(el.labels && el.labels.length) && !el.getAttribute('aria-label')
                  && !(el.tagName === 'BUTTON' && el.textContent.trim()))
    .map(el => el.outerHTML.slice(0, 120)))()"""


async def sign_in(browser: Browser, stack: ConsoleStack, *roles: Role, subject: str = "console-test") -> None:
    await browser.goto(stack.url + "/")
    await browser.wait(TOKEN_BOX)
    await browser.fill(TOKEN_BOX, stack.token(*roles, subject=subject))
    await browser.click(SIGN_IN)
    await browser.wait(NAV)


async def map_drawn(browser: Browser) -> dict[str, int]:
    """Waits until the map has drawn zones and rooms; answers what it drew, by layer."""
    await browser.wait_until(
        "Number(document.querySelector('.map-summary')?.dataset.zones || 0) > 0"
        " && Number(document.querySelector('.map-summary')?.dataset.rooms || 0) > 0",
        timeout_ms=60_000,
    )
    await asyncio.sleep(0.5)  # the last idle of the first load
    values = await browser.eval("Object.assign({}, document.querySelector('.map-summary').dataset)")
    return {k: int(v) for k, v in values.items()}


async def test_sign_in_then_map_draws_zones_and_rooms(console_stack: ConsoleStack, screenshots: Path) -> None:
    stack = console_stack
    async with Browser.open() as browser:
        await browser.goto(stack.url + "/")
        await browser.wait(TOKEN_BOX)
        await browser.screenshot(screenshots / "sign-in.png")

        # Another district's credential is refused with the reason; a garbled one too.
        forged = issue_token("not-the-district-key-not-the-district-key", "x", stack.district, [Role.OFFICER])
        await browser.fill(TOKEN_BOX, forged)
        await browser.click(SIGN_IN)
        await browser.wait("text=凭证无效或已过期")
        await browser.fill(TOKEN_BOX, issue_token(stack.secret, "visitor", "04", [Role.OFFICER]))
        await browser.click(SIGN_IN)
        await browser.wait(f"text=本控制台服务于{stack.district}分局")

        await browser.fill(TOKEN_BOX, stack.token(Role.OFFICER, subject="officer-li"))
        await browser.click(SIGN_IN)
        await browser.wait(NAV)
        assert "officer-li" in await browser.text("header.top")

        drawn = await map_drawn(browser)
        loaded_zones = int(await browser.attr(".view-map", "data-loaded-zones") or 0)
        loaded_rooms = int(await browser.attr(".view-map", "data-loaded-rooms") or 0)
        # Every zone loaded is drawn with its 8-digit code (R-ORG-2), and every room.
        zones = stack.seeded["zones"]
        assert isinstance(zones, list)
        assert loaded_zones == drawn["zones"] == len(zones)
        assert loaded_rooms == drawn["rooms"] >= 7  # a room of every kind (R-ROOM-1)
        labels = await browser.texts(".zone-label b")
        assert sorted(labels) == sorted(zones)
        assert all(re.fullmatch(rf"{stack.district}\d{{6}}", code) for code in labels), labels[:5]
        # Coverage gaps are marked (R-ROOM-4): the demo has rooms without an officer.
        gaps = await browser.eval(
            "fetch('/api/map/rooms').then(r => r.json())"
            ".then(fc => fc.features.filter(f => f.properties.gap).length)"
        )
        assert gaps >= 1

        # Places with overdue inspections come from population (R-POP-3); one in four is overdue.
        places = await browser.eval(
            "fetch('/api/map/places').then(r => r.json())"
            ".then(fc => fc.features.map(f => f.properties.overdue))"
        )
        assert len(places) >= 1 and any(places)
        await browser.wait_until(
            f"Number(document.querySelector('.map-summary')?.dataset.places) === {len(places)}",
            timeout_ms=30_000,
        )
        # Resident density per zone (R-POP-7): the zones' counts, once population has published them.
        await browser.check('role=checkbox[name="人口密度"]')
        total = await browser.wait_until(
            "fetch('/api/map/density').then(r => r.json())"
            ".then(d => Object.values(d.zones).reduce((n, z) => n + z.actual_population, 0))",
            timeout_ms=60_000,
        )
        assert total == stack.seeded["residents"]
        # Prevention rings and checkpoints come from patrol (R-PAT-3), as its demo defined them.
        rings = await browser.eval(
            "fetch('/api/map/rings').then(r => r.json()).then(fc => fc.features.length)"
        )
        checkpoints = await browser.eval(
            "fetch('/api/map/checkpoints').then(r => r.json()).then(fc => fc.features.length)"
        )
        patrol = stack.seeded["patrol"]
        assert isinstance(patrol, dict)
        assert (rings, checkpoints) == (patrol["rings"], patrol["checkpoints"])
        # Every service answers: no banner over any layer.
        banners = " ".join(await browser.texts(".banners .banner"))
        assert "暂不可用" not in banners, banners
        await browser.screenshot(screenshots / "map.png")

        # Offline: nothing was requested from anywhere but the console itself.
        hosts = {url.split("/")[2] for url in await browser.requests() if url.startswith("http")}
        assert hosts == {stack.url.split("/")[2]}, hosts


def _fix(stack: ConsoleStack, device: str, lon: float, lat: float) -> telemetry_pb2.LocationFix:
    now = Timestamp()
    now.GetCurrentTime()
    return telemetry_pb2.LocationFix(
        district_code=stack.district,
        device_id=device,
        device_kind=telemetry_pb2.DEVICE_KIND_VEHICLE_TERMINAL,
        position=common_pb2.GeoPoint(longitude=lon, latitude=lat),
        speed_kmh=32.0,
        heading_deg=90.0,
        fix_time=now,
        receive_time=now,
        status_flags=0b10,
        source=telemetry_pb2.FIX_SOURCE_JT808_REPORT,
    )


async def _publish(producer: AIOKafkaProducer, fix: telemetry_pb2.LocationFix) -> None:
    """As the JT/T 808 gateway publishes a decoded fix: LocationFix, keyed by device, with the envelope."""
    headers = [
        ("ce_specversion", b"1.0"),
        ("ce_id", f"fix/{fix.device_id}/{fix.fix_time.ToMilliseconds()}/1".encode()),
        ("ce_type", telemetry_pb2.LocationFix.DESCRIPTOR.full_name.encode()),
        ("ce_source", b"console-test-vehicle"),
        ("ce_time", fix.receive_time.ToJsonString().encode()),
        ("ce_district", fix.district_code.encode()),
        ("content-type", b"application/x-protobuf"),
    ]
    await producer.send_and_wait(
        telemetry_fixes_topic(fix.district_code),
        fix.SerializeToString(),
        key=fix.device_id.encode(),
        headers=headers,
    )


async def test_a_vehicle_moves_on_the_map_between_two_screenshots(
    console_stack: ConsoleStack, screenshots: Path
) -> None:
    """A simulated vehicle reports twice; its marker moves, pushed by the console (no page polling)."""
    stack = console_stack
    topic = telemetry_fixes_topic(stack.district)
    await ensure_topics(stack.kafka_bootstrap, [topic], partitions=3)
    producer = AIOKafkaProducer(bootstrap_servers=stack.kafka_bootstrap, acks="all")
    await producer.start()
    device = "veh-sim-0301"
    try:
        async with Browser.open() as browser:
            await sign_in(browser, stack, Role.SUPERVISOR)
            await map_drawn(browser)
            bbox = await browser.eval("fetch('/api/map/zones').then(r => r.json()).then(fc => fc.bbox)")
            west, south, east, north = bbox
            lon, lat = west + (east - west) * 0.4, south + (north - south) * 0.5
            await _publish(producer, _fix(stack, device, lon, lat))
            marker = f'.vehicle[data-device="{device}"]'
            await browser.wait(marker, timeout_ms=30_000)
            first = await browser.box(marker)
            await browser.screenshot(screenshots / "map-live-1.png")

            moved_lon = lon + (east - west) * 0.15
            await _publish(producer, _fix(stack, device, moved_lon, lat))
            await browser.wait_until(
                f"Number(document.querySelector('{marker}')?.dataset.lon) > {lon + 1e-9}", timeout_ms=30_000
            )
            await asyncio.sleep(0.3)  # the marker's frame
            second = await browser.box(marker)
            await browser.screenshot(screenshots / "map-live-2.png")
            assert first is not None and second is not None
            assert second["x"] - first["x"] > 20, (first, second)  # moved east on screen
            assert abs(second["y"] - first["y"]) < 5
            label = await browser.attr(marker, "aria-label") or ""
            assert device in label and "km/h" in label

            # One stream, opened once; the page never polls positions.
            requests = await browser.requests()
            assert sum("/api/live/positions" in u for u in requests) == 1, requests
            assert not any("/api/map/positions" in u for u in requests)
    finally:
        await producer.stop()


async def _unmasked_reads(stack: ConsoleStack, reader: str) -> int:
    client: AsyncMongoClient[dict[str, object]] = AsyncMongoClient(stack.mongo_url)
    try:
        collection = client[f"jingwu_{stack.district}"]["personnel.unmasked_reads"]
        return await collection.count_documents({"reader_id": reader})
    finally:
        await client.close()


async def test_identity_numbers_masked_for_an_officer_and_shown_to_a_pii_reader_with_an_audit_entry(
    console_stack: ConsoleStack, screenshots: Path
) -> None:
    """R-POP-6 through the console: the service decides, the page shows what it got, the read is audited."""
    stack = console_stack
    async with Browser.open() as browser:
        await sign_in(browser, stack, Role.OFFICER, subject="officer-wang")
        await browser.click('role=link[name="人员"]')
        await browser.wait(".pii[data-officer]")
        masked = [t for t in await browser.texts(".pii[data-officer]") if t]
        assert masked, "the officers list shows identity numbers"
        assert all(re.fullmatch(r"\d{3}\*{11}[\dX]{4}", t) for t in masked), masked[:3]
        assert "脱敏" in await browser.text(".notice")
        await browser.screenshot(screenshots / "people-masked.png")
        assert await _unmasked_reads(stack, "officer-wang") == 0

        await browser.clear_cookies()
        before = await _unmasked_reads(stack, "pii-zhao")
        await sign_in(browser, stack, Role.OFFICER, Role.PII_READER, subject="pii-zhao")
        await browser.click('role=link[name="人员"]')
        await browser.wait(".pii[data-officer]")
        shown = [t for t in await browser.texts(".pii[data-officer]") if t]
        assert shown and all(re.fullmatch(r"\d{17}[\dX]", t) for t in shown), shown[:3]
        assert "审计" in await browser.text(".notice")
        await browser.screenshot(screenshots / "people-pii-reader.png")
        # The personnel service recorded the unmasked read before the data left (R-POP-6).
        assert await _unmasked_reads(stack, "pii-zhao") > before

        # Residents (population): masked unless the pii_reader asks, with a purpose, to see them.
        zone = str(stack.seeded["zones"][0])  # type: ignore[index]
        await browser.fill('role=textbox[name="警务区"]', zone)
        await browser.click('role=button[name="查询实有人口"]')
        await browser.wait(".pii[data-resident]")
        assert all("*" in t for t in await browser.texts(".pii[data-resident]"))
        await browser.check('role=checkbox[name="显示完整信息"]')
        await browser.fill('role=textbox[name="查询事由（记入审计）"]', "核查走访记录")
        await browser.click('role=button[name="查询实有人口"]')
        await browser.wait_until(
            "(els => els.length > 0 && els.every(e => !e.textContent.includes('*')))"
            "([...document.querySelectorAll('.pii[data-resident]')])"
        )
        shown = await browser.texts(".pii[data-resident]")
        assert shown and all(re.fullmatch(r"\d{17}[\dX]", t) for t in shown), shown[:3]

        # An officer is not offered unmasking; an auditor finds the read in population's audit trail.
        await browser.clear_cookies()
        await sign_in(browser, stack, Role.OFFICER, subject="officer-wang")
        await browser.click('role=link[name="人员"]')
        await browser.wait(".pii[data-officer]")
        assert await browser.count('role=checkbox[name="显示完整信息"]') == 0
        await browser.clear_cookies()
        await sign_in(browser, stack, Role.AUDITOR, subject="auditor-sun")
        await browser.click('role=link[name="人员"]')
        await browser.wait('role=heading[name="个人信息查询审计（R-POP-6）"]')
        await browser.wait('section:has(#audit-title) tr:has-text("pii-zhao")')
        row = await browser.text('section:has(#audit-title) tr:has-text("pii-zhao")')
        assert "核查走访记录" in row
        await browser.screenshot(screenshots / "people-auditor.png", full_page=True)


async def test_each_view_keyboard_labels_and_screenshots(
    console_stack: ConsoleStack, screenshots: Path
) -> None:
    """Every view is reachable by keyboard, every control has a label, and each view is photographed."""
    stack = console_stack
    async with Browser.open() as browser:
        await sign_in(browser, stack, Role.SUPERVISOR, subject="leader-chen")
        await map_drawn(browser)

        # Keyboard: the skip link comes first and moves focus to the main region; nav links follow.
        await browser.eval("document.activeElement && document.activeElement.blur()")
        await browser.key("Tab")
        assert (await browser.focused() or {}).get("text") == "跳到主要内容"
        await browser.key("Enter")
        assert (await browser.focused() or {}).get("tag") == "main"
        await browser.press('role=link[name="考核排名"]', "Enter")
        await browser.wait('role=heading[name="考核排名"]')
        assert (await browser.focused() or {}).get("text") == "考核排名"  # the view's heading gets focus

        unlabelled = UNLABELLED
        views = {
            "rooms": ("警务室与配备", 'role=heading[name="问题清单"]'),
            "people": ("人员", ".pii[data-officer]"),
            "assessment": ("考核排名", 'role=heading[name="得分说明"]'),
            "patrol": ("巡逻证据", 'role=button[name="查看巡逻证据"]'),
            "notices": ("通知与回告", 'role=heading[name="待回告事项（R-NOT-3）"]'),
        }
        for path, (title, ready) in views.items():
            await browser.click(f'role=link[name="{title}"]')
            await browser.wait(ready)
            await browser.wait_until(
                "!document.querySelector('main [aria-busy=\"true\"]')", timeout_ms=60_000
            )
            assert await browser.eval(unlabelled) == [], path
            await browser.screenshot(screenshots / f"{path}.png", full_page=True)

        # Rooms and staffing: coverage figures, findings with their rule ids, blank villages.
        await browser.click('role=link[name="警务室与配备"]')
        # The findings table is drawn once its own call answers, which may come after the other parts.
        await browser.wait("main table code", timeout_ms=60_000)
        await browser.wait_until("!document.querySelector('main [aria-busy=\"true\"]')", timeout_ms=60_000)
        rules = set(await browser.texts("main table code"))
        assert {"R-PER-2", "R-PER-5"} <= rules, rules
        assert "覆盖率" in await browser.text("main")
        assert await browser.count("text=空白村") >= 1

        # Assessment: a ranking row explains its score (R-PER-11).
        await browser.click('role=link[name="考核排名"]')
        # The view opens on the last complete month, which the demo district computed and published
        # (drawn once its call answers: wait for a ranking row's button).
        await browser.wait(EXPLAIN, timeout_ms=60_000)
        await browser.wait_until("!document.querySelector('main [aria-busy=\"true\"]')", timeout_ms=60_000)
        explain = await browser.count(EXPLAIN)
        assert explain >= 1, "the demo district has a ranking"
        await browser.click(f"{EXPLAIN} >> nth=0")
        await browser.wait(".explanation svg.chart")
        text = await browser.text(".explanation")
        assert "R-PER-11" in text and "权重" in text
        await browser.screenshot(screenshots / "assessment.png", full_page=True)
