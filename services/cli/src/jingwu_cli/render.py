"""Renderers: a command's result as a rich table (CJK-width aware) or as JSON (MessageToDict)."""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, TextIO

from google.protobuf.json_format import MessageToDict
from google.protobuf.message import Message
from rich import box
from rich.console import Console
from rich.table import Table

# Without a terminal (pipes, tests) rich would wrap at 80 columns; tables are wide, keep rows whole.
_PIPE_WIDTH = 200


def to_json(message: Message) -> dict[str, Any]:
    """A protobuf message as JSON-ready data, field names as in the .proto files."""
    return MessageToDict(message, preserving_proto_field_name=True)


@dataclass
class TableResult:
    title: str
    columns: Sequence[str]
    rows: Sequence[Sequence[str]]
    data: Any
    # Lines printed under the table (totals, hints); not part of the JSON.
    notes: list[str] = field(default_factory=list)


@dataclass
class DetailResult:
    title: str
    pairs: list[tuple[str, str]]
    data: Any
    # Optional sub-tables (e.g. an officer's postings).
    tables: list[TableResult] = field(default_factory=list)


Result = TableResult | DetailResult


class Renderer:
    def __init__(self, as_json: bool, out: TextIO | None = None) -> None:
        self.as_json = as_json
        stream = out or sys.stdout
        width = (
            None if stream.isatty() else max(shutil.get_terminal_size((_PIPE_WIDTH, 24)).columns, _PIPE_WIDTH)
        )
        self._out = stream
        self._console = Console(file=stream, width=width, soft_wrap=False, highlight=False)
        self._errors = Console(file=sys.stderr, highlight=False, soft_wrap=True)

    def show(self, result: Result) -> None:
        if self.as_json:
            self._out.write(json.dumps(result.data, ensure_ascii=False, indent=2) + "\n")
            self._out.flush()
            return
        if isinstance(result, TableResult):
            self._table(result)
        else:
            self._detail(result)

    def error(self, message: str, details: Sequence[str] = ()) -> None:
        self._errors.print(f"jingwu: error: {message}", markup=False)
        for line in details:
            self._errors.print(f"  {line}", markup=False)

    def _table(self, result: TableResult) -> None:
        table = Table(title=result.title, box=box.SIMPLE_HEAD, title_justify="left")
        for column in result.columns:
            table.add_column(column, overflow="fold")
        for row in result.rows:
            table.add_row(*row)
        if not result.rows:
            self._console.print(f"{result.title}: none", markup=False)
        else:
            self._console.print(table)
        for note in result.notes:
            self._console.print(note, markup=False)

    def _detail(self, result: DetailResult) -> None:
        table = Table(title=result.title, box=box.SIMPLE, show_header=False, title_justify="left")
        table.add_column("field", style="bold")
        table.add_column("value", overflow="fold")
        for key, value in result.pairs:
            table.add_row(key, value)
        self._console.print(table)
        for sub in result.tables:
            self._table(sub)
