import { describe, it } from "vitest";
import { BAD_REFERENCE, expectSameString, expectStateError, OBJECT_MISSING } from "../assertions.js";
import { readRef, writeRef } from "../refs.js";
import { type CheckContext, SCOPE_KINDS } from "./context.js";

/** Strings that are no reference this backend could have written for any scope and key. */
const FOREIGN_REFERENCES = [
  "",
  " ",
  "garbage",
  "s3://other-bucket/x",
  "gs://other-bucket/x",
  "memory://other/x",
  "file:///etc/passwd",
  "../../x",
  "\u0000",
];

/** Refused references: anything the backend did not write for that scope and key. */
export function registerBadReferenceChecks({ harness: h }: CheckContext): void {
  describe("deserialize refuses a reference it did not write for that scope and key", () => {
    for (const kind of SCOPE_KINDS) {
      it(`a reference for another key or another ${kind.label}, or a foreign string, is StateReferenceError`, async () => {
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
      });
    }

    it("a task reference is refused for an asset, and an asset-by-name reference for the same uri", async () => {
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
      await expectStateError(readRef(h.primary, nameRef, byUri, "k"), BAD_REFERENCE, "name ref read as uri");
      await expectStateError(readRef(h.primary, nameRef, task, "k"), BAD_REFERENCE, "asset ref read as task");
    });

    it("path-escape attempts built on a real reference are StateReferenceError, not a read of another object", async () => {
      const scope = h.taskScope();
      const ref = await writeRef(h.primary, scope, "k", "mine");
      const otherRef = await writeRef(h.primary, scope, "k2", "other");
      const dir = ref.slice(0, ref.lastIndexOf("/"));
      const otherName = otherRef.slice(otherRef.lastIndexOf("/") + 1);
      const attempts = [
        `${ref}/../../x`,
        `${ref}/..`,
        `${ref}/`,
        `${ref} `,
        `${ref}?x=1`,
        `${ref}#x`,
        `${dir}/../${dir.slice(dir.lastIndexOf("/") + 1)}/${ref.slice(ref.lastIndexOf("/") + 1)}`,
        `${dir}/./${ref.slice(ref.lastIndexOf("/") + 1)}`,
        `${dir}//${ref.slice(ref.lastIndexOf("/") + 1)}`,
      ];
      for (const stored of attempts) {
        await expectStateError(
          readRef(h.primary, stored, scope, "k"),
          BAD_REFERENCE,
          `deserialize ${JSON.stringify(stored)}`,
        );
      }
      // Normalises to k2's reference: reading it as k2 must still be refused, not served.
      const escapeToOther = `${ref}/../${otherName}`;
      await expectStateError(
        readRef(h.primary, escapeToOther, scope, "k2"),
        BAD_REFERENCE,
        "escape to k2's object",
      );
    });

    it("a correct reference whose object is gone is StateObjectMissingError", async () => {
      const scope = h.taskScope();
      const ref = await writeRef(h.primary, scope, "k", "v");
      await h.secondary.delete(scope, "k");
      await expectStateError(readRef(h.primary, ref, scope, "k"), OBJECT_MISSING, "deserialize after delete");
    });
  });
}
