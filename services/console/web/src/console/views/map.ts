// The live map (R-POP-7): zones with their 8-digit codes, rooms by kind with coverage gaps (R-ROOM-4),
// resident density, places with overdue inspections (R-POP-3), prevention rings and checkpoints
// (R-PAT-3), vehicles and handhelds moving live (Server-Sent Events), and a track replay (R-PAT-6).
// Each layer has its own source service: a service that is down leaves a banner and the other layers.

import type { Feature, FeatureCollection, Point } from "geojson";
import * as maplibregl from "maplibre-gl";
import workerUrl from "maplibre-gl/dist/maplibre-gl-worker.mjs?url";
import { api, query } from "../../shared/api";
import { BannerBoard } from "../../shared/banner";
import { field, h, uid } from "../../shared/dom";
import { mustBuildReason, placeKind, ringLevel, roomKind, ROOM_KIND_COLOURS } from "../../shared/labels";
import type { Ctx } from "../context";
import { baseStyle, densityPaint, type SourceId } from "./mapstyle";
import { LiveVehicles } from "./vehicles";
import { trackReplay } from "./track";

maplibregl.setWorkerUrl(workerUrl);

type FC = FeatureCollection & { bbox?: [number, number, number, number] | null };

interface Layer {
  id: string;
  label: string;
  layers: string[];
  source?: SourceId;
  url?: string;
  on: boolean;
}

const LAYERS: Layer[] = [
  { id: "zones", label: "警务区", layers: ["zones-fill", "zones-line", "zones-line-approximate"], source: "zones", url: "/api/map/zones", on: true },
  { id: "density", label: "人口密度", layers: [], on: false },
  { id: "rooms", label: "警务室", layers: ["rooms", "rooms-gap"], source: "rooms", url: "/api/map/rooms", on: true },
  { id: "villages", label: "村（社区）", layers: ["villages"], source: "villages", url: "/api/map/villages", on: true },
  { id: "places", label: "逾期未检查场所", layers: ["places"], source: "places", url: "/api/map/places", on: true },
  { id: "houses", label: "房屋", layers: ["houses"], source: "houses", on: false },
  { id: "rings", label: "防控圈", layers: ["rings-fill", "rings-line"], source: "rings", url: "/api/map/rings", on: true },
  { id: "checkpoints", label: "卡口", layers: ["checkpoints"], source: "checkpoints", url: "/api/map/checkpoints", on: true },
  { id: "vehicles", label: "车辆与警务通（实时）", layers: [], on: true },
];
const DEFAULT_CENTER: [number, number] = [116.98, 33.64];

export function mapView(root: HTMLElement, _ctx: Ctx): () => void {
  const banners = h("div", { class: "banners", "aria-live": "polite" });
  const container = h("div", { class: "map", id: uid("map"), role: "region", "aria-label": "警务地图" });
  const details = h("div", { class: "map-details", "aria-live": "polite" }, h("p", { class: "hint" }, "点击地图上的要素查看详情。"));
  const toggles = h("fieldset", { class: "layers" }, h("legend", {}, "图层"));
  const roomPicker = h("select", { "aria-describedby": "room-picker-hint" }, h("option", { value: "" }, "（选择警务室）"));
  const side = h(
    "aside",
    { class: "map-side", "aria-label": "图层与详情" },
    toggles,
    legend(),
    field("定位到警务室", roomPicker),
    h("p", { id: "room-picker-hint", class: "hint" }, "用键盘选择后地图移到该警务室。地图获得焦点后可用方向键平移、+/- 缩放。"),
    details,
  );
  const replaySlot = h("section", { class: "replay", "aria-labelledby": "replay-title" });
  // What the map draws, in words (for screen readers, and read back by the browser tests).
  const summary = h("p", { class: "map-summary", role: "status", "aria-live": "polite" });
  root.replaceChildren(banners, h("div", { class: "map-layout" }, h("div", {}, container, summary), side), replaySlot);

  const map = new maplibregl.Map({
    container,
    style: baseStyle(),
    center: DEFAULT_CENTER,
    zoom: 10,
    attributionControl: false,
    fadeDuration: 0,
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), "top-right");
  map.getCanvas().setAttribute("aria-label", "警务地图画布：方向键平移，加减号缩放");

  const data = new Map<string, FC>();
  const zoneLabels: maplibregl.Marker[] = [];
  let population: Record<string, { actual_population: number }> | null = null;
  const board = new BannerBoard(banners);
  const vehicles = new LiveVehicles(map, board);
  const replay = trackReplay(replaySlot, map, board);
  const banner = (key: string, error: unknown, what: string) => board.fail(key, error, what);
  const clearBanner = (key: string) => board.clear(key);

  const setData = (source: SourceId, fc: FC) => {
    const target = map.getSource(source) as maplibregl.GeoJSONSource | undefined;
    target?.setData(fc);
  };

  const paintZones = () => {
    const zones = data.get("zones");
    if (!zones) return;
    const on = LAYERS.find((l) => l.id === "density")?.on && population;
    if (on && population) {
      const counts = population;
      const withCounts: FC = {
        ...zones,
        features: zones.features.map((f) => ({
          ...f,
          properties: { ...f.properties, population: counts[String(f.properties?.zone_code)]?.actual_population ?? 0 },
        })),
      };
      setData("zones", withCounts);
      const max = Math.max(1, ...Object.values(counts).map((c) => c.actual_population));
      map.setPaintProperty("zones-fill", "fill-color", densityPaint(max));
      map.setPaintProperty("zones-fill", "fill-opacity", 0.6);
    } else {
      setData("zones", zones);
      map.setPaintProperty("zones-fill", "fill-color", "#c6dbef");
      map.setPaintProperty("zones-fill", "fill-opacity", 0.35);
    }
  };

  const labelZones = (zones: FC) => {
    for (const m of zoneLabels) m.remove();
    zoneLabels.length = 0;
    for (const f of zones.features) {
      const p = f.properties ?? {};
      const at = p.label_point as [number, number] | undefined;
      if (!at) continue;
      const el = h("div", { class: "zone-label", "data-zone": String(p.zone_code) }, h("b", {}, String(p.zone_code)), h("span", {}, String(p.name ?? "")));
      zoneLabels.push(new maplibregl.Marker({ element: el }).setLngLat(at).addTo(map));
    }
  };

  const load = async (layer: Layer) => {
    if (!layer.url || !layer.source) return;
    try {
      const fc = await api.get<FC>(layer.url);
      data.set(layer.id, fc);
      clearBanner(layer.id);
      if (layer.id === "zones") {
        paintZones();
        labelZones(fc);
        if (fc.bbox) map.fitBounds(fc.bbox, { padding: 30, duration: 0 });
        vehicles.start(fc.bbox ?? null);
      } else {
        setData(layer.source, fc);
      }
      if (layer.id === "rooms") fillRoomPicker(fc);
      root.dataset[`loaded${layer.id[0]?.toUpperCase()}${layer.id.slice(1)}`] = String(fc.features.length);
    } catch (error) {
      banner(layer.id, error, layer.label);
      if (layer.id === "zones") vehicles.start(null);
    }
  };

  const loadDensity = async () => {
    try {
      const answer = await api.get<{ zones: Record<string, { actual_population: number }> }>("/api/map/density");
      population = answer.zones;
      clearBanner("density");
      paintZones();
    } catch (error) {
      banner("density", error, "人口密度");
    }
  };

  let houseTimer: ReturnType<typeof setTimeout> | undefined;
  const loadHouses = () => {
    clearTimeout(houseTimer);
    houseTimer = setTimeout(async () => {
      if (!LAYERS.find((l) => l.id === "houses")?.on || map.getZoom() < 13) return;
      const b = map.getBounds();
      try {
        const fc = await api.get<FC>(`/api/map/houses${query({ bbox: [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(5)).join(",") })}`);
        setData("houses", fc);
        clearBanner("houses");
      } catch (error) {
        banner("houses", error, "房屋");
      }
    }, 300);
  };

  const fillRoomPicker = (fc: FC) => {
    roomPicker.replaceChildren(h("option", { value: "" }, "（选择警务室）"));
    const sorted = [...fc.features].sort((a, b) => String(a.properties?.name).localeCompare(String(b.properties?.name), "zh"));
    for (const f of sorted) roomPicker.append(h("option", { value: String(f.id) }, String(f.properties?.name)));
  };
  roomPicker.addEventListener("change", () => {
    const f = data.get("rooms")?.features.find((x) => String(x.id) === roomPicker.value);
    if (!f) return;
    const at = (f.geometry as Point).coordinates as [number, number];
    map.jumpTo({ center: at, zoom: Math.max(map.getZoom(), 13) });
    showDetails(f, "rooms");
  });

  const showDetails = (f: Feature, layer: string) => {
    details.replaceChildren(describe(f, layer));
  };
  for (const layer of ["rooms", "villages", "places", "checkpoints", "rings-fill", "zones-fill"]) {
    map.on("click", layer, (event) => {
      const f = event.features?.[0];
      if (f) showDetails(f as unknown as Feature, layer);
    });
  }

  for (const layer of LAYERS) {
    const box = h("input", { type: "checkbox", checked: layer.on, "data-layer": layer.id });
    const id = uid("layer");
    box.id = id;
    box.addEventListener("change", () => {
      layer.on = box.checked;
      for (const l of layer.layers) if (map.getLayer(l)) map.setLayoutProperty(l, "visibility", box.checked ? "visible" : "none");
      if (layer.id === "density") {
        if (box.checked && !population) void loadDensity();
        else paintZones();
      }
      if (layer.id === "houses") loadHouses();
      if (layer.id === "vehicles") vehicles.setVisible(box.checked);
    });
    toggles.append(h("div", { class: "check" }, box, h("label", { for: id }, layer.label)));
  }

  map.on("load", () => {
    root.dataset.mapReady = "true";
    for (const layer of LAYERS) {
      for (const l of layer.layers) map.setLayoutProperty(l, "visibility", layer.on ? "visible" : "none");
      void load(layer);
    }
    replay.ready();
  });
  map.on("moveend", loadHouses);
  map.on("idle", () => {
    const drawn = (layer: string, key: string) =>
      map.getLayer(layer) ? new Set(map.queryRenderedFeatures({ layers: [layer] }).map((f) => String(f.properties[key]))).size : 0;
    const counts = {
      zones: drawn("zones-fill", "zone_code"),
      rooms: drawn("rooms", "room_id"),
      villages: drawn("villages", "village_id"),
      places: drawn("places", "place_id"),
      checkpoints: drawn("checkpoints", "checkpoint_id"),
    };
    for (const [k, v] of Object.entries(counts)) summary.dataset[k] = String(v);
    // The replayed track's line as drawn (its pieces across tiles): 0 until a replay is shown.
    summary.dataset.track = String(map.getLayer("track") ? map.queryRenderedFeatures({ layers: ["track"] }).length : 0);
    summary.textContent = `地图显示 ${counts.zones} 个警务区、${counts.rooms} 个警务室、${counts.villages} 个村（社区）、${counts.places} 个待检查场所、${counts.checkpoints} 个卡口。`;
  });
  map.on("error", (event) => console.error("map", event.error));

  return () => {
    vehicles.stop();
    replay.stop();
    clearTimeout(houseTimer);
    map.remove();
  };
}

function legend(): HTMLElement {
  return h(
    "details",
    { class: "legend", open: true },
    h("summary", {}, "图例"),
    h(
      "ul",
      {},
      Object.entries(ROOM_KIND_COLOURS).map(([kind, colour]) =>
        h("li", {}, h("span", { class: "swatch", style: `background:${colour}`, "aria-hidden": "true" }), roomKind(kind)),
      ),
      h("li", {}, h("span", { class: "swatch ring", "aria-hidden": "true" }), "红圈：无民警的警务室 / 应建未建的村（R-ROOM-4）"),
      h("li", {}, h("span", { class: "swatch dashed", "aria-hidden": "true" }), "虚线：未登记边界的警务区，按其村（社区）和警务室位置近似绘制"),
      h("li", {}, h("span", { class: "swatch overdue", "aria-hidden": "true" }), "深红点：逾期未检查场所（R-POP-3）"),
      h("li", {}, h("span", { class: "swatch checkpoint", "aria-hidden": "true" }), "黄点黑边：卡口、检查站（R-PAT-3）"),
    ),
  );
}

function describe(f: Feature, layer: string): HTMLElement {
  const p = (f.properties ?? {}) as Record<string, unknown>;
  const rows: [string, string][] = [];
  let title = String(p.name ?? "");
  if (layer === "rooms") {
    rows.push(["类型", roomKind(String(p.kind))], ["民警", String(p.officer_count)], ["辅警", String(p.auxiliary_count)]);
    if (p.vehicle_plate) rows.push(["车牌", String(p.vehicle_plate)]);
    if (p.gap === true) rows.push(["覆盖缺口", "无民警（R-ROOM-4）"]);
  } else if (layer === "villages") {
    const reasons = parseList(p.must_build).map(mustBuildReason);
    if (reasons.length) rows.push(["应建警务室", reasons.join("、")]);
    rows.push(["覆盖", p.gap === true ? "应建未建（R-ROOM-4）" : "已覆盖或无须建"]);
  } else if (layer === "places") {
    rows.push(["类型", placeKind(String(p.kind))], ["应检日期", String(p.due_date)]);
    if (p.overdue === true) rows.push(["逾期", `${String(p.days_overdue)}天（R-POP-3）`]);
  } else if (layer === "checkpoints") {
    rows.push(["警务区", String(p.zone_code)], ["状态", p.active === false ? "停用" : "启用"]);
  } else if (layer === "rings-fill") {
    rows.push(["层级", ringLevel(String(p.level))]);
  } else if (layer === "zones-fill") {
    title = `${String(p.zone_code)} ${String(p.name ?? "")}`;
    if (p.approximate === true) rows.push(["边界", "未登记，按村（社区）和警务室位置近似绘制"]);
    if (p.population !== undefined) rows.push(["实有人口", String(p.population)]);
  }
  return h(
    "div",
    {},
    h("h2", {}, title),
    h("dl", {}, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])),
  );
}

function parseList(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === "string" && value.startsWith("[")) {
    try {
      return (JSON.parse(value) as unknown[]).map(String);
    } catch {
      return [];
    }
  }
  return [];
}
