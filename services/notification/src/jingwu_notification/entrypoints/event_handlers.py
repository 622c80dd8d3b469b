"""Events of other services → notification use cases: check what the payload must carry, then call."""

from __future__ import annotations

from jingwu.rooms.v1 import events_pb2 as room_events
from jingwu_platform.events import Event, EventRejected
from jingwu_platform.kafka import EventHandler

from jingwu_notification.application.notices import NoticeApplication


class RoomEventHandlers:
    """jingwu.<district>.rooms.v1 → notices."""

    def __init__(self, notices: NoticeApplication) -> None:
        self._notices = notices

    async def on_room_opened(self, event: Event, payload: room_events.RoomOpened) -> None:
        if not payload.room.room_id or not payload.room.name:
            raise EventRejected("RoomOpened without room.room_id or room.name")
        await self._notices.announce_room_opened(
            event_id=event.event_id,
            room_id=payload.room.room_id,
            room_name=payload.room.name,
            address=payload.room.address,
        )

    def handlers(self) -> list[EventHandler[room_events.RoomOpened]]:
        return [EventHandler(room_events.RoomOpened, self.on_room_opened)]
