import { describe, expect } from "vitest";
import { expectSameString, expectStateError, OBJECT_MISSING } from "../assertions.js";
import { contract, HINTS, hooksFor } from "../hints.js";
import { readRef, writeRef } from "../refs.js";
import { type CheckContext, SCOPE_KINDS, type ScopeKind } from "./context.js";

/** set/get/delete/clear and the ref hooks, for every kind of scope. */
export function registerRoundTripChecks(ctx: CheckContext): void {
  describe("round trip", () => {
    for (const kind of SCOPE_KINDS) {
      describe(kind.label, () => registerForKind(ctx, kind));
    }
  });
}

function registerForKind({ harness: h }: CheckContext, kind: ScopeKind): void {
  contract(HINTS.roundTrip)("set then get returns the value, and delete removes it", async () => {
    const scope = kind.make(h);
    await h.primary.set(scope, "job_id", "run-42");
    expect(await h.primary.get(scope, "job_id")).toBe("run-42");
    await h.primary.delete(scope, "job_id");
    expect(await h.primary.get(scope, "job_id")).toBeUndefined();
  });

  contract(HINTS.missingKey)(
    "get of a missing key is undefined; delete of a missing key and clear of an empty scope resolve",
    async () => {
      const scope = kind.make(h);
      expect(await h.primary.get(scope, "never_written")).toBeUndefined();
      await expect(h.primary.delete(scope, "never_written")).resolves.toBeUndefined();
      await expect(h.primary.clear(scope)).resolves.toBeUndefined();
      await expect(h.primary.clear(scope, { allMapIndices: true })).resolves.toBeUndefined();
    },
  );

  contract(HINTS.clearKeys)("clear removes every key set in the scope", async () => {
    const scope = kind.make(h);
    await h.primary.set(scope, "a", "1");
    await h.primary.set(scope, "b", "2");
    await h.primary.clear(scope);
    expect(await h.primary.get(scope, "a")).toBeUndefined();
    expect(await h.primary.get(scope, "b")).toBeUndefined();
  });

  contract(HINTS.hooksRoundTrip(hooksFor(kind.label)))(
    "what the serialize hook writes, the deserialize hook and get read back",
    async () => {
      const scope = kind.make(h);
      const ref = await writeRef(h.primary, scope, "checkpoint", "offset=1024");
      expect(typeof ref).toBe("string");
      expect(ref, "the reference must not be the value itself").not.toBe("offset=1024");
      expectSameString(await readRef(h.primary, ref, scope, "checkpoint"), "offset=1024", "deserialize");
      expectSameString(await h.primary.get(scope, "checkpoint"), "offset=1024", "get");
    },
  );

  contract(HINTS.deleteVersions(hooksFor(kind.label)))(
    "delete removes what the serialize hook wrote: get is undefined, the ref is StateObjectMissingError",
    async () => {
      const scope = kind.make(h);
      const ref = await writeRef(h.primary, scope, "checkpoint", "v");
      await h.primary.delete(scope, "checkpoint");
      expect(await h.primary.get(scope, "checkpoint")).toBeUndefined();
      await expectStateError(
        readRef(h.primary, ref, scope, "checkpoint"),
        OBJECT_MISSING,
        "deserialize after delete",
      );
    },
  );

  contract(HINTS.clearVersions(hooksFor(kind.label)))(
    "clear removes what the serialize hook wrote: get is undefined, the ref is StateObjectMissingError",
    async () => {
      const scope = kind.make(h);
      const ref = await writeRef(h.primary, scope, "checkpoint", "v");
      await h.primary.clear(scope);
      expect(await h.primary.get(scope, "checkpoint")).toBeUndefined();
      await expectStateError(
        readRef(h.primary, ref, scope, "checkpoint"),
        OBJECT_MISSING,
        "deserialize after clear",
      );
    },
  );

  contract(HINTS.writeAfterClear(hooksFor(kind.label)))(
    "a scope can be written again after clear",
    async () => {
      const scope = kind.make(h);
      await writeRef(h.primary, scope, "k", "before");
      await h.primary.clear(scope);
      const ref = await writeRef(h.primary, scope, "k", "after");
      expectSameString(await readRef(h.primary, ref, scope, "k"), "after", "deserialize after re-write");
    },
  );
}
