"""Reading a ledger file as 一标三实 systems export it: CSV (UTF-8, with or without BOM, or GB18030) or
XLSX (the first sheet), the first row holding the column headings. Rows come out numbered as in the
file (the heading row is 1), every cell as text."""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from jingwu_cli.errors import EXIT_USAGE, CliError


@dataclass(frozen=True)
class LedgerFile:
    path: Path
    sha256: str
    headings: list[str]
    rows: list[tuple[int, dict[str, str]]]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _csv_rows(path: Path) -> Iterator[list[str]]:
    raw = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise CliError(f"{path}: not UTF-8 or GB18030 text", EXIT_USAGE)
    yield from csv.reader(text.splitlines())


def _xlsx_rows(path: Path) -> Iterator[list[str]]:
    try:
        from openpyxl import load_workbook  # type: ignore[import-untyped]
    except ImportError as missing:  # pragma: no cover - installed with the CLI
        raise CliError("reading XLSX needs openpyxl (pip install openpyxl)", EXIT_USAGE) from missing
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        for row in sheet.iter_rows(values_only=True):
            yield [_text(v) for v in row]
    finally:
        workbook.close()


def read_ledger(path: Path) -> LedgerFile:
    if not path.is_file():
        raise CliError(f"{path}: no such file", EXIT_USAGE)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        lines = _csv_rows(path)
    elif suffix in (".xlsx", ".xlsm"):
        lines = _xlsx_rows(path)
    else:
        raise CliError(f"{path}: expected a .csv or .xlsx file", EXIT_USAGE)
    headings: list[str] = []
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(lines, start=1):
        if number == 1:
            headings = [c.strip().lstrip("\ufeff") for c in cells]
            continue
        if not any(c.strip() for c in cells):
            continue
        rows.append(
            (number, {h: c.strip() for h, c in zip(headings, cells, strict=False) if h and c.strip()})
        )
    if not headings:
        raise CliError(f"{path}: the file is empty (the first row holds the column headings)", EXIT_USAGE)
    return LedgerFile(path, sha256_of(path), headings, rows)


def write_csv(path: Path, headings: list[str], rows: Iterator[dict[str, str]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(headings)
        for row in rows:
            writer.writerow([row.get(h, "") for h in headings])
            count += 1
    return count
