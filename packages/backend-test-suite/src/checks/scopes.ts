import type { StateBackend, StateScope, TaskScope } from "@flowstate/shared-state";
import { describe, expect } from "vitest";
import { expectSameString, expectStateError, INVALID_SCOPE } from "../assertions.js";
import type { SuiteHarness } from "../harness.js";
import { contract, HINTS } from "../hints.js";
import { attempt, listAllStateRefs } from "../refs.js";
import { expectKept, expectMissing, type Written, writeOne } from "../written.js";
import type { CheckContext } from "./context.js";

/**
 * Hand-made scopes every method must refuse: a backend must run `validateScope` itself, since a
 * plugin may be handed plain objects (another copy of shared-state, or a caller's bug). `u` is a
 * unique dag id; the task scopes are `u`/`r`/`t` apart from their fault, so a backend that wrote
 * before validating leaves something the listing of that task (all map indices) shows.
 */
const MALFORMED_SCOPES: ReadonlyArray<readonly [label: string, make: (u: string) => unknown]> = [
  ["mapIndex -5", (u) => ({ kind: "task", dagId: u, runId: "r", taskId: "t", mapIndex: -5 })],
  ["mapIndex 1.5", (u) => ({ kind: "task", dagId: u, runId: "r", taskId: "t", mapIndex: 1.5 })],
  ['mapIndex "1" (a string)', (u) => ({ kind: "task", dagId: u, runId: "r", taskId: "t", mapIndex: "1" })],
  ["no dagId", (u) => ({ kind: "task", runId: u, taskId: "t", mapIndex: -1 })],
  ["an empty runId", (u) => ({ kind: "task", dagId: u, runId: "", taskId: "t", mapIndex: -1 })],
  ["a control character in taskId", (u) => ({ kind: "task", dagId: u, runId: "r", taskId: "t\u0007" })],
  ["a C1 control character in taskId", (u) => ({ kind: "task", dagId: u, runId: "r", taskId: "t\u009b" })],
  ["an asset scope with none of name, uri and assetId", () => ({ kind: "asset" })],
  ["an asset scope with an empty name", () => ({ kind: "asset", name: "" })],
  ["a task scope without kind", (u) => ({ dagId: u, runId: "r", taskId: "t", mapIndex: -1 })],
  ["null", () => null],
  ["a string", (u) => `task/${u}/r/t/-1`],
];

/** Every method that takes a scope, called with `scope`; `bait` is a real reference (key "bait") to aim at. */
function callsWith(
  backend: StateBackend,
  scope: StateScope,
  bait: string,
): Array<readonly [method: string, call: () => unknown]> {
  return [
    ["get", () => backend.get(scope, "k")],
    ["set", () => backend.set(scope, "k", "v")],
    ["delete", () => backend.delete(scope, "bait")],
    ["clear", () => backend.clear(scope)],
    ["clear with allMapIndices", () => backend.clear(scope, { allMapIndices: true })],
    [
      "serializeTaskStateToRef",
      () => backend.serializeTaskStateToRef({ value: "v", key: "k", tiId: "ti", scope: scope as never }),
    ],
    [
      "serializeAssetStateToRef",
      () => backend.serializeAssetStateToRef({ value: "v", key: "k", assetRef: "a", scope: scope as never }),
    ],
    [
      "deserializeTaskStateFromRef",
      () => backend.deserializeTaskStateFromRef(bait, { key: "bait", scope: scope as never }),
    ],
    [
      "deserializeAssetStateFromRef",
      () => backend.deserializeAssetStateFromRef(bait, { key: "bait", scope: scope as never }),
    ],
    ["deleteStateRefs", () => backend.deleteStateRefs([{ ref: bait, scope, key: "bait" }])],
    ["listStateRefs", () => listAllStateRefs(backend, { scope })],
    ["listStateRefs with allMapIndices", () => listAllStateRefs(backend, { scope, allMapIndices: true })],
  ];
}

/** Nothing was written in `scope` (all map indices) but the bait, and the bait was not deleted. */
async function expectOnlyBait(h: SuiteHarness, bait: Written, after: string): Promise<void> {
  await expectKept(h, [bait], after);
  expect(await h.secondary.get(bait.scope, "k"), `get after ${after}`).toBeUndefined();
  const listed = await listAllStateRefs(h.secondary, { scope: bait.scope, allMapIndices: true });
  expect(
    listed.map((entry) => entry.ref),
    `what the listing shows after ${after}`,
  ).toEqual([bait.ref]);
}

/** Every method refuses a bad scope with InvalidScopeError before any I/O. */
export function registerScopeChecks({ harness: h }: CheckContext): void {
  describe("bad scopes are refused before any I/O", () => {
    for (const [label, make] of MALFORMED_SCOPES) {
      contract(HINTS.badScope)(
        `${label} is InvalidScopeError from every method, and nothing is written or deleted`,
        async () => {
          const u = h.uniqueId("dag");
          const bait = await writeOne(h, h.taskScope({ dagId: u, runId: "r", taskId: "t" }), "bait", "bait");
          for (const [method, call] of callsWith(h.primary, make(u) as StateScope, bait.ref)) {
            await expectStateError(attempt(call), INVALID_SCOPE, `${method} with ${label}`);
          }
          await expectOnlyBait(h, bait, `the calls with ${label}`);
        },
      );
    }

    contract(HINTS.scopeKind)(
      "an asset scope in the task hooks and a task scope in the asset hooks are InvalidScopeError, and nothing is written",
      async () => {
        const task = await writeOne(h, h.taskScope(), "bait", "task bait");
        const asset = await writeOne(h, h.assetByName(), "bait", "asset bait");
        const calls: Array<readonly [string, () => unknown]> = [
          [
            "serializeTaskStateToRef with an asset scope",
            () =>
              h.primary.serializeTaskStateToRef({
                value: "v",
                key: "k",
                tiId: "ti",
                scope: asset.scope as never,
              }),
          ],
          [
            "serializeAssetStateToRef with a task scope",
            () =>
              h.primary.serializeAssetStateToRef({
                value: "v",
                key: "k",
                assetRef: "a",
                scope: task.scope as never,
              }),
          ],
          [
            "deserializeTaskStateFromRef with an asset scope",
            () =>
              h.primary.deserializeTaskStateFromRef(asset.ref, { key: "bait", scope: asset.scope as never }),
          ],
          [
            "deserializeAssetStateFromRef with a task scope",
            () =>
              h.primary.deserializeAssetStateFromRef(task.ref, { key: "bait", scope: task.scope as never }),
          ],
        ];
        for (const [what, call] of calls) await expectStateError(attempt(call), INVALID_SCOPE, what);
        await expectOnlyBait(h, task, "the hooks of the other kind");
        await expectOnlyBait(h, asset, "the hooks of the other kind");
      },
    );

    contract(HINTS.plainScope)(
      "a plain object with a valid scope's fields (another copy of shared-state) is accepted by every method",
      async () => {
        const u = h.uniqueId("dag");
        const plain = {
          kind: "task",
          dagId: u,
          runId: "r",
          taskId: "t",
          mapIndex: 2,
        } as unknown as TaskScope;
        const real = h.taskScope({ dagId: u, runId: "r", taskId: "t", mapIndex: 2 });
        await h.primary.set(plain, "k", "set");
        expect(await h.secondary.get(real, "k"), "get of what set wrote with the plain object").toBe("set");
        expect(await h.primary.get(plain, "k"), "get with the plain object").toBe("set");
        const ref = await h.primary.serializeTaskStateToRef({
          value: "hooked",
          key: "h",
          tiId: "ti",
          scope: plain,
        });
        expectSameString(
          await h.secondary.deserializeTaskStateFromRef(ref, { key: "h", scope: plain }),
          "hooked",
          "deserialize with the plain object",
        );
        const listed = await listAllStateRefs(h.secondary, { scope: plain, allMapIndices: true });
        expect(
          listed.map((entry) => entry.ref),
          "listStateRefs with the plain object",
        ).toContain(ref);
        await h.primary.deleteStateRefs([{ ref, scope: plain, key: "h" }]);
        await expectMissing(
          h,
          [{ scope: real, key: "h", ref, value: "hooked" }],
          "deleteStateRefs with the plain object",
        );
        await h.primary.delete(plain, "k");
        expect(await h.secondary.get(real, "k"), "get after delete with the plain object").toBeUndefined();
        await h.primary.set(real, "k", "again");
        await h.primary.clear(plain);
        expect(await h.secondary.get(real, "k"), "get after clear with the plain object").toBeUndefined();
      },
    );
  });
}
