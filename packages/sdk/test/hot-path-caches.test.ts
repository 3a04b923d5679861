// What the accessors' hot path remembers between calls, and what it must not: constructed scopes
// are trusted (they are checked when built and frozen), encoded paths and keys are reused, random
// bits are drawn a page at a time, and the default retention is read once per accessor — while
// every hand-made scope, every bad key and every bad configuration value is still refused.
import {
  InvalidScopeError,
  InvalidStateKeyError,
  isStateVersion,
  newStateVersion,
  scopePrefix,
  statePath,
  TaskScope,
  validateScope,
} from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { TaskStateAccessor } from "../src/index.js";
import { config, useHarness } from "./helpers.js";

const FIELDS = { dagId: "dag", runId: "run", taskId: "task", mapIndex: 2 };

describe("scopes built by the constructors", () => {
  it("validateScope hands a constructed scope back as is, and still checks its kind", () => {
    const scope = new TaskScope(FIELDS);
    expect(validateScope(scope)).toBe(scope);
    expect(validateScope(scope, "task")).toBe(scope);
    expect(() => validateScope(scope, "asset")).toThrow(InvalidScopeError);
  });

  it("an object that only looks constructed (TaskScope's prototype, frozen) is checked field by field", () => {
    const forged = Object.freeze(
      Object.assign(Object.create(TaskScope.prototype), { ...FIELDS, kind: "task", dagId: "a/../../b\n" }),
    );
    expect(forged).toBeInstanceOf(TaskScope);
    expect(() => validateScope(forged)).toThrow(InvalidScopeError);
    expect(() => statePath(forged, "k")).not.toThrow(); // paths encode, they do not validate scopes
    expect(statePath(forged, "k")).not.toContain("/../");
  });

  it("a plain object scope is rebuilt and checked on every call", () => {
    const plain = { kind: "task" as const, ...FIELDS };
    const rebuilt = validateScope(plain);
    expect(rebuilt).not.toBe(plain);
    expect(rebuilt).toEqual(new TaskScope(FIELDS));
    plain.mapIndex = -7;
    expect(() => validateScope(plain)).toThrow(InvalidScopeError);
  });

  it("paths of a constructed scope equal those of the same fields given as a plain object", () => {
    const scope = new TaskScope(FIELDS);
    const plain = { kind: "task" as const, ...FIELDS };
    for (let i = 0; i < 3; i += 1) {
      expect(scopePrefix(scope)).toBe(scopePrefix(plain));
      expect(statePath(scope, "job/id")).toBe(statePath(plain, "job/id"));
    }
    expect(scopePrefix(scope)).toBe("task/dag/run/task/2/");
    expect(scopePrefix(scope, { allMapIndices: true })).toBe("task/dag/run/task/");
  });
});

describe("keys in paths", () => {
  it("are validated on every call, whatever was encoded before", () => {
    const scope = new TaskScope(FIELDS);
    expect(statePath(scope, "a.b")).toBe("task/dag/run/task/2/a%2Eb");
    expect(() => statePath(scope, "")).toThrow(InvalidStateKeyError);
    expect(() => statePath(scope, "a\nb")).toThrow(InvalidStateKeyError);
    // biome-ignore lint/suspicious/noExplicitAny: feeding bad input on purpose.
    expect(() => statePath(scope, 42 as any)).toThrow(InvalidStateKeyError);
    expect(statePath(scope, "a.b")).toBe("task/dag/run/task/2/a%2Eb");
  });

  it("encode the same beyond the bounded cache of recent keys", () => {
    const scope = new TaskScope(FIELDS);
    const keys = Array.from({ length: 3000 }, (_, i) => `key.${i}`);
    const first = keys.map((key) => statePath(scope, key));
    expect(keys.map((key) => statePath(scope, key))).toEqual(first);
    expect(first[2999]).toBe("task/dag/run/task/2/key%2E2999");
  });
});

describe("newStateVersion", () => {
  it("stays well-formed, unique and increasing across many refills of its random pool", () => {
    const versions = Array.from({ length: 5000 }, () => newStateVersion());
    expect(versions.every(isStateVersion)).toBe(true);
    expect(new Set(versions).size).toBe(versions.length);
    expect([...versions].sort()).toEqual(versions);
    const randomParts = new Set(versions.map((v) => v.split("-")[1]));
    expect(randomParts.size).toBe(versions.length);
  });
});

describe("TaskStateAccessor default retention", () => {
  const h = useHarness();

  it("a bad default_retention_days fails every set (a failed read is not remembered)", async () => {
    const ti = await h.store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "task" });
    const taskState = new TaskStateAccessor({
      tiId: ti.id,
      scope: new TaskScope({ dagId: "dag", runId: "run", taskId: "task" }),
      client: h.client,
      conf: config("[state_store]\ndefault_retention_days = forever\n"),
    });
    for (let i = 0; i < 2; i += 1) {
      await expect(taskState.set("k", "v")).rejects.toThrow(/default_retention_days/);
    }
    expect(await taskState.get("k")).toBeUndefined();
  });

  it("each accessor (each try) reads the configured retention", async () => {
    const ti = await h.store.createTaskInstance({ dagId: "dag", runId: "run", taskId: "task" });
    const now = new Date("2030-01-01T00:00:00.000Z");
    const make = (days: number) =>
      new TaskStateAccessor({
        tiId: ti.id,
        scope: new TaskScope({ dagId: "dag", runId: "run", taskId: "task" }),
        client: h.client,
        conf: config(`[state_store]\ndefault_retention_days = ${days}\n`),
        backend: undefined,
        now: () => now,
      });
    await make(1).set("one", "v");
    await make(7).set("seven", "v");
    const rows = await h.store.listTaskState({ dagId: "dag" });
    const expiry = Object.fromEntries(rows.map((row) => [row.key, row.expiresAt?.toISOString()]));
    expect(expiry).toEqual({ one: "2030-01-02T00:00:00.000Z", seven: "2030-01-08T00:00:00.000Z" });
  });
});
