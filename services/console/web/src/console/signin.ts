// Sign-in with the district credential (the JWT `jingwu auth token` prints). The console verifies it
// and keeps it in an HttpOnly cookie; this page never stores it.

import { ApiError, api } from "../shared/api";
import { h, uid } from "../shared/dom";
import type { Me } from "./context";

export function signInPage(root: HTMLElement, onSignedIn: (me: Me) => void): void {
  const tokenId = uid("token");
  const hintId = uid("hint");
  const token = h("textarea", {
    id: tokenId,
    name: "token",
    rows: 5,
    required: true,
    autocomplete: "off",
    spellcheck: "false",
    "aria-describedby": hintId,
  });
  const message = h("p", { class: "form-error", role: "alert", "aria-live": "assertive" });
  const submit = h("button", { type: "submit" }, "登录");
  const form = h(
    "form",
    { class: "signin", "aria-labelledby": "signin-title" },
    h("h1", { id: "signin-title" }, "社区警务控制台"),
    h("p", {}, "请使用本分局签发的凭证登录。"),
    h("label", { for: tokenId }, "凭证"),
    token,
    h("p", { id: hintId, class: "hint" }, "在命令行运行 jingwu auth token 可获得凭证。"),
    message,
    submit,
    h("p", { class: "hint" }, h("a", { href: "/resident/" }, "群众入口：网上警务室")),
  );
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    message.textContent = "";
    submit.disabled = true;
    api
      .post<Me>("/api/session", { token: token.value })
      .then(onSignedIn)
      .catch((error: unknown) => {
        message.textContent = error instanceof ApiError ? error.message : "登录失败";
        token.focus();
      })
      .finally(() => {
        submit.disabled = false;
      });
  });
  root.replaceChildren(h("main", { id: "main", class: "signin-page" }, form));
  token.focus();
}
