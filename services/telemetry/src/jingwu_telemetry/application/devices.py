"""Use cases of the device registry (R-TEL-1, R-TEL-2): provisioning, the JT/T 808 registration /
authentication / logout the gateways relay, attachment, disable and enable.

Every change writes, in the same store write as the device, its domain event (telemetry.v1) and the
device's new directory entry on the compacted topic the city gateways read (telemetry.devices.v1).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace

from google.protobuf.message import Message
from jingwu.telemetry.v1 import events_pb2
from jingwu_platform.auth import Caller
from jingwu_platform.errors import AlreadyExists, NotFound, RuleViolation, Validator
from jingwu_platform.events import new_event
from jingwu_platform.paging import next_page_token, page_limit
from jingwu_platform.usecase import Outgoing, UseCaseKit, retry_on_conflict

from jingwu_telemetry.adapters.proto_mapping import PROTOCOL_VERSION, device_to_proto, directory_entry
from jingwu_telemetry.application.ports import DeviceQuery, DeviceRepository
from jingwu_telemetry.domain import devices as rules
from jingwu_telemetry.domain.credentials import AuthCodes, fingerprint, matches
from jingwu_telemetry.domain.devices import (
    Attachment,
    Device,
    DeviceKind,
    DeviceStatus,
    HandheldIdentity,
    Jt808Identity,
    Reassignment,
    RegistrationOutcome,
)

SERVICE = "telemetry"
log = logging.getLogger(__name__)


def directory_topic(district: str) -> str:
    """The compacted topic of device directory entries the city gateways read."""
    return f"jingwu.{district}.telemetry.devices.v1"


class WrongAuthCode(Exception):
    """An authentication with a code that is not the device's current one (UNAUTHENTICATED)."""


@dataclass(frozen=True)
class Registered:
    """A terminal registration's answer (0x8100)."""

    outcome: RegistrationOutcome
    device: Device | None = None
    auth_code: str = ""


class DeviceApplication:
    def __init__(self, kit: UseCaseKit, devices: DeviceRepository, codes: AuthCodes) -> None:
        self._kit = kit
        self._devices = devices
        self._codes = codes

    # ── writes ───────────────────────────────────────────────────────────────────────────────────

    def _outgoing(self, device: Device, event: Message | None) -> list[Outgoing]:
        """The event and the directory entry, as one write's outbox."""
        kit = self._kit
        entry = new_event(
            directory_entry(kit.district, device, kit.now()),
            key=device.device_id,
            district=kit.district,
            service=SERVICE,
            at=kit.now(),
        )
        out: list[Outgoing] = [(entry, directory_topic(kit.district))]
        if event is not None:
            out.insert(0, kit.events(event, key=device.device_id))
        return out

    def _device_id(self, kind: DeviceKind | None, jt808: Jt808Identity | None, request_id: str) -> str:
        ids = self._kit.ids
        if kind is DeviceKind.VEHICLE_TERMINAL and jt808 is not None:
            # A terminal's id follows from its phone number (or terminal id): one device per terminal.
            if jt808.terminal_phone:
                return ids.stable("jt808", rules.normalize_phone(jt808.terminal_phone))
            if jt808.terminal_id:
                return ids.stable("jt808-id", jt808.terminal_id)
        return ids.for_request("device", request_id)

    async def register_device(
        self,
        caller: Caller,
        *,
        kind: DeviceKind | None,
        jt808: Jt808Identity | None,
        handheld: HandheldIdentity | None,
        attachment: Attachment,
        request_id: str,
    ) -> tuple[Device, str]:
        """Provision a device (R-TEL-1); a handheld's auth code comes back (shown once, and again to a
        repeat of the same request)."""
        device = rules.provision(
            device_id=self._device_id(kind, jt808, request_id),
            kind=kind,
            district=self._kit.district,
            jt808=jt808,
            handheld=handheld,
            attachment=attachment,
            request_id=request_id,
            actor=caller.subject,
            at=self._kit.now(),
        )
        if device.jt808 is not None and device.jt808.terminal_phone:
            holder = await self._devices.by_terminal_phone(device.jt808.terminal_phone)
            if holder is not None and holder.device_id != device.device_id:
                raise AlreadyExists("device with terminal phone", device.jt808.terminal_phone)
        code = ""
        if device.kind is DeviceKind.HANDHELD:
            code = self._codes.code(device.device_id, device.credential_generation)
            device = replace(device, credential_hash=fingerprint(code))
        event = events_pb2.DeviceRegistered(
            district_code=self._kit.district,
            device=device_to_proto(device),
            occur_time=self._kit.events.occur_time(),
        )
        if await self._devices.add(device, self._outgoing(device, event)):
            log.info("device provisioned", extra={"device_id": device.device_id, "kind": device.kind.value})
            return device, code
        existing = await self._devices.get(device.device_id)
        assert existing is not None
        if existing.request_id != request_id or not request_id:
            raise AlreadyExists("device", device.device_id)
        if existing.kind is DeviceKind.HANDHELD:
            code = self._codes.code(existing.device_id, existing.credential_generation)
        return existing, code

    async def register_terminal(self, registration: Jt808Identity) -> Registered:
        """A terminal's 0x0100, relayed by the gateway: the 0x8100 result and, on success, the code.
        A repeat of a successful registration succeeds again with the same code."""
        phone = rules.normalize_phone(registration.terminal_phone)
        registration = replace(registration, terminal_phone=phone)

        async def attempt() -> Registered | None:
            device = await self._devices.by_terminal_phone(phone) if phone else None
            if device is None and registration.terminal_id:
                device = await self._devices.by_terminal_id(registration.terminal_id)
                if device is not None and device.terminal_phone and device.terminal_phone != phone:
                    device = None  # whitelisted under another phone number
            holder = await self._devices.by_plate(registration.plate) if registration.plate else None
            outcome = rules.registration_outcome(
                device, terminal_id=registration.terminal_id, plate=registration.plate, plate_holder=holder
            )
            if outcome is not RegistrationOutcome.SUCCESS:
                return Registered(outcome)
            assert device is not None
            code = self._codes.code(device.device_id, device.credential_generation)
            registered = rules.register_terminal(
                device, registration, fingerprint(code), self._kit.system_caller().subject, self._kit.now()
            )
            assert registered.jt808 is not None
            event = events_pb2.TerminalRegistered(
                district_code=self._kit.district,
                device_id=device.device_id,
                occur_time=self._kit.events.occur_time(),
            )
            event.terminal.CopyFrom(device_to_proto(registered).jt808)
            stored = await self._devices.save(registered, self._outgoing(registered, event))
            return None if stored is None else Registered(outcome, stored, code)

        result = await retry_on_conflict(attempt, f"terminal {phone}")
        log.info(
            "terminal registration",
            extra={"terminal_phone": phone, "outcome": result.outcome.name},
        )
        return result

    async def deregister_terminal(self, terminal_phone: str) -> Device:
        """A terminal's logout 0x0003: its auth code is revoked."""
        phone = rules.normalize_phone(terminal_phone)

        async def attempt() -> Device | None:
            device = await self._terminal(phone)
            changed = rules.deregister_terminal(device, self._kit.system_caller().subject, self._kit.now())
            if changed is device:
                return device
            event = events_pb2.TerminalDeregistered(
                district_code=self._kit.district,
                device_id=device.device_id,
                occur_time=self._kit.events.occur_time(),
            )
            return await self._devices.save(changed, self._outgoing(changed, event))

        return await retry_on_conflict(attempt, f"terminal {phone}")

    async def authenticate(
        self,
        *,
        terminal_phone: str,
        device_id: str,
        auth_code: str,
        imei: str = "",
        firmware_version: str = "",
        remote_address: str = "",
        protocol_version: rules.ProtocolVersion | None = None,
    ) -> Device:
        """0x0102 or a handheld login: NotFound, RuleViolation (disabled) or WrongAuthCode otherwise."""
        phone = rules.normalize_phone(terminal_phone)

        async def attempt() -> Device | None:
            device = await self._terminal(phone) if phone else await self._get(device_id)
            if not device.enabled:
                raise RuleViolation("R-TEL-1", device.device_id, "the device is disabled")
            if not matches(auth_code, device.credential_hash):
                raise WrongAuthCode(f"device {device.device_id}: the auth code is not the current one")
            changed = rules.authenticated(
                device,
                imei=imei,
                firmware_version=firmware_version,
                actor=self._kit.system_caller().subject,
                at=self._kit.now(),
            )
            event = events_pb2.DeviceAuthenticated(
                district_code=self._kit.district,
                device_id=device.device_id,
                device_kind=device_to_proto(device).kind,
                remote_address=remote_address,
                occur_time=self._kit.events.occur_time(),
            )
            if protocol_version is not None:
                event.protocol_version = PROTOCOL_VERSION.to_proto(protocol_version)
            # The directory entry does not change on an authentication: only the event.
            return await self._devices.save(changed, [self._kit.events(event, key=device.device_id)])

        return await retry_on_conflict(attempt, f"device {device_id or phone}")

    async def assign(self, caller: Caller, device_id: str, change: Reassignment) -> Device:
        async def attempt() -> Device | None:
            device = await self._get(device_id)
            changed = rules.reassign(device, change, self._kit.district, caller.subject, self._kit.now())
            event = events_pb2.DeviceAssigned(
                district_code=self._kit.district,
                device=device_to_proto(changed),
                occur_time=self._kit.events.occur_time(),
            )
            return await self._devices.save(changed, self._outgoing(changed, event))

        return await retry_on_conflict(attempt, f"device {device_id}")

    async def disable(self, caller: Caller, device_id: str, reason: str) -> Device:
        async def attempt() -> Device | None:
            device = await self._get(device_id)
            changed = rules.disable(device, reason, caller.subject, self._kit.now())
            if changed is device:
                return device
            event = events_pb2.DeviceDisabled(
                district_code=self._kit.district,
                device_id=device_id,
                reason=changed.disabled_reason,
                occur_time=self._kit.events.occur_time(),
            )
            return await self._devices.save(changed, self._outgoing(changed, event))

        return await retry_on_conflict(attempt, f"device {device_id}")

    async def enable(self, caller: Caller, device_id: str) -> Device:
        async def attempt() -> Device | None:
            device = await self._get(device_id)
            changed = rules.enable(device, caller.subject, self._kit.now())
            if changed is device:
                return device
            event = events_pb2.DeviceEnabled(
                district_code=self._kit.district,
                device=device_to_proto(changed),
                occur_time=self._kit.events.occur_time(),
            )
            return await self._devices.save(changed, self._outgoing(changed, event))

        return await retry_on_conflict(attempt, f"device {device_id}")

    # ── reads ────────────────────────────────────────────────────────────────────────────────────

    async def _get(self, device_id: str) -> Device:
        device = await self._devices.get(device_id) if device_id else None
        if device is None:
            raise NotFound("device", device_id)
        return device

    async def _terminal(self, phone: str) -> Device:
        device = await self._devices.by_terminal_phone(phone) if phone else None
        if device is None:
            raise NotFound("terminal", phone)
        return device

    async def get_device(self, *, device_id: str, terminal_phone: str) -> Device:
        if not device_id and not terminal_phone:
            check = Validator()
            check.add("device_id", "a device id or a terminal phone number")
            check.raise_if_any()
        if device_id:
            return await self._get(device_id)
        return await self._terminal(rules.normalize_phone(terminal_phone))

    async def list_devices(self, query: DeviceQuery, page_size: int) -> tuple[list[Device], str]:
        limit = page_limit(page_size)
        found = await self._devices.list(replace(query, limit=limit))
        return found, next_page_token(found, limit, key=lambda d: d.device_id)

    async def devices(self, device_ids: list[str]) -> dict[str, Device]:
        return await self._devices.get_many(device_ids)


__all__ = ["SERVICE", "DeviceApplication", "DeviceStatus", "Registered", "WrongAuthCode", "directory_topic"]
