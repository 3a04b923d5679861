import { describe, expect, it } from "vitest";
import { expectSameString } from "../assertions.js";
import { readRef, writeRef } from "../refs.js";
import { type CheckContext, SCOPE_KINDS } from "./context.js";

/** References are derived from scope and key only: stable, shared by every worker and every try. */
export function registerReferenceChecks({ harness: h }: CheckContext): void {
  describe("references are deterministic", () => {
    for (const kind of SCOPE_KINDS) {
      it(`the same ${kind.label} and key give the same reference, twice and on another instance`, async () => {
        const scope = kind.make(h);
        const first = await writeRef(h.primary, scope, "k", "one");
        const again = await writeRef(h.primary, scope, "k", "two");
        const other = await writeRef(h.secondary, scope, "k", "three");
        expect(again).toBe(first);
        expect(other).toBe(first);
        expectSameString(
          await readRef(h.primary, first, scope, "k"),
          "three",
          "latest value by the shared ref",
        );
      });
    }

    it("a value written by one instance is readable by the other, by reference and by get", async () => {
      const scope = h.taskScope();
      const ref = await writeRef(h.primary, scope, "job_id", "written-by-worker-1");
      expectSameString(
        await readRef(h.secondary, ref, scope, "job_id"),
        "written-by-worker-1",
        "deserialize",
      );
      expectSameString(await h.secondary.get(scope, "job_id"), "written-by-worker-1", "get");
      await h.secondary.delete(scope, "job_id");
      expect(await h.primary.get(scope, "job_id")).toBeUndefined();
    });

    it("the reference does not depend on tiId: a retry (new tiId, same scope) gets the same reference", async () => {
      const scope = h.taskScope();
      const firstTry = await writeRef(h.primary, scope, "job_id", "try-1", "ti-0001");
      const secondTry = await writeRef(h.secondary, scope, "job_id", "try-2", "ti-0002");
      expect(secondTry).toBe(firstTry);
      expectSameString(await readRef(h.primary, firstTry, scope, "job_id"), "try-2", "the retry's value");
    });

    it("set and the serialize hook address the same object", async () => {
      const scope = h.taskScope();
      const ref = await writeRef(h.primary, scope, "k", "via-hook");
      await h.secondary.set(scope, "k", "via-set");
      expectSameString(await readRef(h.primary, ref, scope, "k"), "via-set", "deserialize after set");
    });
  });
}
