"""docs/asyncapi.yaml, the AsyncAPI 3.0 catalogue other police systems generate clients from (R-NOT-5):
it matches proto/ exactly, says what docs/events.md says (topics, keys, payload fields), and the official
AsyncAPI parser (@asyncapi/parser, pinned in tools/asyncapi, installed into .cache by
jingwu_devstack.npm_tools) accepts it — and refuses a broken one, so the check is real."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from jingwu_devstack.npm_tools import validate_asyncapi

REPO = Path(__file__).resolve().parents[3]
SCRIPT = REPO / "services" / "contracts" / "asyncapi.py"
DOCUMENT = REPO / "docs" / "asyncapi.yaml"
BUF = REPO / ".cache" / "bin" / "buf"


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


asyncapi = _load("jingwu_asyncapi", SCRIPT)


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args], capture_output=True, text=True, cwd=REPO, check=False
    )


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    if not BUF.exists():
        pytest.fail(f"buf is missing at {BUF.relative_to(REPO)}: run `make fetch` first")
    output = tmp_path_factory.mktemp("asyncapi") / "asyncapi.yaml"
    proc = _run("--output", str(output))
    assert proc.returncode == 0, proc.stderr
    return output, yaml.safe_load(output.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def catalogue() -> list[Any]:
    return list(asyncapi.catalogue.collect(asyncapi.catalogue.load_descriptors()))


def test_committed_document_matches_proto(generated: tuple[Path, dict[str, Any]]) -> None:
    path, _ = generated
    assert DOCUMENT.exists(), "docs/asyncapi.yaml is missing: run `make docs`"
    assert DOCUMENT.read_text(encoding="utf-8") == path.read_text(encoding="utf-8"), (
        "docs/asyncapi.yaml is stale: run `make docs` and commit the result"
    )
    assert _run("--check").returncode == 0


def test_the_official_parser_accepts_it(generated: tuple[Path, dict[str, Any]]) -> None:
    path, _ = generated
    result = validate_asyncapi(path)
    assert result.valid, result.errors()
    assert result.asyncapi == "3.0.0"


def test_the_parser_refuses_a_broken_document(generated: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    _, document = generated
    broken = dict(document)
    broken["operations"] = {**document["operations"]}
    broken["operations"]["publish.rooms"] = {
        **document["operations"]["publish.rooms"],
        "messages": [{"$ref": "#/channels/rooms/messages/NoSuchEvent"}],
    }
    target = tmp_path / "broken.yaml"
    target.write_text(yaml.safe_dump(broken, allow_unicode=True), encoding="utf-8")
    result = validate_asyncapi(target)
    assert not result.valid
    assert any("NoSuchEvent" in d["message"] for d in result.errors())


def test_every_catalogued_event_is_a_message_on_its_topic(
    generated: tuple[Path, dict[str, Any]], catalogue: list[Any]
) -> None:
    _, document = generated
    messages = document["components"]["messages"]
    for domain in catalogue:
        for event in domain.events:
            channel_key = event.topic.removeprefix("jingwu.<district>.").removesuffix(".v1")
            channel = document["channels"][channel_key]
            assert channel["address"] == event.topic.replace("<district>", "{district}")
            assert channel["messages"][event.name] == {"$ref": f"#/components/messages/{event.full_name}"}
            message = messages[event.full_name]
            assert message["x-kafka-key"] == event.key and message["contentType"] == "application/x-protobuf"
            assert message["headers"]["properties"]["ce_type"]["const"] == event.full_name
            schema = document["components"]["schemas"][event.full_name]
            assert list(schema["properties"]) == [f.name for f in event.fields]


def test_payload_schemas_follow_the_protos(generated: tuple[Path, dict[str, Any]]) -> None:
    _, document = generated
    schemas = document["components"]["schemas"]
    opened = schemas["jingwu.rooms.v1.RoomOpened"]["properties"]
    assert opened["room"] == {"$ref": "#/components/schemas/jingwu.rooms.v1.Room"}
    assert opened["occur_time"]["format"] == "date-time"
    room = schemas["jingwu.rooms.v1.Room"]["properties"]
    assert room["zone_codes"]["type"] == "array" and room["zone_codes"]["items"] == {"type": "string"}
    assert schemas["jingwu.rooms.v1.RoomKind"]["enum"][0] == "ROOM_KIND_UNSPECIFIED"
    fix = schemas["jingwu.telemetry.v1.LocationFix"]["properties"]
    assert (
        fix["raw_extras"]["type"] == "object"
        and fix["raw_extras"]["additionalProperties"]["contentEncoding"] == "base64"
    )
    rated = schemas["jingwu.notification.v1.CallbackSatisfactionRated"]["properties"]
    assert set(rated) >= {"matter_id", "officer_id", "rating", "score"}
    assert document["channels"]["telemetry.fixes"]["address"] == "jingwu.{district}.telemetry.fixes.v1"
    webhook = document["components"]["messages"]["WebhookEvent"]
    assert webhook["headers"]["required"] == ["webhook-id", "webhook-timestamp", "webhook-signature"]


def test_check_fails_on_a_stale_file(tmp_path: Path, generated: tuple[Path, dict[str, Any]]) -> None:
    path, _ = generated
    stale = tmp_path / "asyncapi.yaml"
    stale.write_text(path.read_text(encoding="utf-8").replace("RoomOpened", "RoomOpen", 1), encoding="utf-8")
    proc = _run("--check", "--output", str(stale))
    assert proc.returncode == 1 and "make docs" in proc.stderr
