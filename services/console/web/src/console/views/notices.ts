// A room's notices (R-NOT-1), resident representatives' meetings and their follow-ups (R-NOT-2), open
// callbacks with their due dates (R-NOT-3) and the residents' appointments (R-NOT-4). Answering a
// matter back is offered to room staff only; the service refuses it for other roles anyway.

import { api } from "../../shared/api";
import { errorBanner, section } from "../../shared/banner";
import { field, h, select, table } from "../../shared/dom";
import { answerMethod, localDate, type LocalDate, matterStatus, meetingStatus, noticeKind, noticeStatus, time } from "../../shared/labels";
import type { Cleanup, Ctx } from "../context";

interface Room {
  room_id: string;
  name: string;
  status: string;
}
interface Notice {
  notice_id: string;
  kind: string;
  title: string;
  body: string;
  status: string;
  publish_time: string;
}
interface Meeting {
  meeting_id: string;
  start_time: string;
  agenda: string;
  status: string;
  attendees: string[];
}
interface FollowUp {
  follow_up_id: string;
  opinion: string;
  owner_officer_id: string;
  due_date: LocalDate;
  status: string;
}
interface Matter {
  matter_id: string;
  reference: string;
  resident_name: string;
  resident_phone: string;
  description: string;
  entrust_time: string;
  due_date: LocalDate;
  status: string;
  escalate_time: string | null;
}
interface Appointment {
  reference: string;
  resident_name: string;
  resident_phone: string;
  topic: string;
  start_time: string;
}

export function noticesView(root: HTMLElement, ctx: Ctx): Cleanup {
  const room = select([["", "（选择警务室）"]]);
  const form = h("form", { class: "inline" }, field("警务室", room), h("button", { type: "submit" }, "查看"));
  const notices = h("section", { "aria-labelledby": "n-title" });
  const meetings = h("section", { "aria-labelledby": "m-title" });
  const matters = h("section", { "aria-labelledby": "c-title" });
  const appointments = h("section", { "aria-labelledby": "a-title" });
  const choose = h("div", {});
  root.replaceChildren(
    choose,
    form,
    h("h2", { id: "n-title" }, "通知与警情通报（R-NOT-1）"),
    notices,
    h("h2", { id: "m-title" }, "居民代表会议与意见跟踪（R-NOT-2）"),
    meetings,
    h("h2", { id: "c-title" }, "待回告事项（R-NOT-3）"),
    matters,
    h("h2", { id: "a-title" }, "群众预约（R-NOT-4）"),
    appointments,
  );

  void section(choose, "警务室列表", async () => {
    const { rooms } = await api.get<{ rooms: Room[] }>("/api/rooms");
    for (const r of rooms.filter((x) => x.status === "ROOM_STATUS_ACTIVE")) room.append(h("option", { value: r.room_id }, r.name));
    const first = rooms.find((x) => x.status === "ROOM_STATUS_ACTIVE");
    if (first && !room.value) {
      room.value = first.room_id;
      show();
    }
    return [];
  });

  const show = () => {
    const id = encodeURIComponent(room.value);
    if (!id) return;
    void section(notices, "通知", async () => {
      const answer = await api.get<{ notices: Notice[] }>(`/api/rooms/${id}/notices`);
      return table(
        ["类型", "标题", "状态", "发布时间"],
        answer.notices.map((n) => [noticeKind(n.kind), h("details", {}, h("summary", {}, n.title), h("p", { class: "body" }, n.body)), noticeStatus(n.status), time(n.publish_time)]),
      );
    });
    void section(meetings, "会议", async () => {
      const answer = await api.get<{ meetings: Meeting[]; follow_ups: FollowUp[] }>(`/api/rooms/${id}/meetings`);
      return [
        table(["时间", "议题", "状态", "参会代表"], answer.meetings.map((m) => [time(m.start_time), m.agenda, meetingStatus(m.status), String(m.attendees.length)]), "会议"),
        table(["意见", "责任人", "期限"], answer.follow_ups.map((f) => [f.opinion, f.owner_officer_id, localDate(f.due_date)]), "未办结的意见"),
      ];
    });
    void section(matters, "待回告事项", async () => {
      const answer = await api.get<{ matters: Matter[] }>(`/api/rooms/${id}/matters`);
      return table(
        ["编号", "群众", "电话", "事项", "委托时间", "回告期限", "状态", ""],
        answer.matters.map((m) => [
          m.reference,
          m.resident_name,
          h("span", { class: "pii" }, m.resident_phone),
          m.description,
          time(m.entrust_time),
          localDate(m.due_date),
          m.escalate_time ? h("span", { class: "flag" }, "已逾期上报派出所") : matterStatus(m.status),
          ctx.can("answer_matter") ? answerForm(m, show) : "",
        ]),
      );
    });
    void section(appointments, "预约", async () => {
      const answer = await api.get<{ appointments: Appointment[] }>(`/api/rooms/${id}/appointments`);
      return table(["预约编号", "群众", "电话", "事由", "时间"], answer.appointments.map((a) => [a.reference, a.resident_name, h("span", { class: "pii" }, a.resident_phone), a.topic, time(a.start_time)]));
    });
  };
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    show();
  });
  return null;
}

function answerForm(matter: Matter, done: () => void): HTMLElement {
  const text = h("input", { type: "text", required: true });
  const method = select([["phone", answerMethod("phone")], ["visit", answerMethod("visit")]]);
  const submit = h("button", { type: "submit" }, "回告");
  const form = h("form", { class: "answer", "aria-label": `回告 ${matter.reference}` }, field("回告内容", text), field("方式", method), submit);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    submit.disabled = true;
    api
      .post(`/api/matters/${encodeURIComponent(matter.matter_id)}/answer`, { answer: text.value, method: method.value })
      .then(done)
      .catch((error: unknown) => form.append(errorBanner(error, "回告")))
      .finally(() => {
        submit.disabled = false;
      });
  });
  return form;
}
