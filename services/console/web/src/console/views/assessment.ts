// Assessment (R-PER-11): the monthly and quarterly rankings, and for each officer the explanation of
// the score — every indicator computed from platform data with its weight, the ratings by source, and
// the conduct deductions (R-PER-13) — as a table and a chart of what each part contributed.

import { api, query } from "../../shared/api";
import { errorBanner, section } from "../../shared/banner";
import { barChart } from "../../shared/chart";
import { field, h, select, table } from "../../shared/dom";
import { assessmentStatus, grade, indicator, ratingSource, time } from "../../shared/labels";
import type { Cleanup, Ctx } from "../context";

interface Entry {
  rank: number;
  officer_id: string;
  name: string;
  station_id: string;
  total_score: number;
  grade: string;
}
interface Assessment {
  officer_id: string;
  status: string;
  indicators: { code: string; raw_value: number; score: number; weight: number }[];
  ratings: { source: string; count: number; average_score: number; weight: number }[];
  conduct_deduction: number;
  total_score: number;
  grade: string;
  station_rank: number;
  district_rank: number;
  compute_time: string;
}

const fixed = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "—");

/** The last complete month or quarter (what a leader reviews), as [year, index]. */
export function lastPeriod(kind: string, now = new Date()): [number, number] {
  const month = now.getMonth() + 1;
  if (kind === "quarterly") {
    const quarter = Math.floor((month - 1) / 3);
    return quarter ? [now.getFullYear(), quarter] : [now.getFullYear() - 1, 4];
  }
  return month > 1 ? [now.getFullYear(), month - 1] : [now.getFullYear() - 1, 12];
}

export function assessmentView(root: HTMLElement, ctx: Ctx): Cleanup {
  const [y0, i0] = lastPeriod("monthly");
  const kind = select([["monthly", "月度考评"], ["quarterly", "季度考核"]]);
  const year = h("input", { type: "number", min: 2000, max: 2100, value: y0, inputmode: "numeric" });
  const index = h("input", { type: "number", min: 1, max: 12, value: i0, inputmode: "numeric" });
  kind.addEventListener("change", () => {
    const [y, i] = lastPeriod(kind.value);
    index.max = kind.value === "monthly" ? "12" : "4";
    year.value = String(y);
    index.value = String(i);
  });
  const form = h("form", { class: "inline" }, field("考核类型", kind), field("年份", year), field("月份或季度", index), h("button", { type: "submit" }, "查看排名"));
  const actions = h("p", {});
  const rankings = h("section", { "aria-labelledby": "rank-title" });
  const explanation = h("section", { "aria-labelledby": "explain-title", class: "explanation", tabindex: "-1" });
  root.replaceChildren(form, actions, h("div", { class: "grid-2" }, h("div", {}, h("h2", { id: "rank-title" }, "排名"), rankings), h("div", {}, h("h2", { id: "explain-title" }, "得分说明"), explanation)));
  explanation.append(h("p", { class: "hint" }, "在排名中选择一名民警查看得分的构成。"));

  const period = () => ({ kind: kind.value, year: year.value, index: index.value });

  if (ctx.can("compute_assessments")) {
    const compute = h("button", { type: "button" }, "按平台数据重新计算本期考核");
    const note = h("span", { role: "status" });
    compute.addEventListener("click", () => {
      compute.disabled = true;
      note.textContent = "正在计算…";
      api
        .post<{ computed: number }>("/api/assessment/compute", { kind: kind.value, year: Number(year.value), index: Number(index.value) })
        .then((r) => {
          note.textContent = `已计算 ${r.computed} 人`;
          void load();
        })
        .catch((error: unknown) => note.replaceChildren(errorBanner(error, "重新计算")))
        .finally(() => {
          compute.disabled = false;
        });
    });
    actions.append(compute, note);
  }

  const explain = (entry: Entry) =>
    section(explanation, "得分说明", async () => {
      const { assessment: a } = await api.get<{ assessment: Assessment }>(
        `/api/assessment/officers/${encodeURIComponent(entry.officer_id)}${query(period())}`,
      );
      const parts = [
        ...a.indicators.map((i) => ({ label: indicator(i.code), value: i.score * i.weight, text: `${fixed(i.score * i.weight)} 分` })),
        ...a.ratings.map((r) => ({ label: ratingSource(r.source), value: r.average_score * r.weight, text: `${fixed(r.average_score * r.weight)} 分` })),
      ];
      return [
        h("h3", {}, `${entry.name}：${fixed(a.total_score)} 分，${grade(a.grade)}`),
        h("p", {}, `所内第 ${a.station_rank} 名，全局第 ${a.district_rank} 名；${assessmentStatus(a.status)}，计算于 ${time(a.compute_time)}（R-PER-11）。`),
        barChart("各项得分贡献", parts),
        table(
          ["指标（平台数据）", "原始值", "得分", "权重", "贡献"],
          a.indicators.map((i) => [indicator(i.code), fixed(i.raw_value, 2), fixed(i.score), fixed(i.weight, 2), fixed(i.score * i.weight)]),
          "由平台数据计算的指标",
        ),
        table(
          ["评价来源", "人次", "平均分", "权重", "贡献"],
          a.ratings.map((r) => [ratingSource(r.source), String(r.count), fixed(r.average_score), fixed(r.weight, 2), fixed(r.average_score * r.weight)]),
          "评价",
        ),
        h("p", {}, `纪律作风扣分：${fixed(a.conduct_deduction)} 分（R-PER-13）。总分 = 各项贡献之和 − 扣分。`),
      ];
    }).then(() => explanation.focus());

  const load = () =>
    section(rankings, "排名", async () => {
      const answer = await api.get<{ entries: Entry[] }>(`/api/assessment/rankings${query(period())}`);
      if (!answer.entries.length) return h("p", {}, "本期尚无考核结果。");
      return table(
        ["名次", "姓名", "总分", "等次", ""],
        answer.entries.map((e) => {
          const more = h("button", { type: "button", class: "link", "aria-label": `查看${e.name}的得分说明` }, "得分说明");
          more.addEventListener("click", () => void explain(e));
          return [String(e.rank), e.name, fixed(e.total_score), grade(e.grade), more];
        }),
        `${kind.value === "monthly" ? "月度" : "季度"}排名`,
      );
    });
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    void load();
  });
  void load();
  return null;
}
