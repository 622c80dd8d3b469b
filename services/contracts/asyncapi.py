"""Generate docs/asyncapi.yaml, the AsyncAPI 3.0 document of every event Jingwu publishes, out of proto/
and the topic layout — the machine-readable twin of docs/events.md (R-NOT-5).

Run by `make docs`; `--check` (run by the test suite) fails when the committed file is stale; the test
suite also validates it with the official AsyncAPI parser (tools/asyncapi, jingwu_devstack.npm_tools).

What it says, all from the contracts (read through `buf build` by catalogue.py, comments included):
- one channel per topic, ``jingwu.{district}.<domain>.v1`` with the district as a parameter (telemetry's
  fixes topic too), each listing its events; one ``send`` operation per channel (Jingwu publishes);
- one message per event: the CloudEvents-style headers, the Kafka key (a message binding), the payload;
- payload schemas generated from the proto descriptors: every message and enum a payload reaches, as
  AsyncAPI (JSON) schemas under their full proto names, property names = proto field names.
  The bytes on the wire are the protobuf encoding (``contentType: application/x-protobuf``); the schema
  describes their structure and the proto3 JSON mapping (64-bit integers as strings, enums by name,
  Timestamp as RFC 3339). Protobuf schemas proper (``application/vnd.google.protobuf``) would need the
  protobuf schema parser, which resolves no imports, and every contract imports another (docs/adr).
- the webhook form of the same events (R-NOT-5 subscriptions): Standard Webhooks headers and the
  CloudEvents JSON envelope whose ``data_base64`` is the protobuf payload.
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

import yaml
from google.protobuf import descriptor_pb2


def _catalogue() -> ModuleType:
    """catalogue.py beside this script (a script, not an installed package)."""
    name = "jingwu_catalogue"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, Path(__file__).with_name("catalogue.py"))
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses resolve string annotations through sys.modules
    spec.loader.exec_module(module)
    return module


catalogue = _catalogue()
REPO = catalogue.REPO
OUTPUT = REPO / "docs" / "asyncapi.yaml"
ASYNCAPI_VERSION = "3.0.0"
# The contracts' major version is the topics' (``.v1``); additions keep it (docs/versioning.md).
DOCUMENT_VERSION = "1.0.0"
PROTOBUF = "application/x-protobuf"
KAFKA_BINDING = "0.5.0"

_FDP = descriptor_pb2.FieldDescriptorProto
# Scalars as their proto3 JSON mapping (64-bit integers are strings there).
_SCALAR_SCHEMAS: dict[int, dict[str, Any]] = {
    _FDP.TYPE_STRING: {"type": "string"},
    _FDP.TYPE_BYTES: {"type": "string", "contentEncoding": "base64"},
    _FDP.TYPE_BOOL: {"type": "boolean"},
    **{
        t: {"type": "integer", "format": "int32"}
        for t in (_FDP.TYPE_INT32, _FDP.TYPE_SINT32, _FDP.TYPE_SFIXED32)
    },
    **{
        t: {"type": "integer", "minimum": 0, "maximum": 4294967295}
        for t in (_FDP.TYPE_UINT32, _FDP.TYPE_FIXED32)
    },
    **{
        t: {"type": "string", "pattern": r"^-?\d+$", "format": "int64"}
        for t in (_FDP.TYPE_INT64, _FDP.TYPE_SINT64, _FDP.TYPE_SFIXED64, _FDP.TYPE_UINT64, _FDP.TYPE_FIXED64)
    },
    _FDP.TYPE_DOUBLE: {"type": "number"},
    _FDP.TYPE_FLOAT: {"type": "number"},
}
# Well-known types as their proto3 JSON mapping.
_WELL_KNOWN: dict[str, dict[str, Any]] = {
    "google.protobuf.Timestamp": {"type": "string", "format": "date-time", "description": "RFC 3339, UTC."},
    "google.protobuf.Duration": {
        "type": "string",
        "pattern": r"^-?\d+(\.\d{1,9})?s$",
        "description": "e.g. 3.5s",
    },
    "google.protobuf.Empty": {"type": "object"},
}


def schema_ref(full_name: str) -> dict[str, Any]:
    return {"$ref": f"#/components/schemas/{full_name}"}


class Schemas:
    """AsyncAPI schemas of proto messages and enums, by full name, with the comments as descriptions."""

    def __init__(self, descriptors: descriptor_pb2.FileDescriptorSet) -> None:
        self._messages: dict[
            str, tuple[descriptor_pb2.DescriptorProto, dict[tuple[int, ...], str], tuple[int, ...]]
        ] = {}
        self._enums: dict[str, tuple[descriptor_pb2.EnumDescriptorProto, str]] = {}
        for file in descriptors.file:
            comments = catalogue._comments(file)
            for index, message in enumerate(file.message_type):
                self._index(file.package, message, comments, (4, index))
            for index, enum in enumerate(file.enum_type):
                self._enums[f"{file.package}.{enum.name}"] = (enum, comments.get((5, index), ""))
        self.schemas: dict[str, dict[str, Any]] = {}

    def _index(
        self,
        scope: str,
        message: descriptor_pb2.DescriptorProto,
        comments: dict[tuple[int, ...], str],
        path: tuple[int, ...],
    ) -> None:
        full = f"{scope}.{message.name}"
        self._messages[full] = (message, comments, path)
        for index, nested in enumerate(message.nested_type):
            self._index(full, nested, comments, (*path, 3, index))
        for index, enum in enumerate(message.enum_type):
            self._enums[f"{full}.{enum.name}"] = (enum, comments.get((*path, 4, index), ""))

    def message(self, full_name: str) -> dict[str, Any]:
        """A reference to the schema of ``full_name``, adding it (and what it reaches) to ``schemas``."""
        if full_name in _WELL_KNOWN:
            return dict(_WELL_KNOWN[full_name])
        if full_name not in self.schemas:
            message, comments, path = self._messages[full_name]
            self.schemas[full_name] = {}  # placeholder: recursive messages refer to themselves
            properties = {}
            for j, field in enumerate(message.field):
                schema = self._field(field, message)
                comment = catalogue._one_line(comments.get((*path, 2, j), ""))
                if comment:
                    schema = {**schema, "description": comment}
                properties[field.name] = schema
            body: dict[str, Any] = {
                "type": "object",
                "x-protobuf-message": full_name,
                "properties": properties,
            }
            description = catalogue._one_line(comments.get(path, ""))
            if description:
                body = {"description": description, **body}
            self.schemas[full_name] = body
        return schema_ref(full_name)

    def _enum(self, full_name: str) -> dict[str, Any]:
        if full_name not in self.schemas:
            enum, comment = self._enums[full_name]
            body: dict[str, Any] = {
                "type": "string",
                "enum": [v.name for v in enum.value],
                "x-protobuf-enum": full_name,
            }
            if comment:
                body = {"description": catalogue._one_line(comment), **body}
            self.schemas[full_name] = body
        return schema_ref(full_name)

    def _single(self, field: descriptor_pb2.FieldDescriptorProto) -> dict[str, Any]:
        if field.type == _FDP.TYPE_MESSAGE:
            return self.message(field.type_name.removeprefix("."))
        if field.type == _FDP.TYPE_ENUM:
            return self._enum(field.type_name.removeprefix("."))
        scalar = _SCALAR_SCHEMAS.get(field.type)
        if scalar is None:
            raise catalogue.CatalogueError(f"field {field.name}: unsupported proto type {field.type}")
        return dict(scalar)

    def _field(
        self, field: descriptor_pb2.FieldDescriptorProto, message: descriptor_pb2.DescriptorProto
    ) -> dict[str, Any]:
        entry = catalogue._map_entry(field, message)
        if entry is not None:
            key, value = entry.field
            return {
                "type": "object",
                "additionalProperties": self._single(value),
                "x-protobuf-map-key": catalogue._SCALARS.get(key.type, "string"),
            }
        if field.label == _FDP.LABEL_REPEATED:
            return {"type": "array", "items": self._single(field)}
        return self._single(field)


def _headers(event_type: str) -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "type": "object",
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_type",
            "ce_source",
            "ce_time",
            "ce_district",
            "content-type",
        ],
        "properties": {
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_id": {**text, "description": "Unique event id. Consumers dedupe on it."},
            "ce_type": {
                "type": "string",
                "const": event_type,
                "description": "Full protobuf message name of the payload.",
            },
            "ce_source": {
                **text,
                "pattern": r"^jingwu/\d{2}/[a-z]+$",
                "description": "jingwu/<district>/<service>",
            },
            "ce_time": {
                "type": "string",
                "format": "date-time",
                "description": "When it happened, RFC 3339, UTC.",
            },
            "ce_district": {
                "type": "string",
                "pattern": r"^\d{2}$",
                "description": "Equals the payload's district_code.",
            },
            "content-type": {"type": "string", "const": PROTOBUF},
            "traceparent": {**text, "description": "W3C trace context of the request that caused the event."},
            "tracestate": text,
        },
    }


def _channel_key(topic: str) -> str:
    """``jingwu.<district>.telemetry.fixes.v1`` → ``telemetry.fixes``."""
    return topic.removeprefix(f"jingwu.{catalogue.DISTRICT}.").removesuffix(".v1")


def _address(topic: str) -> str:
    return topic.replace(catalogue.DISTRICT, "{district}")


def _webhook_parts() -> tuple[dict[str, Any], dict[str, Any]]:
    headers = {
        "type": "object",
        "required": ["webhook-id", "webhook-timestamp", "webhook-signature"],
        "properties": {
            "webhook-id": {
                "type": "string",
                "description": "Stable per event and subscription: dedupe on it.",
            },
            "webhook-timestamp": {
                "type": "string",
                "pattern": r"^\d+$",
                "description": "Seconds since the epoch, of this attempt.",
            },
            "webhook-signature": {
                "type": "string",
                "description": "v1,<base64 HMAC-SHA256 of '<id>.<timestamp>.<body>'> "
                "with the subscription's secret (whsec_…).",
            },
        },
    }
    payload = {
        "type": "object",
        "required": ["type", "timestamp", "data"],
        "properties": {
            "type": {"type": "string", "description": "The event type (ce_type)."},
            "timestamp": {"type": "string", "format": "date-time"},
            "data": {
                "type": "object",
                "description": "A CloudEvents 1.0 JSON envelope of the Kafka event.",
                "required": [
                    "specversion",
                    "id",
                    "source",
                    "type",
                    "time",
                    "district",
                    "datacontenttype",
                    "data_base64",
                ],
                "properties": {
                    "specversion": {"type": "string", "const": "1.0"},
                    "id": {"type": "string"},
                    "source": {"type": "string"},
                    "type": {"type": "string"},
                    "time": {"type": "string", "format": "date-time"},
                    "subject": {"type": "string", "description": "The Kafka key (the aggregate id)."},
                    "district": {"type": "string", "pattern": r"^\d{2}$"},
                    "datacontenttype": {"type": "string", "const": PROTOBUF},
                    "data_base64": {
                        "type": "string",
                        "contentEncoding": "base64",
                        "description": "The protobuf payload, as published.",
                    },
                    "traceparent": {"type": "string"},
                },
            },
        },
    }
    return headers, payload


def build_document(domains: Sequence[Any], descriptors: descriptor_pb2.FileDescriptorSet) -> dict[str, Any]:
    schemas = Schemas(descriptors)
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    messages: dict[str, Any] = {}
    for domain in domains:
        for topic in domain.topics():
            key = _channel_key(topic)
            events = [e for e in domain.events if e.topic == topic]
            channels[key] = {
                "address": _address(topic),
                "title": f"{domain.name} events" if key == domain.name else f"{key} events",
                "description": catalogue._one_line(domain.description),
                "parameters": {"district": {"$ref": "#/components/parameters/district"}},
                "messages": {e.name: {"$ref": f"#/components/messages/{e.full_name}"} for e in events},
            }
            operations[f"publish.{key}"] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{key}"},
                "summary": f"Jingwu publishes the {key} events of every district.",
                "messages": [{"$ref": f"#/channels/{key}/messages/{e.name}"} for e in events],
            }
            for event in events:
                messages[event.full_name] = {
                    "name": event.name,
                    "title": event.name,
                    "summary": event.description,
                    "contentType": PROTOBUF,
                    "headers": _headers(event.full_name),
                    "payload": schemas.message(event.full_name),
                    "bindings": {
                        "kafka": {
                            "key": {"type": "string", "description": f"The event's {event.key}."},
                            "bindingVersion": KAFKA_BINDING,
                        }
                    },
                    "x-protobuf-message": event.full_name,
                    "x-kafka-key": event.key,
                }
    webhook_headers, webhook_payload = _webhook_parts()
    messages["WebhookEvent"] = {
        "name": "WebhookEvent",
        "title": "An event delivered to a subscriber's webhook",
        "summary": "Any event above, as a signed Standard Webhooks POST to a subscription's URL (R-NOT-5).",
        "contentType": "application/json",
        "headers": webhook_headers,
        "payload": webhook_payload,
    }
    channels["subscriber-webhook"] = {
        "address": None,
        "title": "A subscriber's webhook endpoint",
        "description": "The URL a subscription names (SubscriptionService.CreateSubscription); retried with "
        "exponential backoff and jitter, dead letters replayable.",
        "servers": [{"$ref": "#/servers/subscriber"}],
        "messages": {"WebhookEvent": {"$ref": "#/components/messages/WebhookEvent"}},
    }
    operations["deliver.webhook"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/subscriber-webhook"},
        "summary": "The notification service POSTs each matching event to the subscriber.",
        "messages": [{"$ref": "#/channels/subscriber-webhook/messages/WebhookEvent"}],
    }
    for key, channel in channels.items():
        if key != "subscriber-webhook":
            channel["servers"] = [{"$ref": "#/servers/kafka"}]
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "Jingwu events",
            "version": DOCUMENT_VERSION,
            "description": "Generated by `make docs` from proto/ — do not edit. Every event Jingwu "
            "publishes, per topic, for other police systems (R-NOT-5). Human-readable: docs/events.md; "
            "versioning: docs/versioning.md.",
        },
        "defaultContentType": PROTOBUF,
        "servers": {
            "kafka": {
                "host": "{bootstrap}",
                "protocol": "kafka",
                "description": "The city's Kafka. A subscriber reads with its own consumer group "
                "(jingwu-sub-<name>) under the ACLs its subscription lists (kafka_access).",
                "variables": {"bootstrap": {"default": "kafka.jingwu-infra.svc:9092"}},
            },
            "subscriber": {
                "host": "{host}",
                "protocol": "https",
                "description": "A subscriber's own HTTP endpoint.",
                "variables": {"host": {"description": "The host of the subscription's webhook URL."}},
            },
        },
        "channels": channels,
        "operations": operations,
        "components": {
            "parameters": {
                "district": {
                    "description": "Two-digit district code (the tenant), e.g. 06.",
                    "examples": ["06"],
                }
            },
            "messages": messages,
            "schemas": dict(sorted(schemas.schemas.items())),
        },
    }


def render(document: dict[str, Any]) -> str:
    header = "# Generated by `make docs` from proto/ — do not edit (services/contracts/asyncapi.py).\n"
    return header + yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=110)


def build(buf: Path = catalogue.BUF, proto_root: Path = catalogue.PROTO_ROOT) -> str:
    descriptors = catalogue.load_descriptors(buf, proto_root)
    return render(build_document(catalogue.collect(descriptors), descriptors))


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs, write nothing")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="file to write or check")
    parser.add_argument("--proto-root", type=Path, default=catalogue.PROTO_ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    output: Path = args.output
    try:
        expected = build(proto_root=args.proto_root)
    except catalogue.CatalogueError as error:
        sys.stderr.write(f"asyncapi: {error}\n")
        return 2
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != expected:
            sys.stderr.write(catalogue._stale_message(output, current, expected))
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(expected, encoding="utf-8")
    sys.stdout.write(f"wrote {catalogue._display(output)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
