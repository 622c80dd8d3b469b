"""The pytest fixtures give a real Kafka broker and a real MongoDB-wire store."""

from __future__ import annotations

import asyncio
import sys
import uuid
from pathlib import Path

import pymongo
from jingwu_devstack.paths import repo_root
from jingwu_devstack.procs import ProcessSpec, Supervisor, free_port, pid_alive
from jingwu_devstack.stack import _server_properties, kafka_api_versions_ok, mongo_ping_ok


def test_kafka_answers_api_versions(kafka_bootstrap: str) -> None:
    host, port = kafka_bootstrap.rsplit(":", 1)
    assert kafka_api_versions_ok(int(port), host)
    assert not kafka_api_versions_ok(free_port())


def test_kafka_round_trip(kafka_bootstrap: str) -> None:
    import aiokafka
    import aiokafka.admin as admin_mod

    topic = f"devstack-test-{uuid.uuid4().hex[:8]}"

    async def round_trip() -> tuple[bytes, int]:
        admin = admin_mod.AIOKafkaAdminClient(bootstrap_servers=kafka_bootstrap)
        await admin.start()
        try:
            await admin.create_topics([admin_mod.NewTopic(topic, num_partitions=3, replication_factor=1)])
        finally:
            await admin.close()
        producer = aiokafka.AIOKafkaProducer(
            bootstrap_servers=kafka_bootstrap, acks="all", enable_idempotence=True
        )
        await producer.start()
        try:
            await producer.send_and_wait(topic, b"hello", key=b"room-1")
        finally:
            await producer.stop()
        consumer = aiokafka.AIOKafkaConsumer(
            topic, bootstrap_servers=kafka_bootstrap, group_id=topic, auto_offset_reset="earliest"
        )
        await consumer.start()
        try:
            record = await asyncio.wait_for(consumer.getone(), timeout=30)
            partitions = len(consumer.partitions_for_topic(topic) or ())
        finally:
            await consumer.stop()
        return record.value, partitions

    value, partitions = asyncio.run(round_trip())
    assert value == b"hello"
    assert partitions == 3


def test_topics_are_not_auto_created(kafka_bootstrap: str, devstack_data_dir: Path) -> None:
    config = (devstack_data_dir / "kafka" / "server.properties").read_text().splitlines()
    assert "auto.create.topics.enable=false" in config
    assert "num.partitions=3" in config
    assert f"listeners=PLAINTEXT://{kafka_bootstrap}," in "\n".join(config)


def test_extra_server_properties_add_to_or_replace_the_generated_ones(tmp_path: Path) -> None:
    listeners = "SASL_PLAINTEXT://127.0.0.1:1,CONTROLLER://127.0.0.1:2"
    extra = {"listeners": listeners, "super.users": "User:admin"}
    lines = _server_properties(tmp_path, 1, 2, "127.0.0.1", extra_properties=extra).splitlines()
    assert [line for line in lines if line.startswith("listeners=")] == [f"listeners={listeners}"]
    assert "super.users=User:admin" in lines
    assert "auto.create.topics.enable=false" in lines  # the rest as generated


def test_mongo_round_trip(mongo_url: str) -> None:
    assert mongo_ping_ok(mongo_url)
    client: pymongo.MongoClient[dict[str, object]] = pymongo.MongoClient(
        mongo_url, serverSelectionTimeoutMS=5000
    )
    try:
        coll = client["devstack_test"][uuid.uuid4().hex]
        coll.insert_one({"_id": "r1", "kind": "room", "district": "06"})
        assert coll.find_one({"_id": "r1"}) == {"_id": "r1", "kind": "room", "district": "06"}
    finally:
        client.close()


def test_session_infrastructure_lives_in_a_temp_dir(
    kafka_bootstrap: str, mongo_url: str, devstack_data_dir: Path, devstack_supervisor: Supervisor
) -> None:
    assert not devstack_data_dir.is_relative_to(repo_root())
    assert set(devstack_supervisor.processes) >= {"kafka", "ferretdb"}
    assert any((devstack_data_dir / "ferretdb" / "sqlite").iterdir())


def test_devstack_processes_runs_extra_processes(devstack_processes: Supervisor, tmp_path: Path) -> None:
    port = free_port()
    code = "import http.server, sys; http.server.test(port=int(sys.argv[1]), bind='127.0.0.1')"
    info = devstack_processes.start(
        ProcessSpec(
            name="web",
            argv=[sys.executable, "-c", code, str(port)],
            log_path=tmp_path / "web.log",
            ports=[port],
        )
    )
    assert pid_alive(info.pid)
