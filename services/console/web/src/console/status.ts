// The header's status strip: which of the district's services answer, refreshed every 30 s.

import { api } from "../shared/api";
import { h } from "../shared/dom";

interface Status {
  services: { service: string; label: string; status: string }[];
  live_feed: string;
}

export function statusStrip(): HTMLElement {
  const list = h("ul", { class: "status", "aria-label": "服务状态" });
  const refresh = () => {
    api
      .get<Status>("/api/status")
      .then((status) => {
        list.replaceChildren(
          ...status.services.map((s) =>
            h(
              "li",
              { class: `svc svc-${s.status}`, "data-service": s.service },
              h("span", { class: "dot", "aria-hidden": "true" }),
              `${s.label}${s.status === "serving" ? "" : "（不可用）"}`,
            ),
          ),
        );
      })
      .catch(() => list.replaceChildren(h("li", { class: "svc svc-unavailable" }, "控制台服务状态未知")));
  };
  refresh();
  const timer = setInterval(() => {
    if (list.isConnected) refresh();
    else clearInterval(timer);
  }, 30_000);
  return list;
}
