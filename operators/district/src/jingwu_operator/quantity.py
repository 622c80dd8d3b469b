"""Kubernetes resource quantities (the subset the operator sums): CPU in millicores, memory in bytes."""

from __future__ import annotations

import re
from decimal import Decimal

_QUANTITY = re.compile(r"^([+-]?\d+(?:\.\d*)?|[+-]?\.\d+)([a-zA-Z]*)$")
_SUFFIX = {
    "": Decimal(1),
    "m": Decimal("0.001"),
    "k": Decimal(10) ** 3,
    "M": Decimal(10) ** 6,
    "G": Decimal(10) ** 9,
    "T": Decimal(10) ** 12,
    "Ki": Decimal(2) ** 10,
    "Mi": Decimal(2) ** 20,
    "Gi": Decimal(2) ** 30,
    "Ti": Decimal(2) ** 40,
}


def parse(value: str | int | float) -> Decimal:
    """``"500m"`` → 0.5, ``"256Mi"`` → 268435456, ``2`` → 2."""
    match = _QUANTITY.match(str(value).strip())
    if not match or match.group(2) not in _SUFFIX:
        raise ValueError(f"not a resource quantity: {value!r}")
    return Decimal(match.group(1)) * _SUFFIX[match.group(2)]


def cpu(value: Decimal) -> str:
    """Cores → millicores string (``1.5`` → ``"1500m"``), rounded up."""
    milli = int((value * 1000).to_integral_value(rounding="ROUND_CEILING"))
    return f"{milli}m"


def memory(value: Decimal) -> str:
    """Bytes → Mi string, rounded up."""
    mebi = int((value / _SUFFIX["Mi"]).to_integral_value(rounding="ROUND_CEILING"))
    return f"{mebi}Mi"
