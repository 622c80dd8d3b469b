// Rooms and staffing: coverage and its gaps (R-ROOM-4), rooms with their staff and the understaffed
// ones (R-PER-2), blank villages (R-PER-5), a room's duty-rota gaps (R-ROOM-6), and every open staffing
// finding with its rule id. Rooms come from the room registry, staffing from personnel: either can be
// down without taking the other part away.

import { api } from "../../shared/api";
import { errorBanner, section } from "../../shared/banner";
import { field, h, select, table } from "../../shared/dom";
import {
  coverageFinding,
  findingKind,
  findingStatus,
  localDate,
  type LocalDate,
  mustBuildReason,
  percent,
  rotaGapKind,
  roomKind,
  roomStatus,
  time,
} from "../../shared/labels";
import type { Cleanup, Ctx } from "../context";

interface Room {
  room_id: string;
  name: string;
  kind: string;
  status: string;
  zone_codes: string[];
  officers: { officer_id: string; role: string; police_officer: boolean }[];
}
interface Gap {
  finding: string;
  village_id: string;
  room_id: string;
  reasons: string[];
  name: string;
}
interface Coverage {
  coverage_report: { villages_requiring_room: number; villages_covered: number; coverage_ratio: number; gaps: Gap[] };
}
interface Finding {
  finding_id: string;
  kind: string;
  status: string;
  rule_id: string;
  station_id: string;
  room_id: string;
  zone_code: string;
  village_id: string;
  officer_id: string;
  actual_value: number;
  required_value: number;
  detail: string;
  raise_time: string;
}
interface Assignment {
  village_id: string;
  zone_code: string;
  liaison_officer_id: string;
  resident_auxiliary_id: string;
}
interface RotaGap {
  date: LocalDate;
  kind: string;
  detail: string;
}

export function roomsView(root: HTMLElement, ctx: Ctx): Cleanup {
  const coverage = h("section", { "aria-labelledby": "cov-title" });
  const rooms = h("section", { "aria-labelledby": "rooms-title" });
  const blank = h("section", { "aria-labelledby": "blank-title" });
  const rota = h("section", { "aria-labelledby": "rota-title" });
  const findings = h("section", { "aria-labelledby": "findings-title" });
  root.replaceChildren(
    h("div", { class: "grid-2" }, h("div", {}, h("h2", { id: "cov-title" }, "警务室覆盖（R-ROOM-4）"), coverage), h("div", {}, h("h2", { id: "blank-title" }, "空白村与缺驻村辅警（R-PER-5）"), blank)),
    h("h2", { id: "rooms-title" }, "警务室与人员配备（R-PER-2）"),
    rooms,
    h("h2", { id: "rota-title" }, "值班表缺口（R-ROOM-6）"),
    rota,
    h("h2", { id: "findings-title" }, "问题清单"),
    findings,
  );

  const roomNames = new Map<string, string>();
  const roomsLoaded = api.get<{ rooms: Room[] }>("/api/rooms").then((answer) => {
    for (const r of answer.rooms) roomNames.set(r.room_id, r.name);
    return answer.rooms;
  });
  const findingsLoaded = api.get<{ findings: Finding[] }>("/api/staffing/findings").then((a) => a.findings);

  void section(coverage, "覆盖情况", async () => {
    const { coverage_report: c } = await api.get<Coverage>("/api/rooms/coverage");
    return [
      h(
        "p",
        { class: "figures" },
        h("span", {}, `应建警务室的村 ${c.villages_requiring_room} 个`),
        h("span", {}, `已覆盖 ${c.villages_covered} 个`),
        h("span", {}, `覆盖率 ${percent(c.coverage_ratio)}`),
      ),
      table(
        ["缺口", "名称", "原因"],
        c.gaps.map((g) => [coverageFinding(g.finding), g.name || g.room_id || g.village_id, g.reasons.map(mustBuildReason).join("、")]),
        "覆盖缺口",
      ),
    ];
  });

  void section(rooms, "警务室", async () => {
    const list = await roomsLoaded;
    let understaffed = new Map<string, Finding>();
    let staffingBanner: HTMLElement | null = null;
    try {
      understaffed = new Map(
        (await findingsLoaded)
          .filter((f) => f.kind === "STAFFING_FINDING_KIND_ROOM_UNDERSTAFFED")
          .map((f) => [f.room_id, f]),
      );
    } catch (error) {
      staffingBanner = errorBanner(error, "人员不足标记");
    }
    const rows = list
      .filter((r) => r.status === "ROOM_STATUS_ACTIVE" || r.status === "ROOM_STATUS_PLANNED")
      .map((r) => {
        const police = r.officers.filter((o) => o.police_officer).length;
        const auxiliaries = r.officers.length - police;
        const short = understaffed.get(r.room_id);
        return [
          r.name,
          roomKind(r.kind),
          roomStatus(r.status),
          r.zone_codes.join("、"),
          String(police),
          String(auxiliaries),
          staffingBanner
            ? "—"
            : short
              ? h("span", { class: "flag" }, `人员不足：${short.detail || `${short.actual_value}/${short.required_value}`}`)
              : "达标",
        ];
      });
    return [staffingBanner ?? "", table(["警务室", "类型", "状态", "警务区", "民警", "辅警", "配备（R-PER-2）"], rows)].filter(
      (x): x is HTMLElement => typeof x !== "string",
    );
  });

  void section(blank, "空白村", async () => {
    const [{ village_assignments: list }, villages] = await Promise.all([
      api.get<{ village_assignments: Assignment[] }>("/api/staffing/villages"),
      api
        .get<{ features: { id: string; properties: { name: string } }[] }>("/api/map/villages")
        .catch(() => ({ features: [] })),
    ]);
    const names = new Map(villages.features.map((f) => [String(f.id), f.properties.name]));
    return table(
      ["村", "警务区", "包村民警", "驻村辅警"],
      list.map((a) => [
        names.get(a.village_id) ?? a.village_id,
        a.zone_code,
        a.liaison_officer_id ? "已配" : h("span", { class: "flag" }, "空白村"),
        a.resident_auxiliary_id ? "已配" : h("span", { class: "flag" }, "缺"),
      ]),
    );
  });

  const roomChoice = select([["", "（选择警务室）"]]);
  const rotaResult = h("div", {});
  const rotaForm = h("form", { class: "inline" }, field("警务室", roomChoice), h("button", { type: "submit" }, "查看本月值班缺口"));
  rota.replaceChildren(rotaForm, rotaResult);
  roomsLoaded
    .then((list) => {
      for (const r of list) roomChoice.append(h("option", { value: r.room_id }, r.name));
    })
    .catch(() => undefined);
  rotaForm.addEventListener("submit", (event) => {
    event.preventDefault();
    if (!roomChoice.value) return;
    void section(rotaResult, "值班缺口", async () => {
      const answer = await api.get<{ gaps: RotaGap[]; period: { start: string; end: string } }>(
        `/api/rooms/${encodeURIComponent(roomChoice.value)}/rota-gaps`,
      );
      return [
        h("p", {}, `${answer.period.start} 至 ${answer.period.end}：${answer.gaps.length} 天有缺口`),
        table(["日期", "缺口", "说明"], answer.gaps.map((g) => [localDate(g.date), rotaGapKind(g.kind), g.detail])),
      ];
    });
  });

  const renderFindings = () =>
    section(findings, "问题清单", async () => {
      const list = await api.get<{ findings: Finding[] }>("/api/staffing/findings").then((a) => a.findings);
      await roomsLoaded.catch(() => undefined);
      const parts: HTMLElement[] = [];
      if (ctx.can("evaluate_staffing")) {
        const run = h("button", { type: "button" }, "重新评估配备规则");
        const note = h("span", { role: "status" });
        run.addEventListener("click", () => {
          run.disabled = true;
          note.textContent = "正在评估…";
          api
            .post<{ open_count: number }>("/api/staffing/evaluate", {})
            .then((r) => {
              note.textContent = `评估完成：${r.open_count} 项未整改`;
              void renderFindings();
            })
            .catch((error: unknown) => {
              note.replaceChildren(errorBanner(error, "评估"));
            })
            .finally(() => {
              run.disabled = false;
            });
        });
        parts.push(h("p", {}, run, note));
      }
      parts.push(
        table(
          ["规则", "问题", "对象", "实际 / 要求", "说明", "发现时间", "状态"],
          list.map((f) => [
            h("code", {}, f.rule_id),
            findingKind(f.kind),
            roomNames.get(f.room_id) ?? (f.room_id || f.village_id || f.officer_id || f.station_id || f.zone_code),
            f.required_value ? `${f.actual_value} / ${f.required_value}` : "",
            f.detail,
            time(f.raise_time),
            findingStatus(f.status),
          ]),
          `未整改问题 ${list.length} 项`,
        ),
      );
      return parts;
    });
  void renderFindings();
  return null;
}
