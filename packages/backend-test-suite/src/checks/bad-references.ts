import { newStateVersion } from "@flowstate/shared-state";
import { describe } from "vitest";
import { BAD_REFERENCE, expectSameString, expectStateError, OBJECT_MISSING } from "../assertions.js";
import { contract, HINTS } from "../hints.js";
import { badVariantsOf, dotDotPath, FOREIGN_REFERENCES, keyReferenceOf, readRef, writeRef } from "../refs.js";
import { type CheckContext, SCOPE_KINDS } from "./context.js";

/** Refused references: anything that is not a version the backend wrote for that scope and key. */
export function registerBadReferenceChecks({ harness: h }: CheckContext): void {
  describe("deserialize refuses a reference it did not write for that scope and key", () => {
    for (const kind of SCOPE_KINDS) {
      contract(HINTS.refuseForeign)(
        `a version of another key or another ${kind.label}, or a foreign string, is StateReferenceError`,
        async () => {
          const scope = kind.make(h);
          const other = kind.make(h);
          const ref = await writeRef(h.primary, scope, "k", "mine");
          const refOtherKey = await writeRef(h.primary, scope, "k2", "other key");
          const refOtherScope = await writeRef(h.primary, other, "k", "other scope");
          const bad = [refOtherKey, refOtherScope, ...FOREIGN_REFERENCES];
          for (const stored of bad) {
            await expectStateError(
              readRef(h.primary, stored, scope, "k"),
              BAD_REFERENCE,
              `deserialize ${JSON.stringify(stored)}`,
            );
          }
          expectSameString(
            await readRef(h.primary, ref, scope, "k"),
            "mine",
            "the right reference still reads",
          );
        },
      );
    }

    contract(HINTS.refuseForeign)(
      "a task reference is refused for an asset, and an asset-by-name reference for the same uri",
      async () => {
        const task = h.taskScope();
        const byName = h.assetByName(task.dagId);
        const byUri = h.assetByUri(task.dagId);
        const taskRef = await writeRef(h.primary, task, "k", "task");
        const nameRef = await writeRef(h.primary, byName, "k", "name");
        await writeRef(h.primary, byUri, "k", "uri");
        await expectStateError(
          readRef(h.primary, taskRef, byName, "k"),
          BAD_REFERENCE,
          "task ref read as asset",
        );
        await expectStateError(
          readRef(h.primary, nameRef, byUri, "k"),
          BAD_REFERENCE,
          "name ref read as uri",
        );
        await expectStateError(
          readRef(h.primary, nameRef, task, "k"),
          BAD_REFERENCE,
          "asset ref read as task",
        );
      },
    );

    contract(HINTS.refuseForeign)(
      "a real version altered (no version, a malformed one, another bucket's or prefix's copy, dot segments, suffixes) is StateReferenceError, not a read of another object",
      async () => {
        const scope = h.taskScope();
        const ref = await writeRef(h.primary, scope, "k", "mine");
        const otherRef = await writeRef(h.primary, scope, "k2", "other");
        for (const [label, stored] of badVariantsOf(ref, otherRef)) {
          await expectStateError(
            readRef(h.primary, stored, scope, "k"),
            BAD_REFERENCE,
            `deserialize ${label}: ${JSON.stringify(stored)}`,
          );
        }
        // Normalises to k2's reference: reading it as k2 must still be refused, not served.
        await expectStateError(
          readRef(h.primary, dotDotPath(ref, otherRef), scope, "k2"),
          BAD_REFERENCE,
          "a '..' path to k2's version, read as k2",
        );
      },
    );

    contract(HINTS.objectMissing)(
      "a correct reference whose version is gone, or was never written, is StateObjectMissingError",
      async () => {
        const scope = h.taskScope();
        const ref = await writeRef(h.primary, scope, "k", "v");
        const neverWritten = `${keyReferenceOf(ref)}/${newStateVersion()}`;
        await expectStateError(
          readRef(h.primary, neverWritten, scope, "k"),
          OBJECT_MISSING,
          "a well-formed version that was never written",
        );
        await h.secondary.delete(scope, "k");
        await expectStateError(
          readRef(h.primary, ref, scope, "k"),
          OBJECT_MISSING,
          "deserialize after delete",
        );
      },
    );
  });
}
