"""kopf handlers: create/update/resume reconcile, a timer re-applies (drift), delete honours deletionPolicy.

Every pass is the same idempotent ``Reconciler.reconcile``: server-side apply of every Kubernetes object,
create-once Secrets, topics and database ensured. Status conditions are written as each stage finishes,
Kubernetes Events are posted when a condition changes, and failures raise ``kopf.TemporaryError`` with
exponential backoff.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import kopf
from lightkube import AsyncClient
from lightkube.core.resource import NamespacedResource
from lightkube.resources.apps_v1 import Deployment

from jingwu_operator import conditions, helm, kafka_admin, mongo_admin, naming, render
from jingwu_operator.config import OperatorConfig
from jingwu_operator.kube_api import Kube, object_key, object_name
from jingwu_operator.spec import DistrictSpec, InvalidSpec, parse

log = logging.getLogger(__name__)


class StageFailed(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
        self.message = message


# The district chart rendered for one reconcile pass, or why it could not be.
Chart = list[NamespacedResource] | StageFailed


class StatusWriter:
    """Keeps the District's conditions, writes them through the status subresource, and posts an Event
    whenever a condition changes status or reason."""

    def __init__(self, kube: Kube, body: kopf.Body) -> None:
        self.kube = kube
        self.body = body
        self.name = str(body.metadata.name)
        self.generation = int(body.metadata.get("generation", 0))
        self.conditions: list[dict[str, Any]] = [dict(c) for c in body.status.get("conditions", [])]

    async def set(
        self, type_: str, status: conditions.Status, reason: str, message: str, **extra: Any
    ) -> None:
        before = conditions.get(self.conditions, type_)
        self.conditions = conditions.set_condition(
            self.conditions, type_, status, reason, message, generation=self.generation, now=datetime.now(UTC)
        )
        changed = before is None or before.get("status") != status or before.get("reason") != reason
        if changed:
            kopf.event(
                self.body,
                type="Normal" if status == "True" else "Warning",
                reason=f"{type_}{'' if status == 'True' else 'Failed'}"
                if type_ != conditions.READY
                else reason,
                message=f"{type_}={status}: {message}"[:1024],
            )
        await self.kube.patch_status(self.name, {"conditions": self.conditions, **extra})


class Reconciler:
    def __init__(self, config: OperatorConfig) -> None:
        self.config = config
        self._kube: Kube | None = None
        self._mongo: Any = None
        self._locks: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)

    @property
    def kube(self) -> Kube:
        if self._kube is None:
            self._kube = Kube(AsyncClient(field_manager=naming.FIELD_MANAGER))
        return self._kube

    @property
    def mongo(self) -> Any:
        if self._mongo is None:
            self._mongo = mongo_admin.client(self.config.mongo_url, self.config.mongo_timeout_seconds)
        return self._mongo

    async def close(self) -> None:
        if self._kube is not None:
            await self._kube.client.close()
        if self._mongo is not None:
            await self._mongo.close()

    # -- the reconcile pass -------------------------------------------------------------------------

    async def reconcile(self, body: kopf.Body, retry: int) -> None:
        writer = StatusWriter(self.kube, body)
        try:
            spec = parse(body.spec)
        except InvalidSpec as exc:
            await writer.set(conditions.READY, "False", "InvalidSpec", str(exc))
            raise kopf.PermanentError(f"invalid spec: {exc}") from exc
        owner = render.Owner(name=str(body.metadata.name), uid=str(body.metadata.uid))
        async with self._locks[owner.name]:
            failures: list[str] = []

            async def stage(type_: str, run: Callable[[], Awaitable[tuple[str, str]]]) -> bool:
                try:
                    reason, message = await run()
                except StageFailed as exc:
                    await writer.set(type_, "False", exc.reason, exc.message)
                    failures.append(f"{type_}: {exc.message}")
                    return False
                await writer.set(type_, "True", reason, message)
                return True

            # Rendered once per pass: the namespace's quota makes room for the CronJobs it holds.
            chart = await self._render_chart(spec, owner)
            namespace_ok = await stage(conditions.NAMESPACE, lambda: self._namespace(spec, owner, chart))
            if namespace_ok:
                await stage(conditions.DATABASE, lambda: self._database(spec, owner))
            else:
                for blocked in (conditions.DATABASE, conditions.WORKLOADS):
                    await writer.set(blocked, "False", "NamespaceNotReady", "waiting for the namespace")
            await stage(conditions.TOPICS, lambda: self._topics(spec))
            if namespace_ok:
                await stage(conditions.WORKLOADS, lambda: self._workloads(spec, owner, chart))
            status, reason, message = conditions.summarise(writer.conditions, writer.generation)
            extra: dict[str, Any] = {
                "namespace": naming.namespace(spec.code),
                "database": naming.database(spec.code),
                "topics": naming.topics(spec.code),
            }
            if status == "True":
                extra["observedGeneration"] = writer.generation
            await writer.set(conditions.READY, status, reason, message, **extra)
        if failures:
            raise kopf.TemporaryError("; ".join(failures), delay=self.config.backoff(retry))

    async def _namespace(self, spec: DistrictSpec, owner: render.Owner, chart: Chart) -> tuple[str, str]:
        code = spec.code
        ns = naming.namespace(code)
        job_pods = {} if isinstance(chart, StageFailed) else render.scheduled_pods(chart)
        try:
            await self.kube.apply(render.namespace(spec, owner))
            objects = [
                render.resource_quota(spec, owner, job_pods),
                render.limit_range(spec, owner),
                *render.network_policies(spec, owner),
                render.district_info(spec, owner),
            ]
            await self.kube.apply_all(objects)
            created = await self.kube.create_secret_once(
                render.secret(naming.auth_secret(code), spec, owner, {"secret": secrets.token_urlsafe(48)})
            )
        except Exception as exc:
            raise StageFailed("ApplyFailed", f"namespace {ns}: {exc}") from exc
        note = "auth secret created" if created else "auth secret kept"
        return "Applied", f"namespace {ns} with quota, limits, network policies, config; {note}"

    async def _database(self, spec: DistrictSpec, owner: render.Owner) -> tuple[str, str]:
        code = spec.code
        ns = naming.namespace(code)
        database = naming.database(code)
        user = naming.mongo_user(code)
        try:
            existing = await self.kube.read_secret(ns, naming.mongo_secret(code))
        except Exception as exc:
            raise StageFailed("ApplyFailed", f"reading the Mongo secret: {exc}") from exc
        password = (existing or {}).get("password") or secrets.token_urlsafe(24)
        try:
            report = await mongo_admin.ensure_database(
                self.mongo,
                database=database,
                code=code,
                names={"chinese": spec.names.chinese, "pinyin": spec.names.pinyin},
                user=user,
                password=password,
            )
        except mongo_admin.MongoAdminError as exc:
            raise StageFailed("MongoUnavailable", str(exc)) from exc
        reason = "Provisioned" if report.users_supported else "ProvisionedWithoutUser"
        if existing is None:
            url = render.mongo_url(
                self.config.mongo_for_services,
                user if report.users_supported else None,
                password if report.users_supported else None,
                database,
            )
            data = {"url": url, "database": database, "username": user, "password": password}
            try:
                await self.kube.create_secret_once(
                    render.secret(naming.mongo_secret(code), spec, owner, data)
                )
            except Exception as exc:
                raise StageFailed("ApplyFailed", f"creating the Mongo secret: {exc}") from exc
        return reason, report.message

    async def _topics(self, spec: DistrictSpec) -> tuple[str, str]:
        try:
            async with kafka_admin.admin_client(
                self.config.kafka_bootstrap, self.config.kafka_timeout_seconds
            ) as admin:
                report = await kafka_admin.ensure_district(admin, spec)
        except kafka_admin.KafkaAdminError as exc:
            raise StageFailed("KafkaUnavailable", str(exc)) from exc
        except Exception as exc:
            raise StageFailed("KafkaError", f"{type(exc).__name__}: {exc}") from exc
        return "Provisioned", report.message(len(naming.topics(spec.code)))

    async def _render_chart(self, spec: DistrictSpec, owner: render.Owner) -> Chart:
        """The district chart's objects for this spec, or why not (the workloads stage reports it)."""
        code = spec.code
        values = render.chart_values(
            spec,
            images=self.config.images,
            kafka_bootstrap=self.config.kafka_for_services,
            tracing_exporter=self.config.tracing_exporter,
            otlp_endpoint=self.config.otlp_endpoint,
        )
        try:
            documents = await helm.render(
                self.config.helm,
                self.config.chart,
                release=naming.release(code),
                namespace=naming.namespace(code),
                values=values,
            )
            return render.own_chart_objects(documents, spec, owner)
        except (helm.HelmError, render.ChartError) as exc:
            return StageFailed("ChartFailed", str(exc))

    async def _workloads(self, spec: DistrictSpec, owner: render.Owner, chart: Chart) -> tuple[str, str]:
        if isinstance(chart, StageFailed):
            raise chart
        code, objects = spec.code, chart
        try:
            await self.kube.apply_all(render.rbac(spec, owner, render.workload_accounts(objects)))
            count = await self.kube.apply_all(objects)
            removed = await self.kube.prune(code, {object_key(o) for o in objects})
        except Exception as exc:
            raise StageFailed("ApplyFailed", f"applying the chart: {exc}") from exc
        deployments = ", ".join(
            f"{object_name(o)}={o.spec.replicas if o.spec else '?'}"
            for o in objects
            if isinstance(o, Deployment)
        )
        pruned = f"; pruned {', '.join(removed)}" if removed else ""
        return (
            "Applied",
            f"{count} objects from {self.config.chart.name} applied (Deployments: {deployments}){pruned}",
        )

    # -- deletion -----------------------------------------------------------------------------------

    async def delete(self, body: kopf.Body, retry: int) -> None:
        spec_raw: Mapping[str, Any] = body.spec
        code = str(spec_raw.get("code", ""))
        policy = str(spec_raw.get("deletionPolicy", "Retain"))
        if not code:
            return
        async with self._locks[str(body.metadata.name)]:
            if policy == "Delete":
                try:
                    async with kafka_admin.admin_client(
                        self.config.kafka_bootstrap, self.config.kafka_timeout_seconds
                    ) as admin:
                        dropped = await kafka_admin.delete_topics(admin, naming.topics(code))
                    await mongo_admin.drop_database(
                        self.mongo, database=naming.database(code), user=naming.mongo_user(code)
                    )
                except (kafka_admin.KafkaAdminError, mongo_admin.MongoAdminError) as exc:
                    kopf.warn(body, reason="DeleteFailed", message=str(exc))
                    raise kopf.TemporaryError(str(exc), delay=self.config.backoff(retry)) from exc
                kopf.info(
                    body,
                    reason="DataDeleted",
                    message=f"deletionPolicy Delete: dropped {len(dropped)} topics, {naming.database(code)}",
                )
            else:
                kopf.info(
                    body,
                    reason="DataRetained",
                    message=f"deletionPolicy Retain: topics jingwu.{code}.* and {naming.database(code)} kept",
                )
            await self.kube.delete_namespace(naming.namespace(code))


def configure(settings: kopf.OperatorSettings) -> None:
    settings.persistence.finalizer = naming.FINALIZER
    settings.persistence.progress_storage = kopf.AnnotationsProgressStorage(prefix=naming.GROUP)
    settings.persistence.diffbase_storage = kopf.AnnotationsDiffBaseStorage(
        prefix=naming.GROUP, key="last-handled-configuration"
    )
    settings.peering.standalone = True
    settings.posting.level = logging.WARNING  # our own Events are posted explicitly
    settings.watching.server_timeout = 300
    settings.networking.request_timeout = 60


def register(registry: kopf.OperatorRegistry, config: OperatorConfig) -> Reconciler:
    """Register the District handlers on ``registry``; returns the reconciler they share."""
    reconciler = Reconciler(config)
    resource = (naming.GROUP, naming.VERSION, naming.PLURAL)

    @kopf.on.login(registry=registry)
    def _login(**kwargs: Any) -> kopf.ConnectionInfo | None:
        """In a pod: the ServiceAccount token; elsewhere: $KUBECONFIG (client certificates or token)."""
        return kopf.login_with_service_account(**kwargs) or kopf.login_with_kubeconfig(**kwargs)

    @kopf.on.cleanup(registry=registry)
    async def _cleanup(**_: Any) -> None:
        await reconciler.close()

    @kopf.on.resume(*resource, registry=registry)
    @kopf.on.create(*resource, registry=registry)
    @kopf.on.update(*resource, field="spec", registry=registry)
    async def _reconcile(body: kopf.Body, retry: int, **_: Any) -> None:
        await reconciler.reconcile(body, retry)

    @kopf.timer(
        *resource, interval=config.resync_seconds, initial_delay=config.resync_seconds, registry=registry
    )
    async def _resync(body: kopf.Body, **kwargs: Any) -> None:
        await reconciler.reconcile(body, int(kwargs.get("retry", 0)))

    @kopf.on.delete(*resource, registry=registry)
    async def _delete(body: kopf.Body, retry: int, **_: Any) -> None:
        await reconciler.delete(body, retry)

    return reconciler
