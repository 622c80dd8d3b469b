"""Adapter: a district's MongoDB database, its operator-owned indexes, and its user where supported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING, AsyncMongoClient
from pymongo.errors import OperationFailure, PyMongoError

Document = dict[str, Any]

META_COLLECTION = "operator.district"
# Collections and indexes every service of the district shares (platform level); each service still
# creates its own domain indexes at start (idempotent), so there is one place per index.
PLATFORM_INDEXES: tuple[tuple[str, list[tuple[str, int]]], ...] = (("platform.inbox", [("at", ASCENDING)]),)
_USER_NOT_FOUND = 11
_USER_EXISTS = 51003
_UNSUPPORTED = {59, 115, 238}  # CommandNotFound, CommandNotSupported, NotImplemented


class MongoAdminError(RuntimeError):
    pass


@dataclass(frozen=True)
class DatabaseReport:
    database: str
    users_supported: bool
    message: str


def client(url: str, timeout_s: float) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(
        url, tz_aware=True, appname="jingwu-operator", serverSelectionTimeoutMS=int(timeout_s * 1000)
    )


async def ensure_database(
    mongo: AsyncMongoClient[Document],
    *,
    database: str,
    code: str,
    names: dict[str, str],
    user: str,
    password: str,
) -> DatabaseReport:
    """Create the database (by writing its metadata document), the platform indexes, and a user that can
    read and write only this database — or report that the server has no users (FerretDB v1 SQLite)."""
    db = mongo[database]
    try:
        await db[META_COLLECTION].update_one(
            {"_id": "district"},
            {
                "$set": {"code": code, "names": names, "updated_at": datetime.now(UTC)},
                "$setOnInsert": {"created_at": datetime.now(UTC)},
            },
            upsert=True,
        )
        for collection, keys in PLATFORM_INDEXES:
            await db[collection].create_index(keys)
        roles = [{"role": "readWrite", "db": database}]
        try:
            await db.command("createUser", user, pwd=password, roles=roles)
            users = True
            detail = f"user {user} created (readWrite on {database} only)"
        except OperationFailure as exc:
            if exc.code == _USER_EXISTS:
                await db.command("updateUser", user, pwd=password, roles=roles)
                users = True
                detail = f"user {user} present (readWrite on {database} only)"
            elif exc.code in _UNSUPPORTED:
                users = False
                why = exc.details.get("errmsg") if exc.details else str(exc)
                detail = (
                    f"users not supported by the server ({why}): services connect without a per-district "
                    "user; isolation rests on the gRPC credentials"
                )
            else:
                raise
    except PyMongoError as exc:
        raise MongoAdminError(f"MongoDB: {exc}") from exc
    return DatabaseReport(database, users, f"database {database} with platform indexes; {detail}")


async def drop_database(mongo: AsyncMongoClient[Document], *, database: str, user: str) -> None:
    try:
        try:
            await mongo[database].command("dropUser", user)
        except OperationFailure as exc:
            if exc.code not in {_USER_NOT_FOUND, *_UNSUPPORTED}:
                raise
        await mongo.drop_database(database)
    except PyMongoError as exc:
        raise MongoAdminError(f"MongoDB: {exc}") from exc


async def database_exists(mongo: AsyncMongoClient[Document], database: str) -> bool:
    return database in await mongo.list_database_names()
