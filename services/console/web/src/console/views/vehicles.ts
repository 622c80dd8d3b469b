// Vehicles and handhelds moving live: the console pushes the devices that moved, once a second, over
// Server-Sent Events (EventSource reconnects by itself). Each device is an HTML marker labelled for
// screen readers with what it is and when it last reported.

import * as maplibregl from "maplibre-gl";
import { ApiError, api } from "../../shared/api";
import type { BannerBoard } from "../../shared/banner";
import { h } from "../../shared/dom";
import { deviceKind, time } from "../../shared/labels";

export interface LivePosition {
  device_id: string;
  kind: string;
  lon: number;
  lat: number;
  speed_kmh: number;
  heading_deg: number;
  time: string | null;
  vehicle_id?: string;
  room_id?: string;
  officer_id?: string;
  stale?: boolean;
}

interface StreamStatus {
  feed: string;
  telemetry: string;
  message?: string;
}

interface Device {
  device_id: string;
  jt808?: { plate?: string };
  vehicle_id?: string;
}

export class LiveVehicles {
  private readonly markers = new Map<string, maplibregl.Marker>();
  private readonly plates = new Map<string, string>();
  private source: EventSource | null = null;
  private visible = true;
  private readonly count: HTMLElement;

  constructor(
    private readonly map: maplibregl.Map,
    private readonly board: BannerBoard,
  ) {
    this.count = h("p", { class: "live-count", role: "status", "aria-live": "polite" });
    board.element.before(this.count);
  }

  start(bbox: [number, number, number, number] | null): void {
    if (this.source) return;
    api
      .get<{ devices: Device[] }>("/api/devices")
      .then((answer) => {
        for (const d of answer.devices) if (d.jt808?.plate) this.plates.set(d.device_id, d.jt808.plate);
        for (const [id, marker] of this.markers) this.label(marker.getElement(), id);
      })
      .catch(() => undefined); // names only; positions still show
    // The district's zones and a margin around them (about 10 km).
    const margin = [-0.1, -0.1, 0.1, 0.1];
    const params = bbox ? `?bbox=${bbox.map((v, i) => (v + (margin[i] ?? 0)).toFixed(5)).join(",")}` : "";
    const source = new EventSource(`/api/live/positions${params}`);
    this.source = source;
    source.addEventListener("status", (event) => {
      const status = JSON.parse((event as MessageEvent<string>).data) as StreamStatus;
      this.clear("live");
      this.clear("stream");
      if (status.telemetry !== "available") {
        const down = new ApiError(503, {
          error: { message: status.message ?? "", code: status.telemetry, service: "telemetry", service_label: "车辆定位服务", unavailable: true },
        });
        this.board.fail("live", down, "车辆最新位置（仅显示实时上报）");
      }
      if (status.feed === "waiting") this.banner("feed", new Error("尚无定位数据上报"), "实时位置");
    });
    source.addEventListener("positions", (event) => {
      this.clear("stream");
      this.clear("feed");
      const batch = JSON.parse((event as MessageEvent<string>).data) as LivePosition[];
      for (const p of batch) this.move(p);
      this.count.textContent = `实时显示 ${this.markers.size} 台车辆和警务通`;
    });
    source.addEventListener("expired", () => source.close());
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) {
        this.banner("stream", new Error("实时位置连接已关闭，请刷新页面"), "实时位置");
      } else {
        this.banner("stream", new Error("实时位置连接中断，正在重连…"), "实时位置");
      }
    };
  }

  stop(): void {
    this.source?.close();
    this.source = null;
    for (const m of this.markers.values()) m.remove();
    this.markers.clear();
    this.count.remove();
  }

  setVisible(visible: boolean): void {
    this.visible = visible;
    for (const m of this.markers.values()) m.getElement().hidden = !visible;
  }

  private move(p: LivePosition): void {
    let marker = this.markers.get(p.device_id);
    if (!marker) {
      const handheld = p.kind === "DEVICE_KIND_HANDHELD";
      const el = h("div", { class: `vehicle vehicle-${handheld ? "handheld" : "car"}`, role: "img", "data-device": p.device_id }, handheld ? "警" : "车");
      el.hidden = !this.visible;
      marker = new maplibregl.Marker({ element: el }).setLngLat([p.lon, p.lat]).addTo(this.map);
      this.markers.set(p.device_id, marker);
    }
    marker.setLngLat([p.lon, p.lat]);
    const el = marker.getElement();
    el.dataset.time = p.time ?? "";
    el.dataset.lon = String(p.lon);
    el.dataset.lat = String(p.lat);
    el.classList.toggle("stale", p.stale === true);
    this.label(el, p.device_id, p);
  }

  private label(el: HTMLElement, id: string, p?: LivePosition): void {
    const name = this.plates.get(id) ?? id;
    const kind = p ? deviceKind(p.kind) : "";
    const at = p?.time ? `，${time(p.time)}上报，${p.speed_kmh} km/h` : "";
    el.setAttribute("aria-label", `${kind} ${name}${at}`);
    el.title = `${kind} ${name}${at}`;
  }

  private banner(key: string, error: unknown, what: string): void {
    this.board.fail(key, error, what, true);
  }

  private clear(key: string): void {
    this.board.clear(key);
  }
}
