// Banners for failures: a service that is down shows "<service>暂不可用" over the part of the view it
// feeds, and the rest of the view keeps working. Banners are role="alert" so screen readers say them.

import { ApiError } from "./api";
import { h } from "./dom";

export function errorBanner(error: unknown, what: string): HTMLElement {
  const failure = error instanceof ApiError ? error : null;
  const kind = failure?.unavailable ? "unavailable" : failure?.status === 403 ? "denied" : "error";
  const lead =
    kind === "unavailable"
      ? `${failure?.serviceLabel || "服务"}暂不可用`
      : kind === "denied"
        ? "无权执行此操作"
        : `${what}加载失败`;
  const message = failure?.message ?? (error instanceof Error ? error.message : String(error));
  return h(
    "div",
    {
      class: `banner banner-${kind}`,
      role: "alert",
      "data-service": failure?.service ?? "",
      "data-code": failure?.code ?? "",
    },
    h("strong", {}, lead),
    h("span", {}, `：${what}无法显示。${message}`),
    failure?.violations.length
      ? h("ul", {}, failure.violations.map((v) => h("li", {}, `${v.field}：${v.description}`)))
      : null,
    failure?.rules.length ? h("ul", {}, failure.rules.map((r) => h("li", {}, `${r.rule}：${r.description}`))) : null,
  );
}

/** Runs one part of a view: shows its content, or a banner in its place when its service fails. */
export async function section(
  container: HTMLElement,
  what: string,
  render: () => Promise<Node | Node[]>,
): Promise<boolean> {
  container.setAttribute("aria-busy", "true");
  container.replaceChildren(h("p", { class: "loading" }, `正在加载${what}…`));
  try {
    const content = await render();
    container.replaceChildren(...(Array.isArray(content) ? content : [content]));
    return true;
  } catch (error) {
    container.replaceChildren(errorBanner(error, what));
    return false;
  } finally {
    container.removeAttribute("aria-busy");
  }
}

/**
 * The banners over a view whose parts come from several services: one banner per service that is
 * down, naming every part it takes away ("巡逻防控服务暂不可用：防控圈、卡口无法显示"), and one per other
 * failure. ``clear`` removes a part once it loads again.
 */
export class BannerBoard {
  private readonly failures = new Map<string, { error: unknown; what: string; warning: boolean }>();

  constructor(readonly element: HTMLElement) {}

  fail(key: string, error: unknown, what: string, warning = false): void {
    this.failures.set(key, { error, what, warning });
    this.render();
  }

  clear(key: string): void {
    if (this.failures.delete(key)) this.render();
  }

  private render(): void {
    const groups = new Map<string, { error: unknown; whats: string[]; keys: string[]; warning: boolean }>();
    for (const [key, f] of this.failures) {
      const service = f.error instanceof ApiError && f.error.unavailable && f.error.service ? `svc:${f.error.service}` : `key:${key}`;
      const group = groups.get(service) ?? { error: f.error, whats: [], keys: [], warning: f.warning };
      group.whats.push(f.what);
      group.keys.push(key);
      groups.set(service, group);
    }
    this.element.replaceChildren(
      ...[...groups.values()].map((g) => {
        const b = errorBanner(g.error, g.whats.join("、"));
        b.dataset.layer = g.keys.join(" ");
        if (g.warning) b.classList.add("banner-warning");
        return b;
      }),
    );
  }
}
