// Invariants 1-3 under random fault schedules (fast-check, fixed seed): sequences of set, delete,
// clear and clear(allMapIndices) on two map indices of a task and on an asset (by name or by uri),
// two keys each, where any step may fail — a
// store client call or a backend call, before it acted or after it did (an answer lost). After
// every operation each key reads back a value it may hold (a failed set: the previous value; only
// a lost answer after the store recorded may show the new one), never an error; every row names a
// whole object; at the end the sweep leaves exactly the named objects and found no more orphans
// than the faults that fired can leave. In-process against s3rver, so hundreds of operations stay cheap.
import fc from "fast-check";
import { expect, it } from "vitest";
import {
  assetState,
  assetValue,
  checkAndSweep,
  checkIntegrity,
  type Fixture,
  taskState,
  taskValue,
  useFixtures,
  useS3rver,
  useTally,
} from "./harness.js";
import { intercept } from "./shared.mjs";

const tally = useTally("A random fault schedules (s3rver + SQLite, in-process)");
const openFixture = useFixtures();
// Fixed, so a failure reproduces; set FLOWSTATE_INTEGRITY_SEED / _RUNS to search further.
const RUNS = Number(process.env.FLOWSTATE_INTEGRITY_RUNS ?? 60);
const SEED = Number(process.env.FLOWSTATE_INTEGRITY_SEED ?? 4242);

/** The calls each kind of operation makes, where a fault can hit: on task state, and on asset state. */
const TASK_CALLS = {
  set: [
    "client.getTaskState",
    "backend.serializeTaskStateToRef",
    "client.setTaskState",
    "backend.deleteStateRefs",
  ],
  delete: ["client.deleteTaskState", "backend.deleteStateRefs"],
  clear: ["client.clearTaskState", "backend.deleteStateRefs"],
  clearAll: ["client.clearTaskState", "backend.deleteStateRefs"],
} as const;
const ASSET_CALLS = {
  set: [
    "client.getAsset",
    "backend.serializeAssetStateToRef",
    "client.setAssetState",
    "backend.deleteStateRefs",
  ],
  delete: ["client.deleteAssetState", "client.getAsset", "backend.deleteStateRefs"],
  clear: ["client.clearAssetState", "client.getAsset", "backend.deleteStateRefs"],
  clearAll: ["client.clearAssetState", "client.getAsset", "backend.deleteStateRefs"],
} as const;

interface Fault {
  /** Which of the operation's calls fails (modulo their number). */
  call: number;
  /** `before`: the call fails without acting; `after`: it acted, and then its answer was lost. */
  phase: "before" | "after";
}

interface Op {
  kind: keyof typeof TASK_CALLS;
  /** A map index of the task, or the asset reached by its name or its uri. */
  scope: 0 | 1 | "name" | "uri";
  key: "a" | "b";
  fault: Fault | undefined;
}

const opArbitrary: fc.Arbitrary<Op> = fc.record({
  kind: fc.constantFrom("set", "set", "delete", "clear", "clearAll"),
  scope: fc.constantFrom<Op["scope"]>(0, 1, "name", "uri"),
  key: fc.constantFrom("a", "b"),
  fault: fc.option(fc.record({ call: fc.nat(11), phase: fc.constantFrom("before", "after") }), {
    nil: undefined,
    freq: 2,
  }),
});

const isAsset = (op: Op) => op.scope === "name" || op.scope === "uri";

/** The call `op`'s fault hits, e.g. `client.setTaskState`; `undefined` without a fault. */
function faultPoint(op: Op): string | undefined {
  if (!op.fault) return undefined;
  const calls = (isAsset(op) ? ASSET_CALLS : TASK_CALLS)[op.kind];
  return calls[op.fault.call % calls.length];
}

const server = useS3rver();

/** Runs one operation with its fault armed (it fires at most once): whether it fired, and whether the op threw. */
async function runOp(fx: Fixture, op: Op, value: string): Promise<{ fired: boolean; threw: boolean }> {
  let fired = false;
  const point = faultPoint(op);
  const [target, method] = (point ?? "none.none").split(".") as [string, string];
  const fire = () => {
    if (fired) return;
    fired = true;
    throw new Error(`injected fault at ${point}:${op.fault?.phase}`);
  };
  const hooks = { [method]: op.fault?.phase === "before" ? { before: fire } : { after: fire } };
  const deps = {
    client: target === "client" ? intercept(fx.store.client(), hooks) : fx.store.client(),
    backend: target === "backend" ? intercept(fx.backend, hooks) : fx.backend,
  };
  try {
    if (op.scope === "name" || op.scope === "uri") {
      const state = assetState(fx, op.scope, deps);
      if (op.kind === "set") await state.set(op.key, value);
      else if (op.kind === "delete") await state.delete(op.key);
      else await state.clear();
    } else {
      const state = taskState(fx, op.scope, deps);
      if (op.kind === "set") await state.set(op.key, value);
      else if (op.kind === "delete") await state.delete(op.key);
      else await state.clear({ allMapIndices: op.kind === "clearAll" });
    }
    return { fired, threw: false };
  } catch {
    return { fired, threw: true };
  }
}

/** The (scope, key) slots an operation may change: `0|a`, `1|b`, `asset|a`… */
function touched(op: Op): string[] {
  const own = isAsset(op) ? "asset" : String(op.scope);
  if (op.kind === "set" || op.kind === "delete") return [`${own}|${op.key}`];
  const scopes = op.kind === "clearAll" && !isAsset(op) ? ["0", "1"] : [own];
  return scopes.flatMap((scope) => [`${scope}|a`, `${scope}|b`]);
}

/** What a slot holds now, read through a fresh accessor (the asset alternately by name and by uri). */
function read(fx: Fixture, slot: string, seq: number): Promise<string | undefined> {
  const [scope, key] = slot.split("|") as [string, string];
  if (scope === "asset") return assetState(fx, seq % 2 === 0 ? "name" : "uri").get(key);
  return taskState(fx, Number(scope)).get(key);
}

/**
 * What each touched slot may hold after `op`: its new state when the op succeeded; when it threw,
 * the previous one — or the new one too, when the fault hit the store call after it recorded.
 */
function mayHold(
  op: Op,
  value: string,
  threw: boolean,
  before: string | undefined,
): Array<string | undefined> {
  const after = op.kind === "set" ? value : undefined;
  if (!threw) return [after];
  const noun = isAsset(op) ? "AssetState" : "TaskState";
  const verb = op.kind === "set" ? "set" : op.kind === "delete" ? "delete" : "clear";
  const recordedThenLost = faultPoint(op) === `client.${verb}${noun}` && op.fault?.phase === "after";
  return recordedThenLost ? [before, after] : [before];
}

it(`${RUNS} random schedules of up to 10 operations with faults at any step keep every promise`, {
  timeout: 120_000,
}, async () => {
  await fc.assert(
    fc.asyncProperty(fc.array(opArbitrary, { minLength: 1, maxLength: 10 }), async (ops) => {
      tally.cases += 1;
      const fx = await openFixture(server, "schedule");
      const holds = new Map<string, string | undefined>();
      let fired = 0;
      // A fault leaves at most one orphan per object its operation touched.
      let orphanBound = 0;
      for (const [seq, op] of ops.entries()) {
        const value = isAsset(op)
          ? assetValue(op.key, "schedule", seq)
          : taskValue(op.scope as number, op.key, "schedule", seq);
        const result = await runOp(fx, op, value);
        if (result.fired) {
          fired += 1;
          orphanBound += touched(op).length;
        }
        for (const slot of touched(op)) {
          const allowed = mayHold(op, value, result.threw, holds.get(slot));
          const now = await read(fx, slot, seq);
          expect(allowed, `after #${seq} ${JSON.stringify(op)}: ${slot}`).toContain(now);
          holds.set(slot, now);
        }
        await checkIntegrity(fx);
      }
      tally.faults += fired;
      const swept = tally.orphansSwept;
      await checkAndSweep(fx, tally);
      expect(tally.orphansSwept - swept, "orphans only where faults fired").toBeLessThanOrEqual(orphanBound);
    }),
    { numRuns: RUNS, seed: SEED },
  );
});
