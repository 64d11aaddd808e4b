import js from "@eslint/js";
import tseslint from "typescript-eslint";

const nodeGlobals = Object.fromEntries(
  [
    "process",
    "console",
    "URL",
    "URLSearchParams",
    "fetch",
    "Request",
    "Response",
    "setTimeout",
    "clearTimeout",
    "Buffer",
    "document",
    "window",
    "navigator",
  ].map((name) => [name, "readonly"]),
);

export default tseslint.config(
  {
    ignores: [
      "dist/**",
      "node_modules/**",
      "docs/api/**",
      "coverage/**",
      ".data/**",
      ".doc-snippets/**",
      "**/*.cjs",
    ],
  },
  { files: ["**/*.js", "**/*.mjs"], ...js.configs.recommended },
  { files: ["**/*.js", "**/*.mjs"], languageOptions: { globals: nodeGlobals } },
  {
    files: ["**/*.ts"],
    extends: [js.configs.recommended, ...tseslint.configs.recommendedTypeChecked],
    languageOptions: {
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_" },
      ],
      "@typescript-eslint/consistent-type-imports": "error",
    },
  },
);
