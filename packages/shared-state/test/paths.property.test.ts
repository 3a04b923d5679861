// Property-based checks of the one path encoding: whatever ids and keys pass validation, a path
// never leaves its scope's prefix, never has a `.`/`..`/empty segment, and never collides.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  AssetScope,
  MAX_ASSET_REF_LENGTH,
  newStateVersion,
  type StateScope,
  scopePrefix,
  stateKeyPrefix,
  statePath,
  TaskScope,
  validateScopeId,
  validateStateKey,
  versionedStatePath,
  versionOfStatePath,
} from "../src/index.js";

/** Whether `check` accepts `value`. */
function passes(check: (value: string) => void): (value: string) => boolean {
  return (value) => {
    try {
      check(value);
      return true;
    } catch {
      return false;
    }
  };
}

// Strings from a tiny alphabet of the characters that matter to paths, so that two generated
// ids often share most of their text; plus any Unicode, ASCII and long strings (shortened segments).
const tricky = fc.string({
  unit: fc.constantFrom("a", "/", ".", "%", "2", "F", "E", "~", "-", "é", "🚀", " ", "\\"),
  minLength: 1,
  maxLength: 8,
});
const text = (maxLength: number) =>
  fc.oneof(
    tricky,
    fc.constantFrom(".", "..", "/", "%2F", "%2E", "-1", "~", "a/b"),
    fc.string({ unit: "binary", minLength: 1, maxLength: 40 }),
    fc.string({ unit: "grapheme", minLength: 1, maxLength: 40 }),
    fc.string({ unit: "binary-ascii", minLength: 1, maxLength: maxLength + 10 }),
  );

const id = text(250).filter(passes((value) => validateScopeId("id", value)));
const assetRef = text(MAX_ASSET_REF_LENGTH).filter(
  passes((value) => validateScopeId("asset", value, MAX_ASSET_REF_LENGTH)),
);
const key = text(250).filter(passes(validateStateKey));

const taskScope = fc
  .record({
    dagId: id,
    runId: id,
    taskId: id,
    mapIndex: fc.oneof(fc.constantFrom(-1, 0, 1, 10, 12), fc.nat()),
  })
  .map((init) => new TaskScope(init));
const assetScope = fc.oneof(
  assetRef.map((name) => new AssetScope({ name })),
  assetRef.map((uri) => new AssetScope({ uri })),
  fc.oneof(fc.constantFrom(0, 1, 10), fc.nat()).map((assetId) => new AssetScope({ assetId })),
);
const scope: fc.Arbitrary<StateScope> = fc.oneof(taskScope, assetScope);

/** What identifies a scope's namespace: the fields its path is built from. */
function identity(s: StateScope): string {
  if (s.kind === "task") return JSON.stringify(["task", s.dagId, s.runId, s.taskId, s.mapIndex]);
  if (s.name !== undefined) return JSON.stringify(["name", s.name]);
  return s.uri !== undefined ? JSON.stringify(["uri", s.uri]) : JSON.stringify(["id", s.assetId]);
}

/** The task a scope belongs to, whatever its map index (`undefined` for an asset). */
function taskOf(s: StateScope): string | undefined {
  return s.kind === "task" ? JSON.stringify([s.dagId, s.runId, s.taskId]) : undefined;
}

const RUNS = { numRuns: 300 };

describe("statePath (property)", () => {
  it("stays under the scope's prefix and the key's prefix, with no '.', '..' or empty segment", () => {
    fc.assert(
      fc.property(scope, key, (s, k) => {
        const path = statePath(s, k);
        const version = newStateVersion();
        const versioned = versionedStatePath(s, k, version);
        expect(path.startsWith(scopePrefix(s))).toBe(true);
        expect(path.startsWith(scopePrefix(s, { allMapIndices: true }))).toBe(true);
        expect(versioned.startsWith(stateKeyPrefix(s, k))).toBe(true);
        expect(stateKeyPrefix(s, k).startsWith(scopePrefix(s))).toBe(true);
        // Exactly one segment more than the scope: the key cannot add segments.
        expect(path.split("/")).toHaveLength(scopePrefix(s).split("/").length);
        for (const segment of versioned.split("/")) {
          expect(segment).not.toBe("");
          expect(segment).not.toBe(".");
          expect(segment).not.toBe("..");
          expect(segment).toMatch(/^[A-Za-z0-9_%~-]+$/);
        }
      }),
      RUNS,
    );
  });

  it("gives distinct (scope, key) pairs distinct paths, and no key prefix holds another key's", () => {
    fc.assert(
      fc.property(scope, key, scope, key, (s1, k1, s2, k2) => {
        const same = identity(s1) === identity(s2) && k1 === k2;
        expect(statePath(s1, k1) === statePath(s2, k2)).toBe(same);
        const [p1, p2] = [stateKeyPrefix(s1, k1), stateKeyPrefix(s2, k2)];
        expect(p2.startsWith(p1)).toBe(same);
        expect(p1.startsWith(p2)).toBe(same);
      }),
      RUNS,
    );
  });

  it("a scope's prefix holds exactly its own paths; with allMapIndices, its task's", () => {
    fc.assert(
      fc.property(scope, scope, key, (s1, s2, k) => {
        expect(statePath(s2, k).startsWith(scopePrefix(s1))).toBe(identity(s1) === identity(s2));
        const sameTask = taskOf(s1) !== undefined && taskOf(s1) === taskOf(s2);
        if (s1.kind === "task") {
          expect(statePath(s2, k).startsWith(scopePrefix(s1, { allMapIndices: true }))).toBe(sameTask);
        }
      }),
      RUNS,
    );
  });

  it("pairs that differ in one task field only never collide", () => {
    fc.assert(
      fc.property(taskScope, id, fc.constantFrom("dagId", "runId", "taskId"), key, (s, other, field, k) => {
        fc.pre(s[field] !== other);
        const changed = new TaskScope({ ...s, [field]: other });
        expect(statePath(changed, k)).not.toBe(statePath(s, k));
        expect(statePath(changed, k).startsWith(scopePrefix(s, { allMapIndices: true }))).toBe(false);
      }),
      RUNS,
    );
  });

  it("versionOfStatePath reads back the version of every versioned path", () => {
    fc.assert(
      fc.property(scope, key, (s, k) => {
        const version = newStateVersion();
        expect(versionOfStatePath(versionedStatePath(s, k, version))).toBe(version);
        expect(versionOfStatePath(statePath(s, k))).toBeUndefined();
      }),
      RUNS,
    );
  });
});
