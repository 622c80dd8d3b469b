"""The generic document codec with the room registry's one stored-shape exception: points.

Every ``GeoPoint`` (a room's location, its stops, a checkpoint, a station, a village) is stored as a
GeoJSON point, ``{"type": "Point", "coordinates": [lon, lat]}``, not as the codec's
``{"longitude": .., "latitude": ..}``: a production MongoDB can put a 2dsphere index on GeoJSON, and the
district databases already hold points this way (FerretDB only stores them; distances are computed in
the service, see docs/adr/0003). Everything else is the codec's mechanical mapping.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from jingwu_platform.codec import DocumentCodec
from jingwu_platform.mongo import Document

from jingwu_rooms.domain.model import GeoPoint

A = TypeVar("A")
_POINT_FIELDS = {"longitude", "latitude"}


def point_to_document(point: GeoPoint) -> Document:
    return {"type": "Point", "coordinates": [point.longitude, point.latitude]}


def point_from_document(document: Document) -> GeoPoint:
    longitude, latitude = document["coordinates"]
    return GeoPoint(longitude=float(longitude), latitude=float(latitude))


def _to_geojson(value: Any) -> Any:
    if isinstance(value, dict):
        if value.keys() == _POINT_FIELDS:  # an encoded GeoPoint
            return point_to_document(GeoPoint(value["longitude"], value["latitude"]))
        return {key: _to_geojson(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_to_geojson(item) for item in value]
    return value


def _from_geojson(value: Any) -> Any:
    if isinstance(value, dict):
        if value.get("type") == "Point" and "coordinates" in value:
            point = point_from_document(value)
            return {"longitude": point.longitude, "latitude": point.latitude}
        return {key: _from_geojson(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_from_geojson(item) for item in value]
    return value


class GeoDocumentCodec(DocumentCodec[A]):
    """``DocumentCodec`` whose GeoPoints are GeoJSON points in the store."""

    def to_document(self, obj: A) -> Document:
        document: Document = _to_geojson(super().to_document(obj))
        return document

    def from_document(self, document: Mapping[str, Any]) -> A:
        # The outbox fields (_outbox, _outbox_pending) are not the aggregate's: leave them out.
        fields = {key: value for key, value in document.items() if not key.startswith("_") or key == "_id"}
        return super().from_document(_from_geojson(fields))
