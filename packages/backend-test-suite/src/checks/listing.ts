import type { ListStateRefsOptions, StateBackend } from "@flowstate/shared-state";
import { describe, expect } from "vitest";
import { contract, HINTS } from "../hints.js";
import { type Written, writeAll, writeOne } from "../written.js";
import { type CheckContext, SCOPE_KINDS } from "./context.js";

/** How far `writtenAt` may be from the test's clock: storage servers keep their own time, some to the second. */
const CLOCK_SKEW_MS = 2 * 60_000;

/**
 * Every page `listStateRefs(options)` yields, checked for shape: an array of `{ ref, writtenAt }`
 * with a string reference and a valid Date. Returns the entries of all pages.
 */
async function listChecked(
  backend: StateBackend,
  options: ListStateRefsOptions | undefined,
  what: string,
): Promise<Array<{ ref: string; writtenAt: Date }>> {
  const listed: Array<{ ref: string; writtenAt: Date }> = [];
  for await (const page of backend.listStateRefs(options)) {
    expect(Array.isArray(page), `${what}: every page must be an array`).toBe(true);
    for (const entry of page) {
      expect(typeof entry?.ref, `${what}: every entry has a string ref`).toBe("string");
      const time = entry.writtenAt instanceof Date ? entry.writtenAt.getTime() : Number.NaN;
      expect(Number.isNaN(time), `${what}: ${entry.ref} must have a valid writtenAt Date`).toBe(false);
      listed.push(entry);
    }
  }
  return listed;
}

const refsOf = (items: readonly Written[]): string[] => items.map((item) => item.ref);

/** The listing holds exactly `expected`, in any order. */
async function expectListing(
  backend: StateBackend,
  options: ListStateRefsOptions | undefined,
  expected: readonly string[],
  what: string,
): Promise<Array<{ ref: string; writtenAt: Date }>> {
  const listed = await listChecked(backend, options, what);
  const refs = listed.map((entry) => entry.ref).sort();
  expect(refs, `${what}: the listing must hold exactly the versions written, each once`).toEqual(
    [...expected].sort(),
  );
  return listed;
}

/** listStateRefs finds every version for the orphan sweep, and nothing outside the scope it is given. */
export function registerListingChecks({ harness: h }: CheckContext): void {
  describe("listStateRefs lists every version, for the orphan sweep", () => {
    for (const kind of SCOPE_KINDS) {
      contract(HINTS.listing)(
        `lists every version written under a ${kind.label}, with when it was written, and nothing of another scope`,
        async () => {
          const before = Date.now();
          const scope = kind.make(h);
          const mine = [
            await writeOne(h, scope, "k", "1"),
            await writeOne(h, scope, "k", "2"),
            await writeOne(h, scope, "k2", "3"),
          ];
          await writeOne(h, kind.make(h), "k", "another scope");
          const after = Date.now();
          const what = `listStateRefs of the ${kind.label}`;
          const listed = await expectListing(h.secondary, { scope }, refsOf(mine), what);
          for (const { ref, writtenAt } of listed) {
            expect(writtenAt.getTime(), `${what}: writtenAt of ${ref}`).toBeGreaterThanOrEqual(
              before - CLOCK_SKEW_MS,
            );
            expect(writtenAt.getTime(), `${what}: writtenAt of ${ref}`).toBeLessThanOrEqual(
              after + CLOCK_SKEW_MS,
            );
          }
        },
      );
    }

    contract(HINTS.listing)(
      "with allMapIndices, lists every map index of the task and nothing of a sibling task or another run; without, only its own",
      async () => {
        const dagId = h.uniqueId("dag");
        const at = (mapIndex: number, taskId = "extract", runId = "r1") =>
          h.taskScope({ dagId, runId, taskId, mapIndex });
        const own = await writeAll(h, [at(1)]);
        const otherIndices = await writeAll(h, [at(0), at(10), at(-1)]);
        await writeAll(h, [
          at(0, "extract_2"),
          at(1, "load"),
          at(1, "extract", "r1_2"),
          at(0, "extract", "r2"),
        ]);
        await expectListing(
          h.secondary,
          { scope: at(1), allMapIndices: true },
          refsOf([...own, ...otherIndices]),
          "listStateRefs with allMapIndices",
        );
        await expectListing(h.secondary, { scope: at(1) }, refsOf(own), "listStateRefs of map index 1");
      },
    );

    contract(HINTS.listing)(
      "an asset by name lists nothing of the same string as a uri, or of an asset whose name extends it",
      async () => {
        const name = h.uniqueId("orders");
        const mine = await writeAll(h, [h.assetByName(name)]);
        await writeAll(h, [h.assetByUri(name), h.assetByName(`${name}_v2`), h.assetByName(`${name}/v2`)]);
        await expectListing(h.secondary, { scope: h.assetByName(name) }, refsOf(mine), "listStateRefs");
      },
    );

    contract(HINTS.listing)(
      "what deleteStateRefs, delete and clear removed is gone from the listing",
      async () => {
        const scope = h.taskScope();
        const a = await writeOne(h, scope, "k", "a");
        const b = await writeOne(h, scope, "k", "b");
        const c = await writeOne(h, scope, "k2", "c");
        const d = await writeOne(h, scope, "k3", "d");
        const other = h.taskScope({ dagId: scope.dagId, taskId: "other" });
        const kept = await writeOne(h, other, "k", "kept");
        await h.primary.deleteStateRefs([{ ref: a.ref }]);
        await expectListing(h.secondary, { scope }, refsOf([b, c, d]), "after deleteStateRefs");
        await h.primary.delete(scope, "k2");
        await expectListing(h.secondary, { scope }, refsOf([b, d]), "after delete");
        await h.primary.clear(scope);
        await expectListing(h.secondary, { scope }, [], "after clear");
        await expectListing(h.secondary, { scope: other }, [kept.ref], "another task after clear");
      },
    );

    contract(HINTS.listing)("the listing of the whole backend holds what was written", async () => {
      const mine = await writeOne(h, h.assetByUri(), "k", "whole");
      const listed = await listChecked(h.secondary, undefined, "listStateRefs()");
      expect(
        listed.some((entry) => entry.ref === mine.ref),
        "listStateRefs() must list every version",
      ).toBe(true);
    });
  });
}
