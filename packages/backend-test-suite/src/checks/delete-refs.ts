import { newStateVersion, type StateRefToDelete } from "@flowstate/shared-state";
import { describe, expect } from "vitest";
import { contract, HINTS } from "../hints.js";
import { badVariantsOf, FOREIGN_REFERENCES, keyReferenceOf } from "../refs.js";
import { expectGone, expectKept, expectMissing, type Written, writeOne } from "../written.js";
import { type CheckContext, SCOPE_KINDS } from "./context.js";

/**
 * deleteStateRefs deletes exactly the versions named: after the metadata store removed the rows
 * (with their scope and key), and for the orphan sweep (references alone).
 */
export function registerDeleteRefChecks({ harness: h }: CheckContext): void {
  describe("deleteStateRefs deletes exactly the named versions", () => {
    for (const kind of SCOPE_KINDS) {
      contract(HINTS.exactDeleteRefs)(
        `${kind.label}: given with scope and key, or alone; not the key's other versions, another key or another scope`,
        async () => {
          const scope = kind.make(h);
          const other = kind.make(h);
          const first = await writeOne(h, scope, "k", "first");
          const second = await writeOne(h, scope, "k", "second");
          const kept = [
            await writeOne(h, scope, "k", "newest"),
            await writeOne(h, scope, "k2", "another key"),
            await writeOne(h, other, "k", "another scope"),
          ];
          await h.secondary.deleteStateRefs([{ ref: first.ref, scope, key: "k" }]);
          await expectMissing(h, [first], "deleteStateRefs with its scope and key");
          await h.secondary.deleteStateRefs([{ ref: second.ref }]);
          await expectMissing(h, [second], "deleteStateRefs of the reference alone (the orphan sweep)");
          await expectKept(h, kept, "deleteStateRefs of other versions");
          expect(await h.primary.get(scope, "k"), "get after deleting older versions").toBe("newest");
        },
      );
    }

    contract(HINTS.exactDeleteRefs)(
      "a batch across keys and scopes deletes every version named, and only those",
      async () => {
        const scopes = [h.taskScope(), h.taskScope({ mapIndex: 4 }), h.assetByName(), h.assetByUri()];
        const named: Written[] = [];
        const kept: Written[] = [];
        for (const scope of scopes) {
          for (const key of ["a", "b", "c"]) {
            named.push(
              await writeOne(h, scope, key, `${key} v1`),
              await writeOne(h, scope, key, `${key} v2`),
            );
            kept.push(await writeOne(h, scope, key, `${key} v3`));
          }
        }
        const refs = named.map(
          ({ ref, scope, key }, i): StateRefToDelete => (i % 2 ? { ref } : { ref, scope, key }),
        );
        await h.primary.deleteStateRefs(refs);
        await expectMissing(h, named, "a batch deleteStateRefs");
        await expectKept(h, kept, "a batch deleteStateRefs of other versions");
      },
    );

    contract(HINTS.exactDeleteRefs)(
      "a reference given with another scope or key than it was written for is not deleted",
      async () => {
        const scope = h.taskScope({ taskId: "extract", mapIndex: 1 });
        const mine = await writeOne(h, scope, "k", "mine");
        const { dagId, runId } = scope;
        const others = [
          h.taskScope({ dagId, runId, taskId: "extract", mapIndex: 0 }),
          h.taskScope({ dagId, runId, taskId: "extract_2", mapIndex: 1 }),
          h.taskScope({ dagId, runId: `${runId}_2`, taskId: "extract", mapIndex: 1 }),
          h.assetByName(dagId),
        ];
        await h.primary.deleteStateRefs([
          { ref: mine.ref, scope, key: "k2" },
          { ref: mine.ref, scope, key: "K" },
          ...others.map((other) => ({ ref: mine.ref, scope: other, key: "k" })),
        ]);
        await expectKept(h, [mine], "deleteStateRefs with another scope or key");
      },
    );

    contract(HINTS.ignoreForeignDeletes)(
      "garbage, foreign and altered references are ignored without throwing, alone or with a scope and key",
      async () => {
        const scope = h.taskScope();
        const mine = await writeOne(h, scope, "k", "mine");
        const other = await writeOne(h, scope, "k2", "other");
        const strings = [
          ...FOREIGN_REFERENCES,
          ...badVariantsOf(mine.ref, other.ref).map(([, variant]) => variant),
        ];
        for (const ref of strings) {
          const entries = [{ ref }, { ref, scope, key: "k" }, { ref, scope, key: "k2" }];
          await expect(
            h.primary.deleteStateRefs(entries),
            `deleteStateRefs ${JSON.stringify(ref)}`,
          ).resolves.toBeUndefined();
        }
        const notStrings = [42, null, undefined, { ref: mine.ref }].map(
          (ref) => ({ ref }) as unknown as StateRefToDelete,
        );
        await expect(
          h.primary.deleteStateRefs(notStrings),
          "deleteStateRefs of non-strings",
        ).resolves.toBeUndefined();
        await expectKept(h, [mine, other], "deleteStateRefs of references it did not write");
      },
    );

    contract(HINTS.ignoreForeignDeletes)(
      "deleting an already deleted reference, a version never written, or nothing resolves",
      async () => {
        const scope = h.assetByName();
        const mine = await writeOne(h, scope, "k", "mine");
        await h.primary.deleteStateRefs([{ ref: mine.ref, scope, key: "k" }]);
        const again = [{ ref: mine.ref, scope, key: "k" }, { ref: mine.ref }];
        await expect(h.secondary.deleteStateRefs(again), "deleting it again").resolves.toBeUndefined();
        const never = `${keyReferenceOf(mine.ref)}/${newStateVersion()}`;
        await expect(
          h.primary.deleteStateRefs([{ ref: never, scope, key: "k" }, { ref: never }]),
          "a version never written",
        ).resolves.toBeUndefined();
        await expect(h.primary.deleteStateRefs([]), "an empty list").resolves.toBeUndefined();
        await expectGone(h, [mine], "deleteStateRefs of its only version");
      },
    );
  });
}
