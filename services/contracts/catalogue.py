"""Generate docs/events.md, the event catalogue other police systems subscribe from, out of proto/.

Run by `make docs`; `--check` (run by the test suite) fails when the committed file is stale. The
contracts are read through `buf build` (a FileDescriptorSet with source comments), never by parsing
.proto text: comments are mapped to messages and fields by their SourceCodeInfo location paths.

What counts as an event, as the contracts state it:
- every top-level message of ``jingwu/<domain>/v1/events.proto``, on ``jingwu.<district>.<domain>.v1``;
- a top-level message of another file of the domain whose leading comment names the topic it is
  published on and its key (telemetry's LocationFix, on ``jingwu.<district>.telemetry.fixes.v1``).
Every event's leading comment says ``Key: <field>``; a missing key is an error, not a blank cell.
"""

from __future__ import annotations

import argparse
import difflib
import re
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from google.protobuf import descriptor_pb2

REPO = Path(__file__).resolve().parents[2]
PROTO_ROOT = REPO / "proto"
BUF = REPO / ".cache" / "bin" / "buf"
OUTPUT = REPO / "docs" / "events.md"

EVENTS_FILE = "events.proto"
DISTRICT = "<district>"

# SourceCodeInfo paths are field numbers: FileDescriptorProto.package = 2, .message_type = 4;
# DescriptorProto.field = 2. So a message is [4, i] and its field is [4, i, 2, j].
_PACKAGE_PATH = (2,)
_MESSAGE = 4
_FIELD = 2

_PACKAGE = re.compile(r"^jingwu\.([a-z]+)\.v1$")
_KEY = re.compile(r"\bKey:\s*([a-z_][a-z0-9_]*)")
_TOPIC = re.compile(r"jingwu\.<district>\.[a-z]+(?:\.[a-z]+)*\.v\d+")

_FDP = descriptor_pb2.FieldDescriptorProto
_SCALARS = {
    value: name.removeprefix("TYPE_").lower()
    for name, value in _FDP.Type.items()
    if name not in ("TYPE_MESSAGE", "TYPE_ENUM", "TYPE_GROUP")
}


class CatalogueError(Exception):
    """The catalogue cannot be built: buf is missing or failed, or a contract breaks a catalogue rule."""


@dataclass(frozen=True)
class FieldDoc:
    name: str
    type: str
    comment: str


@dataclass(frozen=True)
class EventDoc:
    name: str
    full_name: str
    topic: str
    key: str
    description: str
    fields: tuple[FieldDoc, ...]


@dataclass(frozen=True)
class DomainDoc:
    name: str
    description: str
    events: tuple[EventDoc, ...]

    def topics(self) -> list[str]:
        """The domain topic first, then any extra topic (telemetry fixes), each once."""
        default = domain_topic(self.name)
        extra = sorted({e.topic for e in self.events} - {default})
        return [default, *extra]


def domain_topic(domain: str) -> str:
    return f"jingwu.{DISTRICT}.{domain}.v1"


# --------------------------------------------------------------------------------------------------
# reading the contracts


def load_descriptors(buf: Path = BUF, proto_root: Path = PROTO_ROOT) -> descriptor_pb2.FileDescriptorSet:
    """Compile proto/ with buf, keeping source comments."""
    if not buf.exists():
        raise CatalogueError(f"buf not found at {buf}: run `make fetch` to build it into .cache/bin/")
    proc = subprocess.run(
        [str(buf), "build", str(proto_root), "-o", "-#format=binpb"], capture_output=True, check=False
    )
    if proc.returncode != 0:
        raise CatalogueError(f"buf build failed:\n{proc.stderr.decode(errors='replace')}")
    return descriptor_pb2.FileDescriptorSet.FromString(proc.stdout)


def _comments(file: descriptor_pb2.FileDescriptorProto) -> dict[tuple[int, ...], str]:
    """Leading comment (else trailing) per location path, lines kept, the `// ` indent removed."""
    found: dict[tuple[int, ...], str] = {}
    for location in file.source_code_info.location:
        text = location.leading_comments or location.trailing_comments
        if text.strip():
            lines = (line.removeprefix(" ").rstrip() for line in text.strip("\n").splitlines())
            found[tuple(location.path)] = "\n".join(lines)
    return found


def _one_line(text: str) -> str:
    """Table cells hold one line."""
    return " ".join(line.strip() for line in text.splitlines() if line.strip())


def _field_type(field: descriptor_pb2.FieldDescriptorProto, message: descriptor_pb2.DescriptorProto) -> str:
    """The type as a consumer decodes it; message and enum types by full name, unambiguous outside proto/."""
    base = _SCALARS[field.type] if field.type in _SCALARS else field.type_name.removeprefix(".")
    entry = _map_entry(field, message)
    if entry is not None:
        key, value = (_field_type(f, entry) for f in entry.field)
        return f"map<{key}, {value}>"
    if field.label == _FDP.LABEL_REPEATED:
        return f"repeated {base}"
    if field.proto3_optional:
        return f"optional {base}"
    return base


def _map_entry(
    field: descriptor_pb2.FieldDescriptorProto, message: descriptor_pb2.DescriptorProto
) -> descriptor_pb2.DescriptorProto | None:
    """The synthetic nested *Entry message when ``field`` is a map, else None."""
    if field.type != _FDP.TYPE_MESSAGE or field.label != _FDP.LABEL_REPEATED:
        return None
    short = field.type_name.rsplit(".", 1)[-1]
    for nested in message.nested_type:
        if nested.name == short and nested.options.map_entry:
            return nested
    return None


def _field_docs(
    message: descriptor_pb2.DescriptorProto, index: int, comments: dict[tuple[int, ...], str]
) -> tuple[FieldDoc, ...]:
    docs = []
    for j, field in enumerate(message.field):
        comment = _one_line(comments.get((_MESSAGE, index, _FIELD, j), ""))
        # A real oneof (not proto3 optional's synthetic one) matters to a consumer decoding the payload.
        if field.HasField("oneof_index") and not field.proto3_optional:
            oneof = message.oneof_decl[field.oneof_index].name
            comment = f"One of `{oneof}`. {comment}".strip()
        docs.append(FieldDoc(field.name, _field_type(field, message), comment))
    return tuple(docs)


def _event(
    file: descriptor_pb2.FileDescriptorProto,
    index: int,
    topic: str,
    comments: dict[tuple[int, ...], str],
) -> EventDoc:
    message = file.message_type[index]
    full_name = f"{file.package}.{message.name}"
    description = _one_line(comments.get((_MESSAGE, index), ""))
    key = _KEY.search(description)
    if key is None:
        raise CatalogueError(f"{file.name}: event {full_name} has no 'Key: <field>' in its leading comment")
    return EventDoc(
        name=message.name,
        full_name=full_name,
        topic=topic,
        key=key.group(1),
        description=description,
        fields=_field_docs(message, index, comments),
    )


def _file_events(file: descriptor_pb2.FileDescriptorProto, domain: str) -> list[EventDoc]:
    """Events declared in one file: all messages of events.proto, elsewhere only those naming a topic."""
    comments = _comments(file)
    is_events_file = file.name.endswith(f"/{EVENTS_FILE}")
    events = []
    for index in range(len(file.message_type)):
        comment = comments.get((_MESSAGE, index), "")
        if is_events_file:
            events.append(_event(file, index, domain_topic(domain), comments))
        elif (named := _TOPIC.findall(comment)) and _KEY.search(comment):
            # Merely mentioning a topic is not enough: an event also names its key.
            events.append(_event(file, index, named[0], comments))
    return events


def _domain(domain: str, files: Sequence[descriptor_pb2.FileDescriptorProto]) -> DomainDoc:
    events_file = next(f for f in files if f.name.endswith(f"/{EVENTS_FILE}"))
    description = _comments(events_file).get(_PACKAGE_PATH, "")
    ordered = sorted(files, key=lambda f: (f is not events_file, f.name))
    events = tuple(e for f in ordered for e in _file_events(f, domain))
    doc = DomainDoc(name=domain, description=description, events=events)
    # The file comment is what subscribers read first: it must name every topic events really go to.
    for topic in doc.topics():
        if topic not in description.replace("\n", " "):
            raise CatalogueError(f"{events_file.name}: file comment does not name topic {topic}")
    return doc


def collect(descriptors: descriptor_pb2.FileDescriptorSet) -> list[DomainDoc]:
    """Domains that publish events (those with an events.proto), sorted by name."""
    by_domain: dict[str, list[descriptor_pb2.FileDescriptorProto]] = {}
    for file in descriptors.file:
        match = _PACKAGE.match(file.package)
        if match and file.name.startswith("jingwu/"):
            by_domain.setdefault(match.group(1), []).append(file)
    return [
        _domain(domain, files)
        for domain, files in sorted(by_domain.items())
        if any(f.name.endswith(f"/{EVENTS_FILE}") for f in files)
    ]


# --------------------------------------------------------------------------------------------------
# rendering


def _text(value: str) -> str:
    """Comment text safe in a Markdown table cell: topics as code, no stray HTML, no cell breaks."""
    value = _TOPIC.sub(lambda m: f"`{m.group(0)}`", value)
    parts = value.split("`")
    # Even parts are outside code spans: `<district>` there would be swallowed as an HTML tag.
    for i in range(0, len(parts), 2):
        parts[i] = parts[i].replace("<", "&lt;").replace(">", "&gt;")
    return "`".join(parts).replace("|", "\\|")


def _table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return lines


INTRO = """\
# Jingwu event catalogue

Generated by `make docs` from proto/ — do not edit.

Every event Jingwu publishes, per domain and topic, with its key and payload fields. The payload is the
protobuf message named by `ce_type`; the contracts live in `proto/jingwu/<domain>/v1/`.

## Topics

- One topic per district and domain: `jingwu.<district>.<domain>.v1`, e.g. `jingwu.06.rooms.v1`
  (`<district>` is the two-digit district code). Telemetry fixes have their own topic,
  `jingwu.<district>.telemetry.fixes.v1`.
- City-level consumers subscribe across districts by pattern, e.g. `^jingwu\\.\\d{2}\\.rooms\\.v1$`.
- Dead letters belong to the consumer: `jingwu.<district>.<consumer-domain>.dlq.v1`. A dead-lettered
  record keeps its original value, key and headers, plus `dlq_reason`, `dlq_source_topic`,
  `dlq_source_partition`, `dlq_source_offset`, `dlq_consumer_group` and `dlq_time`, so it can be
  replayed after a fix.

## Envelope headers

"""

_HEADERS = [
    ("`ce_specversion`", "`1.0`"),
    ("`ce_id`", "Unique event id. Consumers dedupe on it."),
    ("`ce_type`", "Full protobuf message name of the payload, e.g. `jingwu.rooms.v1.RoomOpened`."),
    ("`ce_source`", "`jingwu/<district>/<service>`, the publishing service."),
    ("`ce_time`", "When the event happened, RFC 3339 in UTC."),
    ("`ce_district`", "Two-digit district code; equals the payload's `district_code`."),
    ("`content-type`", "`application/x-protobuf`"),
    ("`traceparent`, `tracestate`", "W3C trace context of the request that caused the event."),
]

DELIVERY = """\
## Delivery

- At least once: a service writes its state change and its events in one document write (transactional
  outbox) and a relay publishes them afterwards, so an event may arrive twice, never not at all.
- Ordered per key: the Kafka key is the aggregate id named below, so one entity's events stay in order.
  There is no order across keys or topics.
- Consumers must be idempotent on `ce_id`.
"""


def _event_lines(event: EventDoc) -> list[str]:
    lines = [
        f"#### {event.name}",
        "",
        f"Type `{event.full_name}` · key `{event.key}` · topic `{event.topic}`",
        "",
        _text(event.description),
        "",
    ]
    rows = ([f"`{f.name}`", f"`{f.type}`", _text(f.comment)] for f in event.fields)
    return [*lines, *_table(["Field", "Type", "Comment"], rows), ""]


def _domain_lines(domain: DomainDoc) -> list[str]:
    # The file comment keeps its lines: some hold lists (telemetry's two topics).
    lines = [f"## {domain.name}", "", *(_text(line) for line in domain.description.splitlines()), ""]
    for topic in domain.topics():
        events = [e for e in domain.events if e.topic == topic]
        rows = ([e.name, f"`{e.full_name}`", f"`{e.key}`", _text(e.description)] for e in events)
        lines += [f"### Topic `{topic}`", ""]
        lines += [*_table(["Event", "Type (`ce_type`)", "Key", "Description"], rows), ""]
        for event in events:
            lines += _event_lines(event)
    return lines


def render(domains: Sequence[DomainDoc]) -> str:
    lines = INTRO.splitlines()
    lines += [*_table(["Header", "Value"], _HEADERS), "", *DELIVERY.splitlines(), ""]
    lines += ["## Domains", ""]
    lines += [f"- {d.name}: " + ", ".join(f"`{t}`" for t in d.topics()) for d in domains]
    lines.append("")
    for domain in domains:
        lines += _domain_lines(domain)
    return "\n".join(lines).rstrip("\n") + "\n"


def build(buf: Path = BUF, proto_root: Path = PROTO_ROOT) -> str:
    return render(collect(load_descriptors(buf, proto_root)))


# --------------------------------------------------------------------------------------------------
# command line


def _display(path: Path) -> str:
    resolved = path.resolve()
    return str(resolved.relative_to(REPO)) if resolved.is_relative_to(REPO) else str(path)


def _stale_message(path: Path, current: str, expected: str) -> str:
    diff = difflib.unified_diff(
        current.splitlines(keepends=True), expected.splitlines(keepends=True), _display(path), "generated"
    )
    shown = "".join(list(diff)[:40])
    return f"{_display(path)} is stale; run `make docs` and commit it. First differences:\n{shown}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file differs, write nothing")
    parser.add_argument("--output", type=Path, default=OUTPUT, help="file to write or check")
    args = parser.parse_args(argv)
    output: Path = args.output
    try:
        expected = build()
    except CatalogueError as error:
        sys.stderr.write(f"catalogue: {error}\n")
        return 2
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != expected:
            sys.stderr.write(_stale_message(output, current, expected))
            return 1
        return 0
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(expected, encoding="utf-8")
    sys.stdout.write(f"wrote {_display(output)}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
