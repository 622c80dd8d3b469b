/// <reference lib="dom" />
/* global document */
// The browser tests' driver: Playwright (playwright-core) driving Debian's Chromium, commanded by the
// Python tests over stdin/stdout, one JSON object per line ({id, op, args} → {id, ok, result|error}).
//
//   node browser/driver.mjs '{"executablePath": ".cache/chromium-<version>/root/usr/lib/chromium/chromium", "userDataDir": "…", "args": [...]}'
//
// A fresh user-data dir per run; no browser is downloaded (playwright-core ships none). Every request
// the page makes is recorded, so a test can check that the console loads nothing from outside.

import { createInterface } from "node:readline";
import { chromium } from "playwright-core";

/** @typedef {{ executablePath: string, userDataDir: string, args: string[], viewport?: { width: number, height: number }, timeoutMs?: number }} Options */

/** @type {Options} */
const options = JSON.parse(process.argv[2] ?? "{}");
const context = await chromium.launchPersistentContext(options.userDataDir, {
  executablePath: options.executablePath,
  headless: true,
  args: options.args,
  viewport: options.viewport ?? { width: 1366, height: 900 },
  locale: "zh-CN",
  timezoneId: "Asia/Shanghai",
  ignoreDefaultArgs: ["--enable-automation"],
});
context.setDefaultTimeout(options.timeoutMs ?? 20000);
let page = context.pages()[0] ?? (await context.newPage());

/** @type {string[]} */
const requests = [];
/** @type {string[]} */
const consoleErrors = [];
/** @param {import("playwright-core").Page} p */
function watch(p) {
  p.on("request", (request) => requests.push(request.url()));
  p.on("console", (message) => {
    if (message.type() === "error") consoleErrors.push(message.text());
  });
  p.on("pageerror", (error) => consoleErrors.push(String(error)));
}
watch(page);

/** @type {Record<string, (...args: any[]) => Promise<unknown>>} */
const ops = {
  goto: async (url) => {
    const response = await page.goto(url, { waitUntil: "domcontentloaded" });
    return response?.status() ?? 0;
  },
  click: (selector) => page.locator(selector).click(),
  fill: (selector, value) => page.locator(selector).fill(value),
  select: (selector, value) => page.locator(selector).selectOption(value),
  check: (selector) => page.locator(selector).check(),
  uncheck: (selector) => page.locator(selector).uncheck(),
  press: (selector, key) => page.locator(selector).press(key),
  keyboard: (key) => page.keyboard.press(key),
  text: (selector) => page.locator(selector).textContent(),
  texts: (selector) => page.locator(selector).allTextContents(),
  count: (selector) => page.locator(selector).count(),
  visible: (selector) => page.locator(selector).isVisible(),
  attr: (selector, name) => page.locator(selector).getAttribute(name),
  wait: async (selector, state = "visible", timeout) => {
    await page.locator(selector).first().waitFor({ state, timeout });
    return true;
  },
  // Polls page.evaluate (DevTools evaluation): page.waitForFunction would eval a string inside the
  // page, which the console's Content-Security-Policy rightly forbids.
  waitFunction: async (expression, timeout = 20000) => {
    const deadline = Date.now() + timeout;
    for (;;) {
      const value = await page.evaluate(expression).catch(() => undefined);
      if (value) return value;
      if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${expression}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  },
  eval: (expression) => page.evaluate(expression),
  box: (selector) => page.locator(selector).boundingBox(),
  screenshot: async (path, fullPage = false) => {
    await page.screenshot({ path, fullPage });
    return path;
  },
  focused: () =>
    page.evaluate(() => {
      const el = document.activeElement;
      if (!el) return null;
      return {
        tag: el.tagName.toLowerCase(),
        id: el.id,
        text: (el.textContent ?? "").trim().slice(0, 80),
        label: el.getAttribute("aria-label") ?? "",
        role: el.getAttribute("role") ?? "",
        labelled: el.id ? (document.querySelector(`label[for="${el.id}"]`)?.textContent ?? "") : "",
      };
    }),
  requests: async () => requests.slice(),
  consoleErrors: async () => consoleErrors.slice(),
  clearCookies: () => context.clearCookies(),
  newPage: async () => {
    await page.close();
    page = await context.newPage();
    watch(page);
    return true;
  },
  setViewport: (width, height) => page.setViewportSize({ width, height }),
  close: async () => {
    await context.close();
    return true;
  },
};

const lines = createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim()) continue;
  /** @type {{ id: number, op: string, args?: unknown[] }} */
  const command = JSON.parse(line);
  const op = ops[command.op];
  let reply;
  if (!op) {
    reply = { id: command.id, ok: false, error: `unknown op ${command.op}` };
  } else {
    try {
      const result = await op(...(command.args ?? []));
      reply = { id: command.id, ok: true, result: result === undefined ? null : result };
    } catch (error) {
      reply = { id: command.id, ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  }
  process.stdout.write(`${JSON.stringify(reply)}\n`);
  if (command.op === "close") break;
}
await context.close().catch(() => undefined);
process.exit(0);
