"""Value rules every domain shares (a DDD shared kernel): codes and coordinates. Pure, no I/O."""

from __future__ import annotations

import re

from jingwu_platform.errors import Validator

_ZONE_CODE = re.compile(r"^\d{8}$")


def check_zone_code(v: Validator, field: str, code: str, district: str) -> None:
    """R-ORG-2: a zone code is 8 digits, district(2) + street(2) + community(2) + zone(2),
    and starts with the district it belongs to."""
    if not v.check(bool(_ZONE_CODE.match(code)), field, f"zone code must be 8 digits, got {code!r}"):
        return
    v.check(code[:2] == district, field, f"zone code {code} does not belong to district {district} (R-ORG-2)")


def check_geo_point(v: Validator, field: str, longitude: float, latitude: float) -> None:
    """R-POP-7: every place is on the map. WGS-84 degrees; (0, 0) is taken as 'not given'."""
    if longitude == 0.0 and latitude == 0.0:
        v.add(field, "coordinates are required")
        return
    v.check(
        -180.0 <= longitude <= 180.0,
        f"{field}.longitude",
        f"longitude must be in [-180, 180], got {longitude}",
    )
    v.check(-90.0 <= latitude <= 90.0, f"{field}.latitude", f"latitude must be in [-90, 90], got {latitude}")


def check_required(v: Validator, field: str, value: str, max_length: int = 128) -> None:
    if v.check(bool(value.strip()), field, "is required"):
        v.check(len(value) <= max_length, field, f"must be at most {max_length} characters")
