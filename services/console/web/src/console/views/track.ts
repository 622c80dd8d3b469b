// Track replay (R-PAT-6): a vehicle's or handheld's fixes over one local day, drawn as a line, with a
// marker that a labelled slider (keyboard: arrows, Home/End) or the play button moves along it.

import type { Feature, FeatureCollection } from "geojson";
import * as maplibregl from "maplibre-gl";
import { api, query } from "../../shared/api";
import type { BannerBoard } from "../../shared/banner";
import { field, h } from "../../shared/dom";
import { time, today } from "../../shared/labels";
import type { LivePosition } from "./vehicles";

interface Track {
  device_id: string;
  date: string;
  fixes: LivePosition[];
  line: Feature;
}

interface Device {
  device_id: string;
  kind: string;
  jt808?: { plate?: string };
  handheld?: { app_instance_id?: string };
}

export function trackReplay(slot: HTMLElement, map: maplibregl.Map, board: BannerBoard) {
  const device = h("select", { name: "device" }, h("option", { value: "" }, "（选择车辆或警务通）"));
  const day = h("input", { type: "date", name: "date", value: today(), max: today() });
  const show = h("button", { type: "submit" }, "回放轨迹");
  const slider = h("input", { type: "range", min: 0, max: 0, value: 0, step: 1, disabled: true });
  const play = h("button", { type: "button", disabled: true }, "播放");
  const readout = h("p", { class: "replay-readout", role: "status", "aria-live": "polite" });
  const form = h("form", { class: "replay-form" }, field("车辆或警务通", device), field("日期", day), show);
  slot.replaceChildren(h("h2", { id: "replay-title" }, "轨迹回放"), form, h("div", { class: "replay-controls" }, field("回放位置", slider), play), readout);

  let fixes: LivePosition[] = [];
  let marker: maplibregl.Marker | null = null;
  let timer: ReturnType<typeof setInterval> | undefined;

  const place = (i: number) => {
    const f = fixes[i];
    if (!f) return;
    // A marker needs its position before addTo: MapLibre places it right away.
    marker ??= new maplibregl.Marker({ element: h("div", { class: "replay-marker", "aria-hidden": "true" }) }).setLngLat([f.lon, f.lat]).addTo(map);
    marker.setLngLat([f.lon, f.lat]);
    readout.textContent = `${time(f.time)} · ${f.speed_kmh} km/h ·（第 ${i + 1}/${fixes.length} 个定位点）`;
  };
  slider.addEventListener("input", () => place(Number(slider.value)));
  play.addEventListener("click", () => {
    if (timer) {
      clearInterval(timer);
      timer = undefined;
      play.textContent = "播放";
      return;
    }
    play.textContent = "暂停";
    timer = setInterval(() => {
      const next = Number(slider.value) + 1;
      if (next >= fixes.length) {
        clearInterval(timer);
        timer = undefined;
        play.textContent = "播放";
        return;
      }
      slider.value = String(next);
      place(next);
    }, 200);
  });

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    board.clear("track");
    if (!device.value) {
      readout.textContent = "请先选择车辆或警务通。";
      device.focus();
      return;
    }
    api
      .get<Track>(`/api/tracks${query({ device_id: device.value, date: day.value })}`)
      .then((track) => {
        fixes = track.fixes;
        (map.getSource("track") as maplibregl.GeoJSONSource | undefined)?.setData({
          type: "FeatureCollection",
          features: [track.line],
        } as FeatureCollection);
        slider.max = String(Math.max(0, fixes.length - 1));
        slider.value = "0";
        slider.disabled = play.disabled = fixes.length === 0;
        if (fixes.length) {
          place(0);
          const bounds = new maplibregl.LngLatBounds();
          for (const f of fixes) bounds.extend([f.lon, f.lat]);
          map.fitBounds(bounds, { padding: 40, duration: 0, maxZoom: 15 });
        } else {
          readout.textContent = `${track.date} 没有定位记录。`;
        }
      })
      .catch((error: unknown) => board.fail("track", error, "轨迹回放"));
  });

  return {
    ready() {
      api
        .get<{ devices: Device[] }>("/api/devices")
        .then((answer) => {
          for (const d of answer.devices) {
            const name = d.jt808?.plate || d.handheld?.app_instance_id || d.device_id;
            device.append(h("option", { value: d.device_id }, `${name}（${d.kind === "DEVICE_KIND_HANDHELD" ? "警务通" : "车载"}）`));
          }
        })
        .catch((error: unknown) => board.fail("devices", error, "轨迹回放的设备列表"));
    },
    stop() {
      clearInterval(timer);
      marker?.remove();
    },
  };
}
