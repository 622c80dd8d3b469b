"""Deliveries, subscriptions and reminders on the in-memory repositories and a fake clock: one delivery
per message and recipient, retries with exponential backoff and jitter, dead letters and replay, the
claim that keeps two senders from sending one attempt, subscription filters and Kafka access (R-NOT-4,
R-NOT-5), reminders deduplicated by cause and delivered on the officer's channels."""

from __future__ import annotations

from datetime import timedelta

import pytest
from jingwu.notification.v1 import events_pb2
from jingwu.patrol.v1 import events_pb2 as patrol_events
from jingwu.personnel.v1 import events_pb2 as personnel_events
from jingwu.personnel.v1 import personnel_pb2
from jingwu.population.v1 import events_pb2 as population_events
from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu.rooms.v1 import rooms_pb2
from jingwu_notification.adapters.event_payloads import webhook_body, zone_codes_of
from jingwu_notification.domain.deliveries import ChannelKind, DeliveryStatus, RetryPolicy, claim
from jingwu_notification.domain.directory import ContactOwner
from jingwu_notification.domain.reminders import ReminderKind
from jingwu_notification.domain.subscriptions import SubscriberSystem, SubscriptionFilter, TargetKind
from jingwu_notification.entrypoints.event_handlers import PersonnelEventHandlers, PopulationEventHandlers
from jingwu_notification.entrypoints.own_events import OwnEventHandlers
from jingwu_platform.auth import Caller, Role
from jingwu_platform.errors import RuleViolation, ValidationFailed
from jingwu_platform.events import new_event
from jingwu_platform.testing import violations_of

from .fakes import ADMIN, DISTRICT, LEADER, OFFICER, ROOM, World, world

POLICY = RetryPolicy(max_attempts=3, base_delay=timedelta(seconds=10), max_delay=timedelta(minutes=5))


async def subscribe(w: World, *, event_types: tuple[str, ...], zone_codes: tuple[str, ...] = ()) -> str:
    subscription = await w.subscription_app.create(
        subscriber="command-centre",
        system=SubscriberSystem.COMMAND_CENTRE,
        flt=SubscriptionFilter(event_types=event_types, districts=(DISTRICT,), zone_codes=zone_codes),
        target=TargetKind.WEBHOOK,
        address="https://cc.example/hooks",
        caller=ADMIN,
        request_id="s-1",
    )
    return subscription.subscription_id


def room_opened(zone: str = "01020301") -> tuple[object, room_events.RoomOpened]:
    payload = room_events.RoomOpened(
        district_code=DISTRICT, room=rooms_pb2.Room(room_id="r-9", name="新警务室", zone_codes=[zone])
    )
    return new_event(payload, key="r-9", district=DISTRICT, service="rooms"), payload


async def fan_out(w: World, event: object, payload: room_events.RoomOpened) -> list[str]:
    created = await w.subscription_app.fan_out(
        event_id=event.event_id,  # type: ignore[attr-defined]
        event_type=event.event_type,  # type: ignore[attr-defined]
        district=DISTRICT,
        zone_codes=zone_codes_of(payload),
        body=webhook_body(event),  # type: ignore[arg-type]
    )
    return [d.delivery_id for d in created]


async def test_a_matching_event_becomes_one_webhook_delivery_even_when_redelivered() -> None:
    w = world()
    subscription_id = await subscribe(w, event_types=("jingwu.rooms.v1.*",), zone_codes=("0102",))
    event, payload = room_opened()
    (delivery_id,) = await fan_out(w, event, payload)
    assert await fan_out(w, event, payload) == []  # the same event again: no second delivery
    outside, outside_payload = room_opened(zone="01990101")
    assert await fan_out(w, outside, outside_payload) == []  # another street: filtered out
    delivery = await w.deliveries.get(delivery_id)
    assert (
        delivery is not None
        and delivery.recipient == subscription_id
        and delivery.subject == "jingwu.rooms.v1.RoomOpened"
    )
    (sent,) = await w.delivery_app.send_due()
    assert sent.status is DeliveryStatus.DELIVERED
    ((attempt, secret, _),) = w.senders[ChannelKind.WEBHOOK].sent
    assert secret.startswith("whsec_") and attempt.message_id == f"msg_{delivery_id}"


async def test_retries_back_off_with_jitter_then_the_letter_dies_and_replays_with_the_same_id() -> None:
    w = world(policy=POLICY)
    w.senders[ChannelKind.WEBHOOK].fail = 99
    await subscribe(w, event_types=("jingwu.rooms.v1.RoomOpened",))
    event, payload = room_opened()
    (delivery_id,) = await fan_out(w, event, payload)
    (first,) = await w.delivery_app.send_due()
    assert first.status is DeliveryStatus.PENDING and first.attempts == 1
    assert first.next_attempt_time - w.clock.now() == timedelta(seconds=7.5)  # 10 s × (0.5 + 0.5/2)
    assert await w.delivery_app.send_due() == []  # not due yet
    w.clock.set(first.next_attempt_time)
    (second,) = await w.delivery_app.send_due()
    assert second.next_attempt_time - w.clock.now() == timedelta(seconds=15)  # the step doubled
    w.clock.set(second.next_attempt_time)
    (dead,) = await w.delivery_app.send_due()
    assert (
        dead.status is DeliveryStatus.DEAD and dead.attempts == 3 and "attempt 3 refused" in dead.last_error
    )
    (letter,) = w.outbox.of_type(events_pb2.DeliveryDeadLettered)
    assert letter.delivery_id == delivery_id and letter.channel == "webhook"

    w.senders[ChannelKind.WEBHOOK].fail = 0
    w.clock.advance(hours=1)
    (replayed,) = await w.delivery_app.replay(
        delivery_ids=[delivery_id], dead_from=None, dead_until=None, recipient=""
    )
    assert replayed.status is DeliveryStatus.PENDING and replayed.replays == 1 and replayed.attempts == 0
    (delivered,) = await w.delivery_app.send_due()
    assert delivered.status is DeliveryStatus.DELIVERED
    assert w.senders[ChannelKind.WEBHOOK].sent[0][0].message_id == dead.message_id
    with pytest.raises(RuleViolation, match="only dead letters"):
        await w.delivery_app.replay(delivery_ids=[delivery_id], dead_from=None, dead_until=None, recipient="")
    with pytest.raises(ValidationFailed) as invalid:
        await w.delivery_app.replay(delivery_ids=[], dead_from=None, dead_until=None, recipient="")
    assert "delivery_ids" in violations_of(invalid.value)


async def test_replay_by_time_range_takes_only_the_letters_that_died_in_it() -> None:
    w = world(policy=RetryPolicy(max_attempts=1))
    w.senders[ChannelKind.WEBHOOK].fail = 99
    await subscribe(w, event_types=("jingwu.rooms.v1.RoomOpened",))
    early, early_payload = room_opened()
    (early_id,) = await fan_out(w, early, early_payload)
    await w.delivery_app.send_due()
    w.clock.advance(hours=2)
    late, late_payload = room_opened()
    (late_id,) = await fan_out(w, late, late_payload)
    await w.delivery_app.send_due()
    start = w.clock.now() - timedelta(hours=1)
    replayed = await w.delivery_app.replay(delivery_ids=[], dead_from=start, dead_until=None, recipient="")
    assert [d.delivery_id for d in replayed] == [late_id]
    assert (await w.deliveries.get(early_id)).status is DeliveryStatus.DEAD  # type: ignore[union-attr]


async def test_a_refusal_no_retry_can_fix_dies_at_once() -> None:
    w = world(policy=POLICY)
    w.senders[ChannelKind.WEBHOOK].fail, w.senders[ChannelKind.WEBHOOK].retryable = 1, False
    await subscribe(w, event_types=("jingwu.rooms.v1.RoomOpened",))
    event, payload = room_opened()
    await fan_out(w, event, payload)
    (dead,) = await w.delivery_app.send_due()
    assert dead.status is DeliveryStatus.DEAD and dead.attempts == 1


async def test_a_claim_is_taken_once_and_a_dead_senders_claim_is_taken_over_after_its_lease() -> None:
    w = world()
    await subscribe(w, event_types=("jingwu.rooms.v1.RoomOpened",))
    event, payload = room_opened()
    (delivery_id,) = await fan_out(w, event, payload)
    pending = await w.deliveries.get(delivery_id)
    assert pending is not None
    # Another sender claimed it (and died before recording anything).
    assert await w.deliveries.save(
        claim(pending, at=w.clock.now(), holder="dead-pod", policy=w.delivery_app.policy)
    )
    assert await w.delivery_app.send(pending) is None  # this sender read it pending: its claim loses
    assert await w.delivery_app.send_due() == []  # the other claim's lease still holds
    w.clock.advance(seconds=61)
    (taken_over,) = await w.delivery_app.send_due()
    assert taken_over.status is DeliveryStatus.DELIVERED and taken_over.attempts == 2
    assert len(w.senders[ChannelKind.WEBHOOK].sent) == 1


async def test_a_cancelled_subscription_gets_nothing_more() -> None:
    w = world()
    subscription_id = await subscribe(w, event_types=("jingwu.rooms.v1.RoomOpened",))
    event, payload = room_opened()
    await fan_out(w, event, payload)
    await w.subscription_app.cancel(subscription_id=subscription_id, reason="系统下线", caller=ADMIN)
    (cancelled,) = await w.delivery_app.send_due()
    assert cancelled.status is DeliveryStatus.CANCELLED and w.senders[ChannelKind.WEBHOOK].sent == []
    later, later_payload = room_opened()
    assert await fan_out(w, later, later_payload) == []


async def test_a_subscription_names_real_event_types_this_district_and_its_zones() -> None:
    w = world()
    with pytest.raises(ValidationFailed) as invalid:
        await w.subscription_app.create(
            subscriber="CC",
            system=None,
            flt=SubscriptionFilter(
                event_types=("jingwu.rooms.v1.RoomOpend", "jingwu.nothing.v1.*", "rooms"),
                districts=("02",),
                zone_codes=("0201",),
            ),
            target=TargetKind.WEBHOOK,
            address="ftp://x",
            caller=ADMIN,
        )
    assert set(violations_of(invalid.value)) == {
        "subscriber", "system", "filter.event_types[0]", "filter.event_types[1]", "filter.event_types[2]",
        "filter.districts", "filter.zone_codes[0]", "webhook.url",
    }  # fmt: skip


async def test_a_kafka_subscriber_gets_its_group_pattern_and_acls() -> None:
    w = world()
    subscription = await w.subscription_app.create(
        subscriber="traffic",
        system=SubscriberSystem.TRAFFIC,
        flt=SubscriptionFilter(
            event_types=("jingwu.patrol.v1.*", "jingwu.telemetry.v1.ZoneEntered"), districts=("01", "02")
        ),
        target=TargetKind.KAFKA,
        address="User:traffic",
        caller=ADMIN,
    )
    access = w.subscription_app.kafka_access(subscription)
    assert access is not None and subscription.secret == ""
    assert access.consumer_group == "jingwu-sub-traffic"
    assert access.topic_pattern == r"^jingwu\.(01|02)\.(patrol|telemetry)\.v1$"
    assert access.topics == ("jingwu.01.patrol.v1", "jingwu.01.telemetry.v1")
    grants = {(a.resource_type, a.resource_name, a.pattern_type, a.operation) for a in access.acls}
    assert ("group", "jingwu-sub-traffic", "prefixed", "read") in grants
    assert ("topic", "jingwu.01.patrol.v1", "literal", "read") in grants
    assert not any("02" in a.resource_name for a in access.acls)  # district 02 grants its own


async def test_reminders_are_deduplicated_by_cause_and_delivered_on_the_officers_channels() -> None:
    w = world()
    await w.with_room()
    await w.directory.set_contact(
        owner=ContactOwner.OFFICER,
        owner_id="officer-1",
        email="officer1@pcs.example",
        group_key="grp-1",
        caller=OFFICER,
    )
    finding = personnel_pb2.StaffingFinding(
        finding_id="f-1",
        kind=personnel_pb2.STAFFING_FINDING_KIND_VILLAGE_DAYS_SHORT,
        rule_id="R-PER-8",
        officer_id="officer-1",
        detail="本月进村 1 天，少于 2 天",
    )
    payload = personnel_events.StaffingFindingRaised(district_code=DISTRICT, finding=finding)
    handlers = PersonnelEventHandlers(w.directory, w.reminder_app)
    for _ in range(2):  # re-delivered, or the same finding raised again under a new event id
        event = new_event(payload, key="f-1", district=DISTRICT, service="personnel")
        await handlers.on_staffing_finding(event, payload)
    (reminder,) = w.reminders.all()
    assert (reminder.kind, reminder.rule_id, reminder.officer_id) == (
        ReminderKind.VISITS_DUE,
        "R-PER-8",
        "officer-1",
    )
    (issued,) = w.outbox.of_type(events_pb2.ReminderIssued)

    own = OwnEventHandlers(w.delivery_app, w.reminder_app)
    issued_event = new_event(issued, key="officer-1", district=DISTRICT, service="notification")
    await own.on_reminder_issued(issued_event, issued)
    await own.on_reminder_issued(issued_event, issued)
    channels = sorted(d.channel.value for d in w.deliveries.all())
    assert channels == ["email", "group"]
    await w.delivery_app.send_due()
    (mail, _, _) = w.senders[ChannelKind.EMAIL].sent[0]
    assert mail.address == "officer1@pcs.example" and mail.subject == "[R-PER-8] 进村走访待完成"


async def test_an_overdue_inspection_reminds_the_officers_of_the_zone() -> None:
    w = world()
    await w.with_room()
    payload = population_events.PlaceInspectionOverdue(
        district_code=DISTRICT, place_id="pl-1", zone_code="01020301"
    )
    payload.due_date.year, payload.due_date.month, payload.due_date.day = 2026, 3, 1
    event = new_event(payload, key="pl-1", district=DISTRICT, service="population")
    await PopulationEventHandlers(w.directory, w.reminder_app).on_inspection_overdue(event, payload)
    (reminder,) = w.reminders.all()
    assert (reminder.officer_id, reminder.kind, reminder.rule_id) == (
        "officer-1",
        ReminderKind.INSPECTION_DUE,
        "R-POP-3",
    )


async def test_zone_codes_are_read_from_any_depth_of_an_event() -> None:
    room = room_events.RoomOpened(room=rooms_pb2.Room(zone_codes=["01020301", "01020302"]))
    assert zone_codes_of(room) == ["01020301", "01020302"]
    joint = patrol_events.JointPatrolMissed(zone_code="01030101")
    assert zone_codes_of(joint) == ["01030101"]
    redivided = room_events.ZonesRedivided(from_zone_codes=["01020301"], to_zone_codes=["01020309"])
    assert zone_codes_of(redivided) == ["01020301", "01020309"]


async def test_a_contact_point_for_someone_else_needs_a_leader() -> None:
    w = world()
    stranger = Caller("officer-2", DISTRICT, frozenset({Role.OFFICER}))
    with pytest.raises(Exception, match="SetContactPoint for someone else"):
        await w.directory.set_contact(
            owner=ContactOwner.OFFICER, owner_id="officer-1", email="", group_key="", caller=stranger
        )
    room_contact = await w.directory.set_contact(
        owner=ContactOwner.ROOM, owner_id=ROOM.room_id, email="", group_key="bianhe-group", caller=LEADER
    )
    assert room_contact.recipient == "room/room-1"
    with pytest.raises(ValidationFailed, match="not an e-mail address"):
        await w.directory.set_contact(
            owner=ContactOwner.STATION, owner_id="st-1", email="desk", group_key="", caller=LEADER
        )
