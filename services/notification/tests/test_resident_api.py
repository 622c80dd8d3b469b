"""The online police room (R-NOT-4) over real HTTP, on the real service: a resident entrusts a matter,
checks its progress with the reference number and their phone, reads the room's notices and tips, books
an appointment and rates the callback (→ R-PER-11). Only their own matter opens; wrong pairs are refused
alike and rate-limited; nothing names anyone else."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
from jingwu.notification.v1 import events_pb2 as notification_events
from jingwu.notification.v1 import notification_pb2
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.personnel.v1 import personnel_pb2
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_platform.auth import Role
from jingwu_platform.settings import ServiceSettings
from jingwu_platform.testing import read_topic, wait_until

from .support import RunningNotification, publish_as, running

pytestmark = [pytest.mark.integration, pytest.mark.timeout(120)]
ROOM = "room-online"


async def room_with_officer(service: RunningNotification, kafka_bootstrap: str) -> None:
    district = service.district
    room = rooms_pb2.Room(
        room_id=ROOM, name="汴河社区警务室", station_id="st-1", zone_codes=[f"{district}020301"]
    )
    await publish_as(
        kafka_bootstrap, "rooms", district, room_events.RoomOpened(district_code=district, room=room), ROOM
    )
    posting = personnel_pb2.Posting(
        posting_id="post-1",
        officer_id="officer-5",
        role=personnel_pb2.OFFICER_ROLE_COMMUNITY_OFFICER,
        room_id=ROOM,
    )
    await publish_as(
        kafka_bootstrap,
        "personnel",
        district,
        personnel_events.OfficerPosted(district_code=district, posting=posting),
        "officer-5",
    )
    await wait_until(
        lambda: service.process.reactions.processed >= 2, timeout_s=60, what="room and posting learnt"
    )


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def base(service: RunningNotification) -> str:
    return f"http://127.0.0.1:{service.process.resident_api.port}"


async def post(
    http: aiohttp.ClientSession, url: str, body: Any, **headers: str
) -> tuple[int, dict[str, Any], Any]:
    async with http.post(url, json=body, headers=headers) as response:
        return response.status, dict(response.headers), await response.json()


async def test_a_resident_entrusts_checks_progress_and_rates_only_their_own_matter(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    http: aiohttp.ClientSession,
) -> None:
    async with running(settings_for, district, auth_secret, resident_burst=100) as service:
        await room_with_officer(service, kafka_bootstrap)
        url = base(service)
        status, _, mine = await post(
            http, f"{url}/v1/rooms/{ROOM}/matters",
            {"name": "王大妈", "phone": "138 0013 8000", "description": "楼道堆放杂物，影响消防通道"},
            **{"Idempotency-Key": "form-1"},
        )  # fmt: skip
        assert status == 201 and mine["status"] == "open" and mine["phone"] == "138****8000"
        _, _, again = await post(
            http, f"{url}/v1/rooms/{ROOM}/matters",
            {"name": "王大妈", "phone": "13800138000", "description": "楼道堆放杂物，影响消防通道"},
            **{"Idempotency-Key": "form-1"},
        )  # fmt: skip
        assert again["reference"] == mine["reference"]  # a resubmitted form is the same matter
        _, _, theirs = await post(
            http,
            f"{url}/v1/rooms/{ROOM}/matters",
            {"name": "李大爷", "phone": "13900139000", "description": "噪音扰民"},
        )

        status, _, found = await post(
            http, f"{url}/v1/matters/lookup", {"reference": mine["reference"], "phone": "13800138000"}
        )
        assert status == 200 and found["description"] == "楼道堆放杂物，影响消防通道"
        assert "王大妈" not in str(found) and "13800138000" not in str(found)
        for wrong in (
            {"reference": mine["reference"], "phone": "13900139000"},
            {"reference": theirs["reference"], "phone": "13800138000"},
        ):
            status, _, refused = await post(http, f"{url}/v1/matters/lookup", wrong)
            assert (status, refused) == (404, {"error": "no matter with this reference and phone number"})
        status, _, _ = await post(http, f"{url}/v1/matters/lookup", ["not", "an", "object"])
        assert status == 400

        # The owner answers back; the resident sees it and rates it.
        officer = service.notification(Role.OFFICER, subject="officer-5")
        open_matters = await officer.ListOpenMatters(notification_pb2.ListOpenMattersRequest(room_id=ROOM))
        owned = {m.reference: m for m in open_matters.matters}
        assert owned[mine["reference"]].owner_officer_id == "officer-5"
        assert owned[mine["reference"]].resident_phone == "13800138000"  # the owner calls back: unmasked
        await officer.AnswerMatter(
            notification_pb2.AnswerMatterRequest(
                matter_id=owned[mine["reference"]].matter_id,
                answer="已联系物业清理",
                method=notification_pb2.ANSWER_METHOD_PHONE,
            )
        )
        _, _, answered = await post(
            http, f"{url}/v1/matters/lookup", {"reference": mine["reference"], "phone": "13800138000"}
        )
        assert (answered["status"], answered["answer"], answered["answer_method"]) == (
            "answered",
            "已联系物业清理",
            "phone",
        )
        status, _, rated = await post(
            http,
            f"{url}/v1/matters/rating",
            {"reference": mine["reference"], "phone": "13800138000", "rating": 5},
        )
        assert status == 200 and rated["satisfaction"] == 5
        records = await read_topic(
            kafka_bootstrap,
            f"jingwu.{district}.notification.v1",
            until=lambda rs: any(
                r.headers.get("ce_type", "").endswith("CallbackSatisfactionRated") for r in rs
            ),
        )
        (record,) = [r for r in records if r.headers["ce_type"].endswith("CallbackSatisfactionRated")]
        rating = notification_events.CallbackSatisfactionRated.FromString(record.value or b"")
        assert (record.key, rating.officer_id, rating.rating, rating.score) == (
            b"officer-5",
            "officer-5",
            5,
            100.0,
        )


async def test_wrong_pairs_are_rate_limited_even_before_a_right_one(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    http: aiohttp.ClientSession,
) -> None:
    async with running(
        settings_for, district, auth_secret, resident_burst=100, resident_failed_checks=3
    ) as service:
        await room_with_officer(service, kafka_bootstrap)
        url = base(service)
        _, _, mine = await post(
            http,
            f"{url}/v1/rooms/{ROOM}/matters",
            {"name": "甲", "phone": "13800138000", "description": "噪音"},
        )
        for last_digit in "123":  # guessing the phone
            status, _, _ = await post(
                http,
                f"{url}/v1/matters/lookup",
                {"reference": mine["reference"], "phone": f"1380013800{last_digit}"},
            )
            assert status == 404
        status, headers, body = await post(
            http, f"{url}/v1/matters/lookup", {"reference": mine["reference"], "phone": "13800138000"}
        )
        assert status == 429 and int(headers["Retry-After"]) > 0 and "too many" in body["error"]


async def test_every_endpoint_is_rate_limited_per_client_and_notices_are_public(
    settings_for: Callable[..., ServiceSettings],
    district: str,
    auth_secret: str,
    kafka_bootstrap: str,
    http: aiohttp.ClientSession,
) -> None:
    async with running(
        settings_for, district, auth_secret, resident_burst=8, resident_requests_per_minute=1
    ) as service:
        await room_with_officer(service, kafka_bootstrap)
        leader = service.notification()
        await leader.PublishNotice(
            notification_pb2.PublishNoticeRequest(
                kind=notification_pb2.NOTICE_KIND_TIP,
                room_id=ROOM,
                title="防范电信诈骗",
                body="不向陌生账户转账。",
                request_id="t-1",
            )
        )
        url = base(service)
        async with http.get(f"{url}/v1/rooms/{ROOM}/notices?kind=tip") as response:
            notices = (await response.json())["notices"]
        assert [n["title"] for n in notices] == ["防范电信诈骗"]
        async with http.get(f"{url}/v1/rooms/{ROOM}/notices?kind=nonsense") as response:
            assert response.status == 400
        start = (datetime.now(UTC) + timedelta(days=2)).isoformat()
        status, _, booked = await post(
            http,
            f"{url}/v1/rooms/{ROOM}/appointments",
            {"name": "甲", "phone": "13800138000", "topic": "办理居住证", "start_time": start},
        )
        assert status == 201 and booked["reference"].startswith("YY") and booked["phone"] == "138****8000"
        lookup = f"{url}/v1/appointments/lookup"
        status, _, mine = await post(http, lookup, {"reference": booked["reference"], "phone": "13800138000"})
        assert (status, mine["topic"], mine["start_time"]) == (200, "办理居住证", booked["start_time"])
        status, _, _ = await post(http, lookup, {"reference": booked["reference"], "phone": "13900139000"})
        assert status == 404
        status, _, invalid = await post(
            http, f"{url}/v1/rooms/{ROOM}/appointments", {"name": "甲", "phone": "x", "topic": "t"}
        )
        assert status == 400 and {v["field"] for v in invalid["violations"]} == {
            "resident_phone",
            "start_time",
        }
        statuses = []
        for _ in range(4):
            async with http.get(f"{url}/v1/rooms/{ROOM}/notices") as response:
                statuses.append(response.status)
        assert statuses[-1] == 429 and 200 in statuses  # the burst of 8 is spent
        async with http.get(f"{url}/healthz") as response:
            assert response.status == 200  # probes are never limited
