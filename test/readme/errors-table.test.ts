// The backend author guide's table of errors must match @flowstate/shared-state: every class and
// code exists, the constructor options it shows are the ones the class keeps, and no error a
// backend may throw is missing from it.
import * as shared from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { readRepoFile } from "./markdown.js";

const readme = await readRepoFile("README.md");
const section = readme.slice(readme.indexOf("### Errors a backend throws"));
const table = section.slice(0, section.indexOf("\n### "));
const rows = table
  .split("\n")
  .filter((line) => /^\| `[A-Za-z]+Error`/.test(line))
  .map((line) => {
    const [name = "", code = "", make = ""] = line
      .split("|")
      .slice(1)
      .map((cell) => cell.trim());
    return { name: name.replaceAll("`", ""), code: code.replaceAll("`", ""), make };
  });

type ErrorClass = new (...args: unknown[]) => Error & Record<string, unknown>;
const exported = shared as unknown as Record<string, unknown>;
// Thrown by the sdk or the store, never by a backend; or an abstract base.
const NOT_FROM_BACKENDS = new Set(["StateBackendMismatchError", "StateValidationError"]);

/** The option names of `new <name>(message, { a, b?, c: "x" })` in a table cell. */
function optionsShown(name: string, make: string): string[] {
  const braces = new RegExp(`new ${name}\\(message, \\{([^}]*)\\}`).exec(make)?.[1] ?? "";
  return braces
    .split(",")
    .map((option) => option.split(":")[0]?.replace("?", "").trim() ?? "")
    .filter(Boolean);
}

describe("README: errors a backend throws", () => {
  it("lists every error class a backend may throw", () => {
    const backendErrors = Object.entries(exported)
      .filter(([name, value]) => typeof value === "function" && !NOT_FROM_BACKENDS.has(name))
      .filter(
        ([, value]) =>
          (value as { prototype: unknown }).prototype instanceof shared.StateBackendError ||
          (value as { prototype: unknown }).prototype instanceof shared.StateValidationError ||
          value === shared.StateBackendError,
      )
      .map(([name]) => name);
    expect(backendErrors.length).toBeGreaterThan(4);
    expect(rows.map((row) => row.name)).toEqual(expect.arrayContaining([...backendErrors, "ConfigError"]));
  });

  it.each(rows)(
    "$name: exported, with code $code, keeping the options the table shows",
    ({ name, code, make }) => {
      const ErrorClass = exported[name] as ErrorClass | undefined;
      expect(typeof ErrorClass, `${name} is exported by @flowstate/shared-state`).toBe("function");
      const cause = new Error("the client's error");
      const options: Record<string, unknown> = { backend: "mine", operation: "deserialize", cause };
      for (const option of optionsShown(name, make)) options[option] ??= `${option}-value`;
      const error =
        name === "ConfigError"
          ? new (ErrorClass as ErrorClass)("message", options, { cause })
          : new (ErrorClass as ErrorClass)("message", options);
      expect({ name: error.name, code: error.code }).toEqual({ name, code });
      for (const option of optionsShown(name, make)) {
        const kept = option === "cause" ? error.cause : error[option];
        expect(kept, `${name} keeps the option ${option}`).toBe(options[option]);
      }
    },
  );
});
