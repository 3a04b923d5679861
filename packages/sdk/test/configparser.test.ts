import { readdirSync, readFileSync } from "node:fs";
import { basename, join } from "node:path";
import { ConfigError } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { Config, loadConfig } from "../src/index.js";

// Each fixtures/configparser/<name>.cfg has next to it <name>.expected.json, written by Python's
// configparser set up as Airflow's AirflowConfigParser sets it up. To regenerate after changing a
// fixture, from the repository root:
//
//   python3 packages/sdk/test/fixtures/configparser/generate.py
//
// The JSON is {"sections": {section: {key: value | {"error": "<InterpolationError class>"}}}}
// (every value from parser.get, so [DEFAULT] keys appear in every section), or
// {"error": "<configparser exception>", "line": N} for a file Python refuses.

const FIXTURES = join(import.meta.dirname, "fixtures", "configparser");

type Expected =
  | { error: string; line: number }
  | { sections: Record<string, Record<string, string | { error: string }>>; env?: Record<string, string> };

const fixtures = readdirSync(FIXTURES)
  .filter((name) => name.endsWith(".cfg"))
  .map((name) => {
    const file = join(FIXTURES, name);
    const expected = JSON.parse(readFileSync(file.replace(/\.cfg$/, ".expected.json"), "utf8")) as Expected;
    return { name: basename(name, ".cfg"), file, expected };
  });

/** How each configparser exception shows in flowstate's ConfigError message. */
const REFUSALS: Record<string, string> = {
  DuplicateSectionError: "is already defined at line",
  DuplicateOptionError: "is already set in",
  MissingSectionHeaderError: "comes before any [section] header",
  ParsingError: "is neither a [section] header",
};

/** The ConfigError that `action` throws. */
function configError(action: () => unknown): ConfigError {
  try {
    action();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error("expected a ConfigError");
}

describe("airflow.cfg is read as Airflow's configparser reads it", () => {
  it("has the fixture set", () => {
    expect(fixtures.length).toBeGreaterThanOrEqual(15);
  });

  for (const { name, file, expected } of fixtures) {
    if ("error" in expected) {
      it(`${name}: refused like Python's ${expected.error}, at line ${expected.line}`, async () => {
        const error = await loadConfig({ file, env: {} }).then(
          () => undefined,
          (thrown: unknown) => thrown,
        );
        expect(error).toBeInstanceOf(ConfigError);
        const message = (error as ConfigError).message;
        expect(message).toContain(`Malformed config file ${file} at line ${expected.line}:`);
        expect(message).toContain(REFUSALS[expected.error]);
      });
      continue;
    }
    it(`${name}: every value equals Python's`, async () => {
      const conf = await loadConfig({ file, env: expected.env ?? {} });
      for (const [section, options] of Object.entries(expected.sections)) {
        // Config looks names up in lower case (as Airflow does): other spellings are unreachable.
        if (section !== section.toLowerCase() || section.trim() !== section) continue;
        for (const [key, value] of Object.entries(options)) {
          if (key !== key.toLowerCase()) continue;
          if (typeof value === "string") {
            expect(conf.get(section, key), `[${section}] ${key}`).toBe(value);
          } else {
            const error = configError(() => conf.get(section, key));
            expect(error.message).toContain(`Airflow's configparser raises ${value.error}`);
            expect(error.message).toContain(`[${section}] ${key} in ${file} line `);
          }
        }
      }
    });
  }
});

describe("configparser details", () => {
  const read = (text: string, env: Record<string, string> = {}) =>
    Config.fromString(text, { file: "/cfg/airflow.cfg", env });

  it("keeps what follows '#' or ';' in a value: there are no inline comments", () => {
    const conf = read("[database]\nsql_alchemy_conn = postgresql://u:pa#ss@db/x ; note\n");
    expect(conf.get("database", "sql_alchemy_conn")).toBe("postgresql://u:pa#ss@db/x ; note");
  });

  it("reads a getBoolean value up to a '#', as Airflow's getboolean does", () => {
    const conf = read("[state_store]\nclear_on_success = True # clean up\n");
    expect(conf.get("state_store", "clear_on_success")).toBe("True # clean up");
    expect(conf.getBoolean("state_store", "clear_on_success")).toBe(true);
  });

  it("gives [DEFAULT] keys to sections in the file only, and lets the section win", () => {
    const conf = read("[DEFAULT]\nextra = d\nstate_backend = default.D\n[workers]\nstate_backend = w.W\n");
    expect(conf.get("workers", "state_backend")).toBe("w.W");
    expect(conf.get("workers", "extra")).toBe("d");
    expect(conf.getSection("workers")).toMatchObject({ extra: "d", state_backend: "w.W" });
    expect(conf.has("state_store", "extra")).toBe(false);
    expect(conf.describeSource("workers", "extra")).toBe("/cfg/airflow.cfg line 2");
  });

  it("does not %-interpolate environment values (Airflow does not)", () => {
    const conf = read("[core]\nhome = /h\nfrom_file = %(home)s/x 100%%\n", {
      AIRFLOW__CORE__FROM_ENV: "%(home)s 100%%",
    });
    expect(conf.get("core", "from_file")).toBe("/h/x 100%");
    expect(conf.get("core", "from_env")).toBe("%(home)s 100%%");
  });

  it("interpolates first, then expands $VARIABLES in the result", () => {
    const conf = read("[core]\nbase = $DATA\ndags = %(base)s/dags\n", { DATA: "/data" });
    expect(conf.get("core", "dags")).toBe("/data/dags");
  });

  it("names the section, key, file and line of a bad %, never the value", () => {
    const conf = read("[database]\n\nsql_alchemy_conn = postgresql://u:50%secret@db/x\n");
    const error = configError(() => conf.get("database", "sql_alchemy_conn"));
    expect(error.message).toContain("[database] sql_alchemy_conn in /cfg/airflow.cfg line 3");
    expect(error.message).toContain("Write %% for a literal %");
    expect(error.message).not.toContain("secret");
    expect(error).toMatchObject({ section: "database", key: "sql_alchemy_conn", value: undefined });
  });

  it("never shows a refused line's value", () => {
    const error = configError(() => read("[core]\nkey = fine\np4ssw0rd-on-its-own-line\n"));
    expect(error.message).toContain("at line 3");
    expect(error.message).not.toContain("p4ssw0rd");
    const before = configError(() => read("password = hunter2\n[core]\n"));
    expect(before.message).toContain("key 'password' comes before any [section] header");
    expect(before.message).not.toContain("hunter2");
  });

  it("names both lines of a duplicate section and of a duplicate key", () => {
    expect(configError(() => read("[core]\na = 1\n[core]\n")).message).toContain(
      "at line 3: section [core] is already defined at line 1",
    );
    expect(configError(() => read("[core]\na = 1\n\na: 2\n")).message).toContain(
      "at line 4: key 'a' is already set in [core] at line 2",
    );
  });

  it("warns once about names Airflow never reads because they are not lower case", async () => {
    let conf: Config | undefined;
    const warnings = await warningsDuring(() => {
      conf = Config.fromString("[Workers]\nstate_backend = a.A\n[workers]\nState_Backend = b.B\n", {
        file: "/cfg/case/airflow.cfg",
        env: {},
      });
    });
    expect(conf?.get("workers", "state_backend")).toBe("");
    expect(conf?.getSection("workers")).not.toHaveProperty("State_Backend");
    // Earlier tests' warnings may arrive late: keep this text's.
    const ours = warnings.filter((warning) => warning.message.startsWith("/cfg/case/airflow.cfg:"));
    expect(ours.map((warning) => warning.message)).toEqual([
      expect.stringContaining("never read: [Workers] (line 1), [workers] State_Backend (line 4)"),
    ]);
  });
});

/** The process warnings `action` emits (they are delivered on a later tick). */
async function warningsDuring(action: () => void): Promise<Error[]> {
  const warnings: Error[] = [];
  const listen = (warning: Error) => warnings.push(warning);
  process.on("warning", listen);
  try {
    action();
    await new Promise((resolve) => setImmediate(resolve));
  } finally {
    process.off("warning", listen);
  }
  return warnings;
}
