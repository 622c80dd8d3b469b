// The online police room for residents (R-NOT-4): choose a police room, book an appointment, entrust a
// matter, check its progress with the reference number and the phone number, and read the room's
// notices and police tips. No sign-in; the notification service rate-limits and shows a resident only
// their own matter.

import "../shared/styles.css";

import { h, field, select } from "../shared/dom";
import { answerMethod, matterStatus, noticeKind, time, today } from "../shared/labels";

interface RoomCard {
  room_id: string;
  name: string;
  kind_label: string;
  address: string;
}
interface Failure {
  error?: string | { message?: string };
  violations?: { field: string; description: string }[];
}

const FIELD_NAMES: Record<string, string> = {
  name: "姓名",
  resident_name: "姓名",
  phone: "手机号码",
  resident_phone: "手机号码",
  topic: "事由",
  start_time: "预约时间",
  description: "事项",
  reference: "编号",
  body: "内容",
};

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { Accept: "application/json" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    headers["Idempotency-Key"] = crypto.randomUUID();
  }
  let response: Response;
  try {
    response = await fetch(`/resident/api${path}`, { method, headers, body: body === undefined ? null : JSON.stringify(body) });
  } catch {
    throw new Error("网络连接失败，请稍后再试");
  }
  const parsed = (await response.json().catch(() => ({}))) as T & Failure;
  if (!response.ok) {
    const e = parsed.error;
    const lead = response.status === 429 ? "操作太频繁，请稍后再试" : typeof e === "string" ? e : (e?.message ?? `请求失败（${response.status}）`);
    const detail = (parsed.violations ?? []).map((v) => `${FIELD_NAMES[v.field] ?? v.field}：${v.description}`);
    throw new Error([lead === "invalid request" ? "填写有误" : lead, ...detail].join("；"));
  }
  return parsed;
}

const root = document.getElementById("app") as HTMLElement;
const roomChoice = select([["", "（请选择警务室）"]]);
const main = h("main", { id: "main", tabindex: "-1" });
const tabs: [string, string, (panel: HTMLElement) => void][] = [
  ["book", "预约办事", bookPanel],
  ["entrust", "委托事项", entrustPanel],
  ["lookup", "进度查询", lookupPanel],
  ["notices", "通知与提示", noticesPanel],
];

function result(): HTMLElement {
  return h("div", { class: "result", role: "status", "aria-live": "polite" });
}

function fail(target: HTMLElement, error: unknown): void {
  target.replaceChildren(h("div", { class: "banner banner-error", role: "alert" }, error instanceof Error ? error.message : String(error)));
}

function needRoom(target: HTMLElement): string | null {
  if (roomChoice.value) return roomChoice.value;
  fail(target, new Error("请先在上方选择警务室"));
  roomChoice.focus();
  return null;
}

function bookPanel(panel: HTMLElement): void {
  const name = h("input", { type: "text", required: true, autocomplete: "name" });
  const phone = h("input", { type: "tel", required: true, autocomplete: "tel", inputmode: "tel" });
  const topic = h("input", { type: "text", required: true });
  // Bookable from now up to 60 days ahead (the notification service's rule), in local time.
  const local = (offsetDays: number) => `${today(offsetDays)}T${offsetDays ? "23:59" : "00:00"}`;
  const when = h("input", { type: "datetime-local", required: true, min: local(0), max: local(60) });
  const out = result();
  const form = h("form", { "aria-label": "预约办事" }, field("姓名", name), field("手机号码", phone), field("事由", topic), field("预约时间", when), h("button", { type: "submit" }, "提交预约"), out);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const room = needRoom(out);
    if (!room) return;
    call<{ reference: string; start_time: string }>("POST", `/v1/rooms/${encodeURIComponent(room)}/appointments`, {
      name: name.value,
      phone: phone.value,
      topic: topic.value,
      start_time: when.value ? `${when.value}:00+08:00` : "",
    })
      .then((a) => {
        out.replaceChildren(
          h("p", { class: "success" }, "预约成功。"),
          h("p", {}, "预约编号：", h("strong", { class: "reference" }, a.reference)),
          h("p", {}, `时间：${time(a.start_time)}。请记下编号，凭编号和手机号码查询。`),
        );
      })
      .catch((error: unknown) => fail(out, error));
  });
  panel.replaceChildren(form);
}

function entrustPanel(panel: HTMLElement): void {
  const name = h("input", { type: "text", required: true, autocomplete: "name" });
  const phone = h("input", { type: "tel", required: true, autocomplete: "tel", inputmode: "tel" });
  const description = h("textarea", { rows: 4, required: true });
  const out = result();
  const form = h("form", { "aria-label": "委托事项" }, field("姓名", name), field("手机号码", phone), field("需要民警办理的事项", description), h("button", { type: "submit" }, "提交委托"), out);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const room = needRoom(out);
    if (!room) return;
    call<{ reference: string; due_date: string }>("POST", `/v1/rooms/${encodeURIComponent(room)}/matters`, {
      name: name.value,
      phone: phone.value,
      description: description.value,
    })
      .then((m) => {
        out.replaceChildren(
          h("p", { class: "success" }, "已受理，民警将在期限内回告。"),
          h("p", {}, "事项编号：", h("strong", { class: "reference" }, m.reference)),
          h("p", {}, `回告期限：${m.due_date}`),
        );
      })
      .catch((error: unknown) => fail(out, error));
  });
  panel.replaceChildren(form);
}

interface Found {
  reference: string;
  status?: string;
  description?: string;
  topic?: string;
  start_time?: string;
  due_date?: string;
  answer?: string;
  answer_method?: string | null;
  answer_time?: string | null;
  phone?: string;
}

function lookupPanel(panel: HTMLElement): void {
  const reference = h("input", { type: "text", required: true, autocomplete: "off", spellcheck: "false" });
  const phone = h("input", { type: "tel", required: true, autocomplete: "tel", inputmode: "tel" });
  const out = result();
  const form = h("form", { "aria-label": "进度查询" }, field("预约或事项编号", reference), field("手机号码", phone), h("button", { type: "submit" }, "查询"), out);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    const ref = reference.value.trim().toUpperCase();
    // Appointment numbers start with YY, entrusted matters with JW (the notification service's scheme).
    const path = ref.startsWith("YY") ? "/v1/appointments/lookup" : "/v1/matters/lookup";
    call<Found>("POST", path, { reference: ref, phone: phone.value })
      .then((found) => {
        const rows: [string, string][] = [["编号", found.reference]];
        if (found.topic !== undefined) rows.push(["事由", found.topic], ["预约时间", time(found.start_time)], ["状态", matterStatus(found.status)]);
        if (found.description !== undefined) rows.push(["事项", found.description], ["状态", matterStatus(found.status)], ["回告期限", found.due_date ?? ""]);
        if (found.answer) rows.push(["回告", `${found.answer}（${answerMethod(found.answer_method ?? "")}，${time(found.answer_time)}）`]);
        if (found.phone) rows.push(["手机号码", found.phone]);
        out.replaceChildren(h("dl", { class: "found" }, rows.flatMap(([k, v]) => [h("dt", {}, k), h("dd", {}, v)])));
      })
      .catch((error: unknown) => fail(out, error));
  });
  panel.replaceChildren(form);
}

function noticesPanel(panel: HTMLElement): void {
  const out = h("div", { "aria-live": "polite" });
  panel.replaceChildren(out);
  const room = needRoom(out);
  if (!room) return;
  call<{ notices: { notice_id: string; kind: string; title: string; body: string; publish_time: string | null }[] }>(
    "GET",
    `/v1/rooms/${encodeURIComponent(room)}/notices`,
  )
    .then(({ notices }) => {
      out.replaceChildren(
        notices.length
          ? h("ul", { class: "notices" }, notices.map((n) => h("li", {}, h("h3", {}, `【${noticeKind(n.kind)}】${n.title}`), h("p", { class: "meta" }, time(n.publish_time)), h("p", {}, n.body))))
          : h("p", {}, "暂无通知。"),
      );
    })
    .catch((error: unknown) => fail(out, error));
}

function render(): void {
  const buttons = tabs.map(([id, label], i) =>
    h("button", { type: "button", role: "tab", id: `tab-${id}`, "aria-controls": `panel-${id}`, "aria-selected": i === 0 ? "true" : "false", tabindex: i === 0 ? 0 : -1 }, label),
  );
  const panels = tabs.map(([id], i) => h("section", { role: "tabpanel", id: `panel-${id}`, "aria-labelledby": `tab-${id}`, hidden: i !== 0, tabindex: 0 }));
  const select_ = (i: number, focus: boolean) => {
    buttons.forEach((b, j) => {
      b.setAttribute("aria-selected", j === i ? "true" : "false");
      b.tabIndex = j === i ? 0 : -1;
      (panels[j] as HTMLElement).hidden = j !== i;
    });
    const tab = tabs[i];
    if (tab) tab[2](panels[i] as HTMLElement);
    if (focus) buttons[i]?.focus();
  };
  buttons.forEach((b, i) => {
    b.addEventListener("click", () => select_(i, false));
    b.addEventListener("keydown", (event) => {
      const key = (event as KeyboardEvent).key;
      const next = key === "ArrowRight" ? i + 1 : key === "ArrowLeft" ? i - 1 : key === "Home" ? 0 : key === "End" ? tabs.length - 1 : null;
      if (next === null) return;
      event.preventDefault();
      select_((next + tabs.length) % tabs.length, true);
    });
  });
  roomChoice.addEventListener("change", () => {
    const open = buttons.findIndex((b) => b.getAttribute("aria-selected") === "true");
    if (tabs[open]?.[0] === "notices") select_(open, false);
  });
  main.replaceChildren(
    h("h1", {}, "网上警务室"),
    h("p", {}, "预约办事、委托民警办理事项、查询进度、阅读本社区的警情通报和警务提示。您的信息只用于办理您的事项。"),
    field("警务室", roomChoice),
    h("div", { role: "tablist", "aria-label": "服务" }, buttons),
    ...panels,
  );
  select_(0, false);
  root.replaceChildren(h("a", { class: "skip", href: "#main" }, "跳到主要内容"), h("header", { class: "top" }, h("p", { class: "brand" }, "网上警务室")), main);
}

render();
call<{ rooms: RoomCard[] }>("GET", "/rooms")
  .then(({ rooms }) => {
    for (const r of rooms) roomChoice.append(h("option", { value: r.room_id }, `${r.name}（${r.kind_label}）${r.address ? ` · ${r.address}` : ""}`));
  })
  .catch((error: unknown) => {
    main.prepend(h("div", { class: "banner banner-unavailable", role: "alert" }, `警务室名录暂不可用：${error instanceof Error ? error.message : ""}`));
  });
