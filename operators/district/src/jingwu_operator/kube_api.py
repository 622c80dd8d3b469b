"""Adapter: the Kubernetes API through lightkube (server-side apply, field manager ``jingwu-operator``)."""

from __future__ import annotations

import base64
from collections.abc import Iterable, Mapping
from typing import Any

from lightkube import ApiError, AsyncClient
from lightkube.core.resource import NamespacedResource, Resource
from lightkube.generic_resource import create_global_resource
from lightkube.resources.apps_v1 import Deployment
from lightkube.resources.batch_v1 import CronJob
from lightkube.resources.core_v1 import ConfigMap, Namespace, Secret, Service, ServiceAccount
from lightkube.resources.policy_v1 import PodDisruptionBudget
from lightkube.types import CascadeType, PatchType

from jingwu_operator import naming

District = create_global_resource(naming.GROUP, naming.VERSION, naming.KIND, naming.PLURAL)

# Kinds of chart output, listed to prune what the chart no longer renders (a disabled service).
PRUNABLE: tuple[type[NamespacedResource], ...] = (
    Deployment,
    Service,
    ConfigMap,
    ServiceAccount,
    PodDisruptionBudget,
    CronJob,
)


def object_name(obj: object) -> str:
    meta = getattr(obj, "metadata", None)
    return str(getattr(meta, "name", None) or "")


def object_key(obj: object) -> tuple[str, str]:
    name = object_name(obj)
    return type(obj).__name__, name


class Kube:
    def __init__(self, client: AsyncClient) -> None:
        self.client = client

    async def apply(self, obj: Resource) -> None:
        await self.client.apply(obj, field_manager=naming.FIELD_MANAGER, force=True)  # type: ignore[call-overload]

    async def apply_all(self, objects: Iterable[Resource]) -> int:
        count = 0
        for obj in objects:
            await self.apply(obj)
            count += 1
        return count

    async def read_secret(self, namespace: str, name: str) -> dict[str, str] | None:
        try:
            secret = await self.client.get(Secret, name, namespace=namespace)
        except ApiError as exc:
            if exc.status.code == 404:
                return None
            raise
        return {k: base64.b64decode(v).decode() for k, v in (secret.data or {}).items()}

    async def create_secret_once(self, secret: Secret) -> bool:
        """Create the Secret unless it exists; an existing one is never rewritten. True if created."""
        try:
            await self.client.create(secret, field_manager=naming.FIELD_MANAGER)
        except ApiError as exc:
            if exc.status.code == 409:
                return False
            raise
        return True

    async def prune(self, code: str, keep: set[tuple[str, str]]) -> list[str]:
        """Delete chart objects of this district that the chart no longer renders."""
        selector: dict[str, Any] = {**naming.selector(code), naming.LABEL_COMPONENT: "workload"}
        removed = []
        ns = naming.namespace(code)
        for kind in PRUNABLE:
            async for obj in self.client.list(kind, namespace=ns, labels=selector):
                key = object_key(obj)
                if key not in keep:
                    # Background: a pruned CronJob's Jobs and pods go with it.
                    await self.client.delete(kind, key[1], namespace=ns, cascade=CascadeType.BACKGROUND)
                    removed.append(f"{key[0]}/{key[1]}")
        return removed

    async def delete_namespace(self, name: str) -> bool:
        try:
            await self.client.delete(Namespace, name)
        except ApiError as exc:
            if exc.status.code == 404:
                return False
            raise
        return True

    async def patch_status(self, name: str, status: Mapping[str, Any]) -> None:
        await self.client.patch(District.Status, name, {"status": dict(status)}, patch_type=PatchType.MERGE)
