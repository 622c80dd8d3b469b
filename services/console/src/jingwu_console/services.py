"""The district services the console talks to, and their names as the console shows them."""

from __future__ import annotations

from typing import Final, Literal

Service = Literal["rooms", "population", "personnel", "telemetry", "notification", "patrol"]

SERVICES: Final[tuple[Service, ...]] = (
    "rooms",
    "population",
    "personnel",
    "telemetry",
    "notification",
    "patrol",
)

# Shown in the banners of the views ("实有人口服务暂不可用").
LABELS: Final[dict[Service, str]] = {
    "rooms": "警务室登记服务",
    "population": "实有人口服务",
    "personnel": "人员管理服务",
    "telemetry": "车辆定位服务",
    "notification": "通知服务",
    "patrol": "巡逻防控服务",
}
