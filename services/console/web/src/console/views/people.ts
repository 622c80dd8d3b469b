// People: officers (personnel) and residents (population), with identity and phone numbers exactly as
// the services return them for the signed-in role — masked unless the role may read them (R-POP-6),
// in which case the service audits the read. The console never unmasks anything itself.

import { api, query } from "../../shared/api";
import { section } from "../../shared/banner";
import { field, h, select, table } from "../../shared/dom";
import { officerRole, time } from "../../shared/labels";
import type { Cleanup, Ctx } from "../context";

interface Officer {
  officer_id: string;
  name: string;
  roles: string[];
  station_id: string;
  badge_number: string;
  id_number: string;
  phone: string;
  status: string;
}
interface Resident {
  resident_id: string;
  name: string;
  id_number: string;
  phone: string;
  zone_code: string;
  category: string;
  masked: boolean;
  residence_separated: boolean;
}
interface UnmaskedRead {
  read_time: string;
  reader_id: string;
  reader_role: string;
  method: string;
  purpose: string;
  fields: string[];
  resident_ids: string[];
}
interface Station {
  station_id: string;
  name: string;
}
const CATEGORY: Record<string, string> = {
  RESIDENT_CATEGORY_REGISTERED: "户籍",
  RESIDENT_CATEGORY_TEMPORARY: "暂住",
  RESIDENT_CATEGORY_FLOATING: "流动",
  RESIDENT_CATEGORY_LODGED: "寄口",
};

export function peopleView(root: HTMLElement, ctx: Ctx): Cleanup {
  const note = ctx.me.sees_personal_data
    ? h("p", { class: "notice" }, "您的角色可查看完整证件号码和电话；每次查看都由数据所在服务记入审计（R-POP-6）。")
    : h("p", { class: "notice" }, "证件号码和电话按您的角色脱敏显示（R-POP-6）。");
  const station = select([["", "全部派出所"]]);
  const officers = h("div", {});
  const zone = h("input", { type: "text", inputmode: "numeric", pattern: "\\d{8}", placeholder: "8位警务区编码" });
  const residents = h("div", {});
  const officerForm = h("form", { class: "inline" }, field("派出所", station), h("button", { type: "submit" }, "查询民警辅警"));
  // Unmasking residents is offered to a role that may read personal data, with the purpose the
  // population service records in its audit (R-POP-6); the service refuses it for other roles anyway.
  const unmask = h("input", { type: "checkbox", name: "unmask" });
  const purpose = h("input", { type: "text", name: "purpose", placeholder: "如：核查案件线索" });
  const residentForm = h(
    "form",
    { class: "inline" },
    field("警务区", zone),
    ctx.me.sees_personal_data ? h("div", { class: "check" }, unmask, h("label", { for: (unmask.id = "unmask-residents") }, "显示完整信息")) : null,
    ctx.me.sees_personal_data ? field("查询事由（记入审计）", purpose) : null,
    h("button", { type: "submit" }, "查询实有人口"),
  );
  const audit = h("div", {});
  root.replaceChildren(
    note,
    h("section", { "aria-labelledby": "officers-title" }, h("h2", { id: "officers-title" }, "民警与辅警"), officerForm, officers),
    h("section", { "aria-labelledby": "residents-title" }, h("h2", { id: "residents-title" }, "实有人口"), residentForm, residents),
  );
  if (ctx.can("read_audit")) {
    root.append(h("section", { "aria-labelledby": "audit-title" }, h("h2", { id: "audit-title" }, "个人信息查询审计（R-POP-6）"), audit));
  }
  if (ctx.can("read_audit")) {
    void section(audit, "审计记录", async () => {
      const answer = await api.get<{ unmasked_reads: UnmaskedRead[] }>("/api/audit/unmasked-reads");
      return table(
        ["时间", "查询人", "角色", "接口", "事由", "字段", "人数"],
        answer.unmasked_reads.map((r) => [time(r.read_time), r.reader_id, r.reader_role, r.method.split("/").pop() ?? r.method, r.purpose, r.fields.join("、"), String(r.resident_ids.length)]),
        `最近 ${answer.unmasked_reads.length} 条`,
      );
    });
  }

  api
    .get<{ stations: Station[] }>("/api/stations")
    .then((a) => {
      for (const s of a.stations) station.append(h("option", { value: s.station_id }, s.name));
    })
    .catch(() => undefined);

  const loadOfficers = () =>
    section(officers, "民警与辅警", async () => {
      const answer = await api.get<{ officers: Officer[] }>(`/api/officers${query({ station_id: station.value, limit: 100 })}`);
      return table(
        ["姓名", "警号", "身份", "证件号码", "电话"],
        answer.officers.map((o) => [
          o.name,
          o.badge_number,
          o.roles.map(officerRole).join("、"),
          h("span", { class: "pii", "data-officer": o.officer_id }, o.id_number),
          h("span", { class: "pii" }, o.phone),
        ]),
        `共 ${answer.officers.length} 人`,
      );
    });
  officerForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void loadOfficers();
  });
  void loadOfficers();

  residentForm.addEventListener("submit", (event) => {
    event.preventDefault();
    void section(residents, "实有人口", async () => {
      const shown = ctx.me.sees_personal_data && unmask.checked;
      const answer = await api.get<{ residents: Resident[] }>(
        `/api/residents${query({ zone_code: zone.value.trim(), unmask: shown ? 1 : undefined, purpose: shown ? purpose.value.trim() : undefined })}`,
      );
      return table(
        ["姓名", "类别", "证件号码", "电话", "人户分离"],
        answer.residents.map((r) => [
          r.name,
          CATEGORY[r.category] ?? r.category,
          h("span", { class: "pii", "data-resident": r.resident_id }, r.id_number),
          h("span", { class: "pii" }, r.phone),
          r.residence_separated ? "是" : "",
        ]),
        `前 ${answer.residents.length} 人`,
      );
    });
  });
  return null;
}
