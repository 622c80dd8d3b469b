// The console: sign-in, then a shell with one view per area, chosen by the address's #fragment.

import "maplibre-gl/dist/maplibre-gl.css";
import "../shared/styles.css";

import { api, whenSignedOut } from "../shared/api";
import { h } from "../shared/dom";
import { role } from "../shared/labels";
import { type Cleanup, type Ctx, context, type Me, type View } from "./context";
import { signInPage } from "./signin";
import { statusStrip } from "./status";
import { assessmentView } from "./views/assessment";
import { mapView } from "./views/map";
import { noticesView } from "./views/notices";
import { patrolView } from "./views/patrol";
import { peopleView } from "./views/people";
import { roomsView } from "./views/rooms";

interface Route {
  path: string;
  title: string;
  view: View;
}

const ROUTES: Route[] = [
  { path: "map", title: "警务地图", view: mapView },
  { path: "rooms", title: "警务室与配备", view: roomsView },
  { path: "people", title: "人员", view: peopleView },
  { path: "assessment", title: "考核排名", view: assessmentView },
  { path: "patrol", title: "巡逻证据", view: patrolView },
  { path: "notices", title: "通知与回告", view: noticesView },
];

const root = document.getElementById("app") as HTMLElement;
let leave: Cleanup = null;

function current(): Route {
  const path = window.location.hash.replace(/^#\/?/, "").split("?")[0] ?? "";
  return ROUTES.find((r) => r.path === path) ?? (ROUTES[0] as Route);
}

function shell(ctx: Ctx): void {
  const main = h("main", { id: "main", tabindex: "-1" });
  const links = ROUTES.map((r) => h("a", { href: `#/${r.path}`, "data-route": r.path }, r.title));
  const signOut = h("button", { type: "button", class: "link" }, "退出登录");
  signOut.addEventListener("click", () => {
    void api.delete("/api/session").finally(start);
  });
  root.replaceChildren(
    h("a", { class: "skip", href: "#main" }, "跳到主要内容"),
    h(
      "header",
      { class: "top" },
      h("p", { class: "brand" }, `社区警务控制台 · ${ctx.me.district}分局`),
      h(
        "p",
        { class: "who" },
        h("span", {}, ctx.me.subject),
        h("span", { class: "roles" }, ctx.me.roles.map(role).join("、") || "无角色"),
        signOut,
      ),
      statusStrip(),
    ),
    h("nav", { "aria-label": "主导航" }, h("ul", {}, links.map((a) => h("li", {}, a)))),
    main,
  );
  const skip = root.querySelector("a.skip");
  skip?.addEventListener("click", (event) => {
    event.preventDefault();
    main.focus();
  });

  const show = (focus: boolean) => {
    leave?.();
    const route = current();
    for (const a of links) {
      if (a.dataset.route === route.path) a.setAttribute("aria-current", "page");
      else a.removeAttribute("aria-current");
    }
    document.title = `${route.title} · 社区警务控制台`;
    const heading = h("h1", { tabindex: "-1" }, route.title);
    const body = h("div", { class: `view view-${route.path}` });
    main.replaceChildren(heading, body);
    leave = route.view(body, ctx);
    if (focus) heading.focus();
  };
  window.onhashchange = () => show(true);
  show(false);
}

function start(): void {
  api
    .get<Me>("/api/session")
    .then((me) => shell(context(me)))
    .catch(() => signInPage(root, (me) => shell(context(me))));
}

whenSignedOut(() => {
  leave?.();
  leave = null;
  signInPage(root, (me) => shell(context(me)));
});
start();
