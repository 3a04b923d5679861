import { encodePathSegment, type StateScope } from "@flowstate/shared-state";
import { describe, expect } from "vitest";
import { expectSameString } from "../assertions.js";
import type { SuiteHarness } from "../harness.js";
import { contract, HINTS } from "../hints.js";
import { describeScope, keyReferenceOf, readRef, writeRef } from "../refs.js";
import type { CheckContext } from "./context.js";

interface Slot {
  scope: StateScope;
  key: string;
}

/**
 * Writes a distinct value to every slot, then checks that the keys' references (a reference
 * without its version) are pairwise distinct, that every slot reads back its own value, and that
 * deleting one slot leaves the others.
 */
async function expectNoCollisions(h: SuiteHarness, slots: readonly Slot[]): Promise<void> {
  const refs: string[] = [];
  for (const [i, slot] of slots.entries())
    refs.push(await writeRef(h.primary, slot.scope, slot.key, `value#${i}`));
  const owners = new Map<string, number>();
  for (const [i, ref] of refs.entries()) {
    const keyRef = keyReferenceOf(ref);
    const owner = owners.get(keyRef);
    if (owner !== undefined)
      expect.fail(`${label(slots[owner])} and ${label(slots[i])} share the key reference ${keyRef}`);
    owners.set(keyRef, i);
  }
  for (const [i, slot] of slots.entries()) {
    const ref = refs[i] as string;
    expectSameString(
      await readRef(h.primary, ref, slot.scope, slot.key),
      `value#${i}`,
      `deserialize ${label(slot)}`,
    );
    expectSameString(await h.secondary.get(slot.scope, slot.key), `value#${i}`, `get ${label(slot)}`);
  }
  const [removed, ...kept] = slots as [Slot, ...Slot[]];
  await h.primary.delete(removed.scope, removed.key);
  expect(
    await h.primary.get(removed.scope, removed.key),
    `get ${label(removed)} after its delete`,
  ).toBeUndefined();
  for (const [i, slot] of kept.entries()) {
    expectSameString(
      await h.primary.get(slot.scope, slot.key),
      `value#${i + 1}`,
      `get ${label(slot)} after deleting ${label(removed)}`,
    );
  }
}

function label(slot: Slot | undefined): string {
  return slot
    ? `key ${JSON.stringify(slot.key.length > 40 ? `${slot.key.slice(0, 40)}…` : slot.key)} of ${describeScope(slot.scope)}`
    : "?";
}

const keysIn = (scope: StateScope, keys: readonly string[]): Slot[] => keys.map((key) => ({ scope, key }));

const PATH_LIKE_KEYS = [
  "a/b",
  "a%2Fb",
  "a%2fb",
  "a%252Fb",
  "a_b",
  "a\\b",
  ".",
  "..",
  "...",
  "%2E",
  "%2E%2E",
  "../x",
  "x/..",
  "a/../b",
  "b",
  " ",
  "%20",
  "a b",
  "a+b",
  "a.b",
  "a%2Eb",
  "~",
  "%7E",
  "a~b",
  "/",
  "//",
  "/lead",
  "trail/",
];

const LONG_PREFIX = "p".repeat(200);
const LONG_KEY = "k".repeat(250);

/** Distinct scopes and keys never share a reference or an object. */
export function registerCollisionChecks({ harness: h }: CheckContext): void {
  describe("distinct scopes and keys never collide", () => {
    contract(HINTS.noCollisions)("keys that differ only by case", async () => {
      await expectNoCollisions(h, keysIn(h.taskScope(), ["key", "Key", "KEY"]));
    });

    contract(HINTS.noCollisions)("keys that differ only by unicode normalisation (NFC vs NFD)", async () => {
      await expectNoCollisions(
        h,
        keysIn(h.taskScope(), ["caf\u00e9", "cafe\u0301", "\u00c5", "A\u030a", "\u212b"]),
      );
    });

    contract(HINTS.noCollisions)(
      "keys with '/', '..', '%2F', '.', ' ' and other path-like characters",
      async () => {
        await expectNoCollisions(h, keysIn(h.taskScope(), PATH_LIKE_KEYS));
      },
    );

    contract(HINTS.noCollisions)(
      "very long keys: 250 characters, two sharing a 200-character prefix, and the shortened form of one",
      async () => {
        const longA = `${LONG_PREFIX}${"a".repeat(50)}`;
        const longB = `${LONG_PREFIX}${"a".repeat(49)}b`;
        const wide = "é".repeat(250);
        const wideB = `${"é".repeat(249)}è`;
        await expectNoCollisions(
          h,
          keysIn(h.taskScope(), [LONG_KEY, longA, longB, encodePathSegment(longA), LONG_PREFIX, wide, wideB]),
        );
      },
    );

    contract(HINTS.noCollisions)(
      "ids with '/' cannot shift segment boundaries (dag 'a/b' task 'c' vs dag 'a' task 'b/c')",
      async () => {
        const u = h.uniqueId("dag");
        const run = "r";
        await expectNoCollisions(h, [
          { scope: h.taskScope({ dagId: `${u}/b`, runId: run, taskId: "c" }), key: "k" },
          { scope: h.taskScope({ dagId: u, runId: run, taskId: "b/c" }), key: "k" },
          { scope: h.taskScope({ dagId: u, runId: `${run}/b`, taskId: "c" }), key: "k" },
          { scope: h.taskScope({ dagId: u, runId: run, taskId: "b" }), key: "c/k" },
          { scope: h.taskScope({ dagId: u, runId: run, taskId: "c", mapIndex: 1 }), key: "k" },
          { scope: h.taskScope({ dagId: u, runId: run, taskId: "c/1" }), key: "k" },
          { scope: h.taskScope({ dagId: u, runId: run, taskId: "c" }), key: "1/k" },
          { scope: h.taskScope({ dagId: u, runId: run, taskId: ".." }), key: "k" },
          { scope: h.taskScope({ dagId: u, runId: "..", taskId: "c" }), key: "k" },
        ]);
      },
    );

    contract(HINTS.noCollisions)("ids that differ only by case or unicode normalisation", async () => {
      const u = h.uniqueId("dag");
      await expectNoCollisions(h, [
        { scope: h.taskScope({ dagId: `${u}-dag` }), key: "k" },
        { scope: h.taskScope({ dagId: `${u}-DAG` }), key: "k" },
        { scope: h.taskScope({ dagId: u, taskId: "caf\u00e9" }), key: "k" },
        { scope: h.taskScope({ dagId: u, taskId: "cafe\u0301" }), key: "k" },
        { scope: h.taskScope({ dagId: u, taskId: "Caf\u00e9" }), key: "k" },
      ]);
    });

    contract(HINTS.noCollisions)(
      "very long ids: 250 characters, and two sharing a 200-character prefix",
      async () => {
        const u = h.uniqueId("dag");
        const longDag = (tail: string) => `${u}-${"d".repeat(250 - u.length - 1 - tail.length)}${tail}`;
        await expectNoCollisions(h, [
          { scope: h.taskScope({ dagId: longDag("a") }), key: "k" },
          { scope: h.taskScope({ dagId: longDag("b") }), key: "k" },
          { scope: h.taskScope({ dagId: u, runId: `${LONG_PREFIX}${"r".repeat(50)}` }), key: "k" },
          { scope: h.taskScope({ dagId: u, runId: `${LONG_PREFIX}${"r".repeat(49)}s` }), key: "k" },
          { scope: h.taskScope({ dagId: u, taskId: `${LONG_PREFIX}${"t".repeat(50)}` }), key: LONG_KEY },
          { scope: h.taskScope({ dagId: u, taskId: `${LONG_PREFIX}${"t".repeat(49)}u` }), key: LONG_KEY },
        ]);
      },
    );

    contract(HINTS.noCollisions)("map indices of one task are separate (-1, 0, 1, 10)", async () => {
      const dagId = h.uniqueId("dag");
      await expectNoCollisions(
        h,
        [-1, 0, 1, 10].map((mapIndex) => ({ scope: h.taskScope({ dagId, mapIndex }), key: "k" })),
      );
    });

    contract(HINTS.noCollisions)(
      "asset by name and by uri are separate namespaces, and task never collides with asset",
      async () => {
        const u = h.uniqueId("asset");
        await expectNoCollisions(h, [
          { scope: h.assetByName(u), key: "k" },
          { scope: h.assetByUri(u), key: "k" },
          { scope: h.assetByName(`${u}/k`), key: "k" },
          { scope: h.assetByName(u), key: "k/k" },
          { scope: h.assetByName(u.toUpperCase()), key: "k" },
          { scope: h.taskScope({ dagId: u, runId: "name", taskId: u }), key: "k" },
          { scope: h.taskScope({ dagId: "asset", runId: "name", taskId: u }), key: "k" },
        ]);
      },
    );

    contract(HINTS.noCollisions)(
      "very long asset names and uris (1500 characters, sharing a 1400-character prefix)",
      async () => {
        const u = h.uniqueId("asset");
        const long = (tail: string) => `${u}${"n".repeat(1400 - u.length)}${tail.repeat(100)}`;
        await expectNoCollisions(h, [
          { scope: h.assetByName(long("a")), key: "k" },
          { scope: h.assetByName(long("b")), key: "k" },
          { scope: h.assetByUri(long("a")), key: "k" },
        ]);
      },
    );
  });
}
