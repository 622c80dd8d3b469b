"""The local infrastructure: a single-node Kafka (KRaft) and FerretDB (SQLite backend) on 127.0.0.1.

Data layout under a data dir (``.data`` for ``devstack up``, a temp dir in tests)::

    kafka/server.properties   generated on each start (ports may change)
    kafka/log4j2.xml          copied from the package
    kafka/cluster.id          generated once; the storage is formatted once with it
    kafka/data/               the broker's log.dirs (topics, metadata log)
    kafka/kafka.log           broker output (kafka.log.1: the previous run)
    ferretdb/sqlite/          one SQLite file per database
    ferretdb/ferretdb.log
    state/<name>.json         pid, ports, start time of background processes (devstack up)
"""

from __future__ import annotations

import base64
import os
import socket
import struct
import subprocess
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TextIO

from jingwu_devstack.errors import DevstackError
from jingwu_devstack.fetch import ensure_ferretdb, ensure_kafka, require_java
from jingwu_devstack.paths import display_path
from jingwu_devstack.procs import (
    ProcessSpec,
    ReadyCheck,
    Supervisor,
    all_ready,
    command_line,
    log_ready,
    tcp_ready,
)

HOST = "127.0.0.1"
DEFAULT_KAFKA_PORT = 9092
DEFAULT_KAFKA_CONTROLLER_PORT = 9093
DEFAULT_MONGO_PORT = 27017
ENV_KAFKA_PORT = "JINGWU_KAFKA_PORT"
ENV_KAFKA_CONTROLLER_PORT = "JINGWU_KAFKA_CONTROLLER_PORT"
ENV_MONGO_PORT = "JINGWU_MONGO_PORT"
KAFKA_READY_TIMEOUT = 90.0
MONGO_READY_TIMEOUT = 30.0


@dataclass(frozen=True)
class Ports:
    """The TCP ports of the local infrastructure."""

    kafka: int = DEFAULT_KAFKA_PORT
    kafka_controller: int = DEFAULT_KAFKA_CONTROLLER_PORT
    mongo: int = DEFAULT_MONGO_PORT

    @classmethod
    def from_env(cls) -> Ports:
        """Ports from JINGWU_KAFKA_PORT, JINGWU_KAFKA_CONTROLLER_PORT, JINGWU_MONGO_PORT, else defaults."""

        def port(var: str, default: int) -> int:
            raw = os.environ.get(var, "").strip()
            if not raw:
                return default
            if not raw.isdigit() or not 0 < int(raw) < 65536:
                raise DevstackError(f"{var}={raw!r} is not a TCP port")
            return int(raw)

        return cls(
            kafka=port(ENV_KAFKA_PORT, DEFAULT_KAFKA_PORT),
            kafka_controller=port(ENV_KAFKA_CONTROLLER_PORT, DEFAULT_KAFKA_CONTROLLER_PORT),
            mongo=port(ENV_MONGO_PORT, DEFAULT_MONGO_PORT),
        )


@dataclass(frozen=True)
class Endpoints:
    """How clients reach the infrastructure."""

    kafka_bootstrap: str
    mongo_url: str

    def env_lines(self) -> list[str]:
        """``KEY=value`` lines for the services' configuration."""
        return [f"JINGWU_KAFKA_BOOTSTRAP={self.kafka_bootstrap}", f"JINGWU_MONGO_URL={self.mongo_url}"]


# FerretDB v1 applies an update as read-modify-write without isolation between connections (SQLite and
# PostgreSQL backends alike): concurrent updates of one document from two connections lose one (200
# concurrent $inc leave ~11). One connection per client serialises a process's own writes, and one
# process per service and district (single_replica; the service's own lock, jingwu_platform.store_guard)
# keeps every document to one writer. Production MongoDB has no such limit. See docs/adr/0003.
FERRETDB_CLIENT_OPTIONS = "maxPoolSize=1"


def ferretdb_url(host: str, port: int) -> str:
    """The URL clients of the local FerretDB must use (with FERRETDB_CLIENT_OPTIONS)."""
    return f"mongodb://{host}:{port}/?{FERRETDB_CLIENT_OPTIONS}"


def single_replica(mongo_url: str, service: str, district: str) -> Callable[[], None]:
    """A ProcessSpec precheck: refuse to start a second replica of ``service`` for ``district`` against
    the same local FerretDB, naming the running one. The service checks again itself at start (the lock
    it takes is what really guards; this says it before anything is spawned)."""

    def check() -> None:
        from jingwu_platform import store_guard

        store = store_guard.store_address(mongo_url)
        running = store_guard.holder(store, service, district)
        if running is not None:
            raise DevstackError(
                f"jingwu-{service} for district {district} is already running against the FerretDB at "
                f"{store}: pid {running.pid} (since {running.since}; {command_line(running.pid)}). "
                "FerretDB v1 loses concurrent updates made over different connections, so locally one "
                f"replica per service and district runs (docs/adr/0003); stop pid {running.pid} first"
            )

    return check


def endpoints(ports: Ports, host: str = HOST) -> Endpoints:
    """The client addresses for ``ports``."""
    return Endpoints(kafka_bootstrap=f"{host}:{ports.kafka}", mongo_url=ferretdb_url(host, ports.mongo))


# --------------------------------------------------------------------------------------------------
# readiness probes


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    buf = b""
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise ConnectionError("connection closed")
        buf += chunk
    return buf


def kafka_api_versions_ok(port: int, host: str = HOST, timeout: float = 1.0) -> bool:
    """True if a Kafka broker at ``host:port`` answers an ApiVersions (v0) request without error."""
    client_id = b"jingwu-devstack"
    correlation_id = 0x4A57
    request = struct.pack(">hhih", 18, 0, correlation_id, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(request)) + request)
            (size,) = struct.unpack(">i", _recv_exact(sock, 4))
            got_id, error_code = struct.unpack(">ih", _recv_exact(sock, size)[:6])
    except (OSError, struct.error):
        return False
    return bool(got_id == correlation_id and error_code == 0)


def mongo_ping_ok(url: str, timeout: float = 1.0) -> bool:
    """True if the MongoDB-wire server at ``url`` answers ``ping``."""
    import pymongo
    import pymongo.errors

    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        url, serverSelectionTimeoutMS=int(timeout * 1000), connectTimeoutMS=int(timeout * 1000)
    )
    try:
        return bool(client.admin.command("ping").get("ok") == 1)
    except pymongo.errors.PyMongoError:
        return False
    finally:
        client.close()


# --------------------------------------------------------------------------------------------------
# process specs


def _new_cluster_id() -> str:
    """A Kafka cluster id: 16 random bytes, URL-safe base64 without padding, not starting with '-'."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not cid.startswith("-"):
            return cid


def _server_properties(
    kafka_dir: Path,
    port: int,
    controller_port: int,
    host: str,
    *,
    advertised_port: int | None = None,
    extra_properties: Mapping[str, str] | None = None,
) -> str:
    settings = {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.voters": f"1@{host}:{controller_port}",
        "listeners": f"PLAINTEXT://{host}:{port},CONTROLLER://{host}:{controller_port}",
        "advertised.listeners": f"PLAINTEXT://{host}:{advertised_port or port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(kafka_dir / "data"),
        "auto.create.topics.enable": "false",
        "num.partitions": "3",
        "default.replication.factor": "1",
        "offsets.topic.replication.factor": "1",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        "log.retention.hours": "168",
        "log.segment.bytes": str(64 * 1024 * 1024),
        **(extra_properties or {}),
    }
    lines = ["# Generated by devstack on each start; edit stack.py instead."]
    lines += [f"{key}={value}" for key, value in settings.items()]
    return "\n".join(lines) + "\n"


def _java_argv(java: str, libs: Path, log4j: Path, level: str, heap: tuple[str, str]) -> list[str]:
    return [
        java,
        f"-Xms{heap[0]}",
        f"-Xmx{heap[1]}",
        "-XX:+ExitOnOutOfMemoryError",
        "-Djava.awt.headless=true",
        f"-Dlog4j2.configurationFile={log4j}",
        f"-Djingwu.kafka.log.level={level}",
        "-cp",
        f"{libs}/*",
    ]


def kafka_spec(
    libs: Path,
    data_dir: Path,
    port: int = DEFAULT_KAFKA_PORT,
    controller_port: int = DEFAULT_KAFKA_CONTROLLER_PORT,
    host: str = HOST,
    *,
    advertised_port: int | None = None,
    extra_properties: Mapping[str, str] | None = None,
) -> ProcessSpec:
    """Prepare ``<data_dir>/kafka`` (config; storage formatted once) and return the broker's spec.

    Ready when the log says "Kafka Server started" and the broker answers ApiVersions (on ``port``).
    ``advertised_port`` (default: ``port``) is the port the broker tells clients to connect to after
    bootstrap, e.g. a test's proxy in front of ``port`` (jingwu_devstack.tcp_proxy).
    ``extra_properties`` are server properties added to the generated ones, a key given there replacing
    the generated value: an authorizer, or listeners of another security protocol (keep a listener on
    ``port`` and on ``controller_port``; ApiVersions, the ready check, is answered before SASL
    authentication). They are written to ``server.properties`` as given, JAAS passwords included.
    """
    java = require_java()
    kafka_dir = data_dir / "kafka"
    (kafka_dir / "data").mkdir(parents=True, exist_ok=True)
    log4j = kafka_dir / "log4j2.xml"
    log4j.write_bytes(resources.files("jingwu_devstack").joinpath("kafka-log4j2.xml").read_bytes())
    config = kafka_dir / "server.properties"
    config.write_text(
        _server_properties(
            kafka_dir,
            port,
            controller_port,
            host,
            advertised_port=advertised_port,
            extra_properties=extra_properties,
        )
    )
    if not (kafka_dir / "data" / "meta.properties").exists():
        _format_storage(java, libs, log4j, kafka_dir, config)
    log_path = kafka_dir / "kafka.log"
    ready: ReadyCheck = all_ready(
        log_ready(log_path, "Kafka Server started"), lambda: kafka_api_versions_ok(port, host)
    )
    return ProcessSpec(
        name="kafka",
        argv=[*_java_argv(java, libs, log4j, "INFO", ("256m", "512m")), "kafka.Kafka", str(config)],
        log_path=log_path,
        cwd=kafka_dir,
        ports=(port, controller_port),
        host=host,
        ready=ready,
        ready_timeout=KAFKA_READY_TIMEOUT,
        stop_timeout=30.0,
    )


def _format_storage(java: str, libs: Path, log4j: Path, kafka_dir: Path, config: Path) -> None:
    id_file = kafka_dir / "cluster.id"
    cluster_id = id_file.read_text().strip() if id_file.exists() else ""
    if not cluster_id:
        cluster_id = _new_cluster_id()
        id_file.write_text(cluster_id + "\n")
    log = kafka_dir / "format.log"
    argv = [
        *_java_argv(java, libs, log4j, "WARN", ("64m", "256m")),
        "kafka.tools.StorageTool",
        "format",
        "--cluster-id",
        cluster_id,
        "--config",
        str(config),
        "--ignore-formatted",
    ]
    with log.open("wb") as f:
        proc = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=f, stderr=subprocess.STDOUT, check=False)
    if proc.returncode != 0:
        tail = "\n".join("    " + line for line in log.read_text(errors="replace").splitlines()[-15:])
        raise DevstackError(
            f"formatting Kafka storage in {display_path(kafka_dir / 'data')} failed; last lines of "
            f"{display_path(log)}:\n{tail}"
        )


def ferretdb_spec(
    binary: Path, data_dir: Path, port: int = DEFAULT_MONGO_PORT, host: str = HOST
) -> ProcessSpec:
    """Prepare ``<data_dir>/ferretdb`` and return FerretDB's spec (SQLite backend; the launcher has no
    telemetry and no debug listener). Ready when a MongoDB ``ping`` succeeds."""
    fdb_dir = data_dir / "ferretdb"
    (fdb_dir / "sqlite").mkdir(parents=True, exist_ok=True)
    url = f"mongodb://{host}:{port}/"
    return ProcessSpec(
        name="ferretdb",
        argv=[
            str(binary),
            f"--listen-addr={host}:{port}",
            f"--data-dir={fdb_dir / 'sqlite'}",
            "--log-level=info",
        ],
        log_path=fdb_dir / "ferretdb.log",
        cwd=fdb_dir,
        ports=(port,),
        host=host,
        ready=all_ready(tcp_ready(port, host), lambda: mongo_ping_ok(url)),
        ready_timeout=MONGO_READY_TIMEOUT,
        stop_timeout=10.0,
    )


def start_stack(
    sup: Supervisor, data_dir: Path, ports: Ports, host: str = HOST, out: TextIO | None = None
) -> Endpoints:
    """Fetch what is missing, then start (or reuse) Kafka and FerretDB under ``sup``; return endpoints."""
    libs = ensure_kafka(out).path
    ferretdb = ensure_ferretdb(out).path
    sup.start_many(
        [
            kafka_spec(libs, data_dir, ports.kafka, ports.kafka_controller, host),
            ferretdb_spec(ferretdb, data_dir, ports.mongo, host),
        ]
    )
    return endpoints(ports, host)
