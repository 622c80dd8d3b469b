// ESLint for the console's TypeScript and the browser-test driver (flat config).
import js from "@eslint/js";
import tseslint from "typescript-eslint";

/** @type {Record<string, "readonly">} */
const node = { process: "readonly", console: "readonly", Buffer: "readonly", setTimeout: "readonly" };

export default tseslint.config(
  { ignores: ["dist/**", "node_modules/**"] },
  js.configs.recommended,
  ...tseslint.configs.strict,
  {
    rules: {
      eqeqeq: "error",
      "no-console": ["error", { allow: ["error"] }],
      "@typescript-eslint/no-explicit-any": "error",
      "@typescript-eslint/no-unused-vars": ["error", { argsIgnorePattern: "^_" }],
    },
  },
  { files: ["browser/**/*.mjs", "eslint.config.js"], languageOptions: { globals: node } },
  { files: ["browser/**/*.mjs"], rules: { "no-console": "off" } },
);
