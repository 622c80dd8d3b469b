// Validate an AsyncAPI document with the official parser (@asyncapi/parser, pinned in package.json).
// Usage: node validate.mjs <document>   (run from the cached install: jingwu_devstack.npm_tools)
// Prints one JSON object: {"valid": bool, "asyncapi": version, "diagnostics": [...]}; exits 1 when the
// document has errors (diagnostics of severity 0), 2 when it cannot be read.
import { readFile } from "node:fs/promises";
import { Parser } from "@asyncapi/parser";

const SEVERITY = ["error", "warning", "info", "hint"];

const path = process.argv[2];
if (!path) {
  console.error("usage: node validate.mjs <asyncapi document>");
  process.exit(2);
}
let text;
try {
  text = await readFile(path, "utf8");
} catch (error) {
  console.error(`cannot read ${path}: ${error.message}`);
  process.exit(2);
}
const parser = new Parser();
const { document, diagnostics } = await parser.parse(text, { source: path });
const report = diagnostics.map((d) => ({
  severity: SEVERITY[d.severity] ?? String(d.severity),
  code: String(d.code),
  message: d.message,
  path: d.path.join("/"),
}));
const valid = document !== undefined && !report.some((d) => d.severity === "error");
console.log(JSON.stringify({ valid, asyncapi: document?.version() ?? null, diagnostics: report }));
process.exit(valid ? 0 : 1);
