import { describe, expect } from "vitest";
import { expectSameString, expectStateError, OBJECT_MISSING } from "../assertions.js";
import { contract, HINTS } from "../hints.js";
import { keyReferenceOf, readRef, writeRef } from "../refs.js";
import { type CheckContext, SCOPE_KINDS } from "./context.js";

/**
 * Every serialize writes a new version and returns a new reference under the key's own prefix, so
 * a failed or concurrent write never changes what an existing reference reads.
 */
export function registerReferenceChecks({ harness: h }: CheckContext): void {
  describe("every write is a new version", () => {
    for (const kind of SCOPE_KINDS) {
      contract(HINTS.newVersion)(
        `each serialize of the same ${kind.label} and key returns a new reference under the key's prefix, readable whole by the other instance`,
        async () => {
          const scope = kind.make(h);
          const written = [
            { value: "one", ref: await writeRef(h.primary, scope, "k", "one") },
            { value: "two", ref: await writeRef(h.primary, scope, "k", "two") },
            { value: "three", ref: await writeRef(h.secondary, scope, "k", "three") },
          ];
          const refs = written.map((w) => w.ref);
          expect(new Set(refs).size, `every write must get its own reference: ${refs.join(", ")}`).toBe(3);
          const keyRefs = new Set(refs.map(keyReferenceOf));
          expect([...keyRefs], "references of one scope and key share the key's prefix").toHaveLength(1);
          for (const [i, { ref, value }] of written.entries()) {
            const reader = i === 2 ? h.primary : h.secondary;
            expectSameString(await readRef(reader, ref, scope, "k"), value, `deserialize write #${i + 1}`);
          }
        },
      );
    }

    contract(HINTS.retryPrefix)(
      "a retry (new tiId, same scope) gets a new reference under the same key prefix; both stay readable",
      async () => {
        const scope = h.taskScope();
        const firstTry = await writeRef(h.primary, scope, "job_id", "try-1", "ti-0001");
        const secondTry = await writeRef(h.secondary, scope, "job_id", "try-2", "ti-0002");
        expect(secondTry).not.toBe(firstTry);
        expect(keyReferenceOf(secondTry), "the tiId must not be part of the key's prefix").toBe(
          keyReferenceOf(firstTry),
        );
        expectSameString(
          await readRef(h.secondary, firstTry, scope, "job_id"),
          "try-1",
          "the first try's value",
        );
        expectSameString(await readRef(h.primary, secondTry, scope, "job_id"), "try-2", "the retry's value");
      },
    );

    contract(HINTS.sharedStorage)(
      "a value written by one instance is readable by the other, by reference and by get",
      async () => {
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
      },
    );

    contract(HINTS.newestVersion)("get reads the newest version, whichever instance wrote it", async () => {
      const scope = h.assetByName();
      await writeRef(h.primary, scope, "k", "older");
      await writeRef(h.secondary, scope, "k", "newer");
      expectSameString(await h.primary.get(scope, "k"), "newer", "get after two serializes");
    });

    contract(HINTS.setReplaces)(
      "set writes a new version and removes the key's older ones: an earlier reference is StateObjectMissingError",
      async () => {
        const scope = h.taskScope();
        const before = await writeRef(h.primary, scope, "k", "via-hook");
        const other = await writeRef(h.primary, scope, "k2", "another key");
        await h.secondary.set(scope, "k", "via-set");
        expectSameString(await h.primary.get(scope, "k"), "via-set", "get after set");
        await expectStateError(
          readRef(h.primary, before, scope, "k"),
          OBJECT_MISSING,
          "the version set replaced",
        );
        expectSameString(
          await readRef(h.primary, other, scope, "k2"),
          "another key",
          "another key's version",
        );
      },
    );
  });
}
