// Patrol evidence (R-PAT-6) per vehicle and day: mileage, time in zone, stop compliance (R-ROOM-5),
// and 见警率 per zone — the share of planned hot-spot slots with patrol presence — as charts with the
// same figures in tables.

import { api, query } from "../../shared/api";
import { errorBanner, section } from "../../shared/banner";
import { barChart } from "../../shared/chart";
import { field, h, table } from "../../shared/dom";
import { duration, percent, today } from "../../shared/labels";
import type { Cleanup, Ctx } from "../context";

interface Evidence {
  vehicle_id: string;
  zone_code: string;
  mileage_km: number;
  mileage_in_zone_km: number;
  time_in_zone: string;
  moving_time: string;
  gap_time: string;
  fix_count: number;
  hotspot_coverage: { hotspot_id: string; start_minute: number; end_minute: number; required_minutes: number; present_minutes: number; met: boolean }[];
  stop_compliance: { room_id: string; stop_id: string; arrived: boolean; dwell: string; met: boolean }[];
  compliance_ratio: number;
}
interface Vehicle {
  vehicle_id: string;
  plate: string;
  zone_code: string;
}

export function visibilityByZone(evidence: Evidence[]): { zone: string; met: number; slots: number }[] {
  const zones = new Map<string, { met: number; slots: number }>();
  for (const e of evidence) {
    const z = zones.get(e.zone_code) ?? { met: 0, slots: 0 };
    for (const slot of e.hotspot_coverage) {
      z.slots += 1;
      if (slot.met) z.met += 1;
    }
    zones.set(e.zone_code, z);
  }
  return [...zones.entries()].map(([zone, z]) => ({ zone, ...z })).sort((a, b) => a.zone.localeCompare(b.zone));
}

export function patrolView(root: HTMLElement, ctx: Ctx): Cleanup {
  const day = h("input", { type: "date", value: today(-1), max: today() });
  const form = h("form", { class: "inline" }, field("日期", day), h("button", { type: "submit" }, "查看巡逻证据"));
  const body = h("div", {});
  root.replaceChildren(form, body);

  const load = () =>
    section(body, "巡逻证据", async () => {
      const [answer, vehicles] = await Promise.all([
        api.get<{ evidence: Evidence[]; date: string }>(`/api/patrol/evidence${query({ date: day.value })}`),
        api.get<{ vehicles: Vehicle[] }>("/api/patrol/vehicles").catch(() => ({ vehicles: [] as Vehicle[] })),
      ]);
      const plate = new Map(vehicles.vehicles.map((v) => [v.vehicle_id, v.plate]));
      const name = (id: string) => plate.get(id) ?? id;
      const visibility = visibilityByZone(answer.evidence);
      const parts: HTMLElement[] = [];
      if (!answer.evidence.length) parts.push(h("p", {}, `${answer.date} 没有巡逻证据（证据在次日按计划计算）。`));
      parts.push(
        h(
          "div",
          { class: "grid-2" },
          h("figure", {}, barChart("里程（公里）", answer.evidence.map((e) => ({ label: name(e.vehicle_id), value: e.mileage_km, text: `${e.mileage_km.toFixed(1)} km` }))), h("figcaption", {}, "各车里程")),
          h(
            "figure",
            {},
            barChart("见警率", visibility.map((v) => ({ label: v.zone, value: v.slots ? v.met / v.slots : 0, text: v.slots ? percent(v.met / v.slots) : "无计划", warn: v.slots > 0 && v.met < v.slots })), { max: 1 }),
            h("figcaption", {}, "各警务区见警率：有巡逻到位的计划时段占比（R-PAT-6）"),
          ),
        ),
      );
      parts.push(
        table(
          ["车辆", "警务区", "里程", "区内里程", "区内时长", "行驶时长", "信号中断", "定位点", "停靠点", "计划完成率", ""],
          answer.evidence.map((e) => {
            const recompute = ctx.can("compute_patrol_evidence") ? h("button", { type: "button", class: "link" }, "重新计算") : "";
            if (recompute) {
              recompute.addEventListener("click", () => {
                api
                  .post("/api/patrol/evidence/compute", { vehicle_id: e.vehicle_id, date: day.value })
                  .then(() => void load())
                  .catch((error: unknown) => body.prepend(errorBanner(error, "重新计算")));
              });
            }
            const stops = e.stop_compliance;
            return [
              name(e.vehicle_id),
              e.zone_code,
              `${e.mileage_km.toFixed(1)} km`,
              `${e.mileage_in_zone_km.toFixed(1)} km`,
              duration(e.time_in_zone),
              duration(e.moving_time),
              duration(e.gap_time),
              String(e.fix_count),
              stops.length ? `${stops.filter((s) => s.met).length}/${stops.length} 达标` : "—",
              percent(e.compliance_ratio),
              recompute,
            ];
          }),
          `${answer.date} 巡逻证据`,
        ),
        table(["警务区", "计划时段", "到位时段", "见警率"], visibility.map((v) => [v.zone, String(v.slots), String(v.met), v.slots ? percent(v.met / v.slots) : "—"]), "见警率"),
      );
      return parts;
    });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  void load();
  return null;
}
