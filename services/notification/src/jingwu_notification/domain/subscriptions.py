"""Subscriptions of other police systems to a district's events (R-NOT-5). Pure.

A subscription is granted by the district whose events it reads (R-POP-6). Its filter narrows by event
type (a full ``ce_type`` or a whole domain ``jingwu.<domain>.v1.*``), by district and by zone (an event
matches when one of the zone codes it carries starts with one of the filter's codes). It is delivered as
signed webhooks, or read straight from Kafka with the subscriber's own consumer group under the ACLs
``kafka_access`` computes.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from urllib.parse import urlsplit

from jingwu_platform.errors import RuleViolation, Validator

SUBSCRIBER = re.compile(r"^[a-z][a-z0-9-]{1,38}[a-z0-9]$")
_EVENT_TYPE = re.compile(r"^jingwu\.([a-z]+)\.v1\.(\*|[A-Z][A-Za-z0-9]*)$")
_DISTRICT = re.compile(r"^\d{2}$")
_ZONE_PREFIX = re.compile(r"^\d{2,8}$")
_PRINCIPAL = re.compile(r"^User:[A-Za-z0-9._-]{1,64}$")


class SubscriberSystem(StrEnum):
    COMMAND_CENTRE = "command_centre"
    CRIMINAL_INVESTIGATION = "criminal_investigation"
    TRAFFIC = "traffic"
    OTHER = "other"


class SubscriptionStatus(StrEnum):
    ACTIVE = "active"
    CANCELLED = "cancelled"


class TargetKind(StrEnum):
    WEBHOOK = "webhook"
    KAFKA = "kafka"


@dataclass(frozen=True)
class SubscriptionFilter:
    event_types: tuple[str, ...]
    districts: tuple[str, ...] = ()
    zone_codes: tuple[str, ...] = ()

    def matches(self, *, event_type: str, district: str, zone_codes: Collection[str]) -> bool:
        if not any(_type_matches(pattern, event_type) for pattern in self.event_types):
            return False
        if self.districts and district not in self.districts:
            return False
        if self.zone_codes:
            return any(code.startswith(prefix) for code in zone_codes for prefix in self.zone_codes)
        return True

    def domains(self) -> list[str]:
        return sorted({_EVENT_TYPE.match(t).group(1) for t in self.event_types if _EVENT_TYPE.match(t)})  # type: ignore[union-attr]


def _type_matches(pattern: str, event_type: str) -> bool:
    if pattern.endswith(".*"):
        return event_type.startswith(pattern[:-1])
    return pattern == event_type


@dataclass(frozen=True)
class Subscription:
    subscription_id: str
    subscriber: str
    system: SubscriberSystem
    filter: SubscriptionFilter
    target: TargetKind
    # Webhook URL, or the Kafka principal.
    address: str
    # Standard Webhooks signing secret ("whsec_" + base64); empty for Kafka targets.
    secret: str
    status: SubscriptionStatus
    created_by: str
    create_time: datetime
    updated_by: str = ""
    update_time: datetime | None = None
    cancel_reason: str = ""
    version: int = 0

    @property
    def active(self) -> bool:
        return self.status is SubscriptionStatus.ACTIVE

    def wants(self, *, event_type: str, district: str, zone_codes: Collection[str]) -> bool:
        """Webhook delivery: an active webhook subscription whose filter matches."""
        return (
            self.active
            and self.target is TargetKind.WEBHOOK
            and self.filter.matches(event_type=event_type, district=district, zone_codes=zone_codes)
        )


def validate_filter(
    v: Validator, flt: SubscriptionFilter, *, district: str, known_types: Collection[str]
) -> None:
    known_domains = {t.split(".")[1] for t in known_types}
    v.check(bool(flt.event_types), "filter.event_types", "name at least one event type or domain")
    for i, pattern in enumerate(flt.event_types):
        field = f"filter.event_types[{i}]"
        match = _EVENT_TYPE.match(pattern)
        if not v.check(match is not None, field, f"not an event type or 'jingwu.<domain>.v1.*': {pattern!r}"):
            continue
        assert match is not None
        if match.group(2) == "*":
            v.check(
                match.group(1) in known_domains,
                field,
                f"no events are published in domain {match.group(1)!r}",
            )
        else:
            v.check(pattern in known_types, field, f"no such event type: {pattern} (see docs/events.md)")
    for i, code in enumerate(flt.districts):
        v.check(
            bool(_DISTRICT.match(code)), f"filter.districts[{i}]", f"a district is two digits, got {code!r}"
        )
    if flt.districts:
        v.check(
            district in flt.districts,
            "filter.districts",
            f"this is district {district}'s service: it serves only its own events, so list {district}",
        )
    for i, code in enumerate(flt.zone_codes):
        field = f"filter.zone_codes[{i}]"
        if v.check(
            bool(_ZONE_PREFIX.match(code)), field, f"a zone code or prefix is 2–8 digits, got {code!r}"
        ):
            v.check(code.startswith(district), field, f"zone {code} is not in district {district} (R-ORG-2)")


def validate_target(v: Validator, target: TargetKind | None, address: str) -> None:
    if target is None:
        v.add("target", "give a webhook URL or a Kafka principal")
        return
    if target is TargetKind.WEBHOOK:
        parts = urlsplit(address)
        v.check(
            parts.scheme in ("http", "https") and bool(parts.hostname),
            "webhook.url",
            f"must be an http(s) URL, got {address!r}",
        )
    else:
        v.check(
            bool(_PRINCIPAL.match(address)), "kafka.principal", f"must look like 'User:name', got {address!r}"
        )


def new_subscription(
    *,
    subscription_id: str,
    subscriber: str,
    system: SubscriberSystem | None,
    flt: SubscriptionFilter,
    target: TargetKind | None,
    address: str,
    secret: str,
    district: str,
    known_types: Collection[str],
    at: datetime,
    by: str,
) -> Subscription:
    v = Validator()
    v.check(bool(SUBSCRIBER.match(subscriber)), "subscriber", "3–40 lowercase letters, digits or '-'")
    v.check(system is not None, "system", "is required")
    validate_filter(v, flt, district=district, known_types=known_types)
    validate_target(v, target, address)
    v.raise_if_any()
    assert system is not None and target is not None
    return Subscription(
        subscription_id=subscription_id,
        subscriber=subscriber,
        system=system,
        filter=replace(flt, districts=tuple(sorted(set(flt.districts)))),
        target=target,
        address=address,
        secret=secret if target is TargetKind.WEBHOOK else "",
        status=SubscriptionStatus.ACTIVE,
        created_by=by,
        create_time=at,
    )


def cancel(subscription: Subscription, *, reason: str, at: datetime, by: str) -> Subscription:
    if not subscription.active:
        raise RuleViolation("R-NOT-5", subscription.subscription_id, "the subscription is cancelled already")
    return replace(
        subscription, status=SubscriptionStatus.CANCELLED, cancel_reason=reason, updated_by=by, update_time=at
    )


# --- Kafka access ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class KafkaAcl:
    principal: str
    resource_type: str  # "topic" | "group"
    resource_name: str
    pattern_type: str  # "literal" | "prefixed"
    operation: str  # "read" | "describe"


@dataclass(frozen=True)
class KafkaAccess:
    consumer_group: str
    topic_pattern: str
    topics: tuple[str, ...]
    acls: tuple[KafkaAcl, ...]


def consumer_group(subscriber: str) -> str:
    """The subscriber's own group; no Jingwu service's group starts with ``jingwu-sub-``."""
    return f"jingwu-sub-{subscriber}"


def kafka_access(subscription: Subscription, district: str) -> KafkaAccess | None:
    """What a Kafka subscriber reads and the ACLs this district grants it: READ and DESCRIBE on its
    domain topics here, READ on its own consumer group (prefixed, so it may run several)."""
    if subscription.target is not TargetKind.KAFKA:
        return None
    domains = subscription.filter.domains()
    districts = subscription.filter.districts or (district,)
    topics = tuple(f"jingwu.{district}.{d}.v1" for d in domains)
    district_part = districts[0] if len(districts) == 1 else "(" + "|".join(districts) + ")"
    domain_part = domains[0] if len(domains) == 1 else "(" + "|".join(domains) + ")"
    pattern = rf"^jingwu\.{district_part}\.{domain_part}\.v1$"
    principal = subscription.address
    group = consumer_group(subscription.subscriber)
    acls = [KafkaAcl(principal, "topic", t, "literal", op) for t in topics for op in ("read", "describe")]
    acls.append(KafkaAcl(principal, "group", group, "prefixed", "read"))
    return KafkaAccess(group, pattern, topics, tuple(acls))


def matching(
    subscriptions: Iterable[Subscription], *, event_type: str, district: str, zone_codes: Collection[str]
) -> list[Subscription]:
    return [
        s for s in subscriptions if s.wants(event_type=event_type, district=district, zone_codes=zone_codes)
    ]
