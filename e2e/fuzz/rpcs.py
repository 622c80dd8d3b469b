"""Which RPCs to fuzz, from the code: every method of every served service (``served_services``, from
the contracts suite's SERVED table that a new service must join), each called on the processes that
serve it (the platform's StatusService on all)."""

from __future__ import annotations

from dataclasses import dataclass

from google.protobuf.descriptor import MethodDescriptor, ServiceDescriptor

from ..district_stack import path_of, served_services


@dataclass(frozen=True)
class Rpc:
    service: ServiceDescriptor
    method: MethodDescriptor
    processes: tuple[str, ...]  # the services (processes) that serve it

    @property
    def path(self) -> str:
        return path_of(self.method)

    @property
    def name(self) -> str:
        return f"{self.service.name}/{self.method.name}"


def served_rpcs() -> list[Rpc]:
    return [
        Rpc(served.descriptor, method, served.processes)
        for served in served_services()
        for method in served.descriptor.methods
    ]
