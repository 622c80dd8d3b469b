"""MongoDB access with PyMongo's native async API (AsyncMongoClient); one database per district.

Code stays inside what both MongoDB and FerretDB support: single-document atomic updates only (no
multi-document transactions, no change streams, no $near). See docs/adr/0003 and 0004.
"""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]


def create_client(url: str, app_name: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, appname=app_name, serverSelectionTimeoutMS=10_000)


def district_database_name(district: str) -> str:
    return f"jingwu_{district}"


def district_database(client: AsyncMongoClient[Document], district: str) -> AsyncDatabase[Document]:
    """The tenant's database. In clusters the district's Mongo user can read only this one (R-POP-6)."""
    return client[district_database_name(district)]
