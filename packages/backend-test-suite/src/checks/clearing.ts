import { describe } from "vitest";
import { contract, HINTS } from "../hints.js";
import { expectGone, expectKept, type Written, writeAll, writeOne } from "../written.js";
import type { CheckContext } from "./context.js";

/** delete and clear remove exactly what the serialize hooks wrote, and nothing of another scope. */
export function registerClearingChecks({ harness: h }: CheckContext): void {
  describe("delete and clear remove exactly their own data", () => {
    contract(HINTS.exactClear)(
      "delete removes only that key (not a key it prefixes, not the same key of a sibling scope)",
      async () => {
        const scope = h.taskScope({ taskId: "extract" });
        const sibling = h.taskScope({ dagId: scope.dagId, taskId: "extract_2" });
        const [target, ...others] = await writeAll(h, [scope, sibling], ["k", "k2", "k/x"]);
        await h.primary.delete(scope, "k");
        await expectGone(h, [target as Written], "delete");
        await expectKept(h, others, "delete of another key");
      },
    );

    contract(HINTS.exactClear)(
      "delete and clear remove every version of a key, not only the newest",
      async () => {
        const scope = h.assetByUri();
        const deleted = [await writeOne(h, scope, "k", "v1"), await writeOne(h, scope, "k", "v2")];
        const cleared = [await writeOne(h, scope, "k2", "v1"), await writeOne(h, scope, "k2", "v2")];
        await h.primary.delete(scope, "k");
        await expectGone(h, deleted, "delete");
        await expectKept(h, cleared, "delete of another key");
        await h.primary.clear(scope);
        await expectGone(h, cleared, "clear");
      },
    );

    contract(HINTS.exactClear)(
      "clear of a task leaves a sibling task, a task whose id extends it (extract vs extract_2), another run and another dag",
      async () => {
        const scope = h.taskScope({ taskId: "extract" });
        const { dagId, runId } = scope;
        const others = [
          h.taskScope({ dagId, runId, taskId: "load" }),
          h.taskScope({ dagId, runId, taskId: "extract_2" }),
          h.taskScope({ dagId, runId, taskId: "extract/2" }),
          h.taskScope({ dagId, runId: `${runId}_2`, taskId: "extract" }),
          h.taskScope({ dagId: `${dagId}_2`, runId, taskId: "extract" }),
          h.assetByName(dagId),
        ];
        const mine = await writeAll(h, [scope]);
        const theirs = await writeAll(h, others);
        await h.primary.clear(scope);
        await expectGone(h, mine, "clear");
        await expectKept(h, theirs, "clear of another scope");
      },
    );

    contract(HINTS.exactClear)(
      "clear without allMapIndices removes only that map index (1, not 0, 10 or -1)",
      async () => {
        const dagId = h.uniqueId("dag");
        const at = (mapIndex: number) => h.taskScope({ dagId, taskId: "extract", mapIndex });
        const mine = await writeAll(h, [at(1)]);
        const theirs = await writeAll(h, [at(0), at(10), at(-1), at(11)]);
        await h.primary.clear(at(1));
        await expectGone(h, mine, "clear of map index 1");
        await expectKept(h, theirs, "clear of map index 1");
      },
    );

    contract(HINTS.exactClear)(
      "clear with allMapIndices removes every map index of the task and nothing of a sibling or another run",
      async () => {
        const dagId = h.uniqueId("dag");
        const at = (mapIndex: number, taskId = "extract", runId = "r1") =>
          h.taskScope({ dagId, runId, taskId, mapIndex });
        const mine = await writeAll(h, [at(0), at(1), at(10), at(-1)]);
        const theirs = await writeAll(h, [
          at(0, "extract_2"),
          at(1, "load"),
          at(0, "extract", "r1_2"),
          at(0, "extract", "r2"),
        ]);
        await h.primary.clear(at(1), { allMapIndices: true });
        await expectGone(h, mine, "clear with allMapIndices");
        await expectKept(h, theirs, "clear with allMapIndices of another task");
      },
    );

    contract(HINTS.exactClear)(
      "clear of an asset by name leaves the same string as a uri, an asset whose name extends it, and tasks",
      async () => {
        const name = h.uniqueId("orders");
        const mine = await writeAll(h, [h.assetByName(name)]);
        const theirs = await writeAll(h, [
          h.assetByUri(name),
          h.assetByName(`${name}_v2`),
          h.assetByName(`${name}/v2`),
          h.taskScope({ dagId: name, runId: name, taskId: name }),
        ]);
        await h.primary.clear(h.assetByName(name));
        await expectGone(h, mine, "clear of the asset by name");
        await expectKept(h, theirs, "clear of an asset by name");
      },
    );

    contract(HINTS.exactClear)("clear of an asset by uri leaves the same string as a name", async () => {
      const uri = `s3://warehouse/${h.uniqueId("orders")}`;
      const mine = await writeAll(h, [h.assetByUri(uri)]);
      const theirs = await writeAll(h, [h.assetByName(uri), h.assetByUri(`${uri}/part`)]);
      await h.primary.clear(h.assetByUri(uri));
      await expectGone(h, mine, "clear of the asset by uri");
      await expectKept(h, theirs, "clear of an asset by uri");
    });
  });
}
