import { describe, expect } from "vitest";
import { expectSameString } from "../assertions.js";
import { contract, HINTS } from "../hints.js";
import { readRef, writeRef } from "../refs.js";
import { largeAsciiValue } from "../values.js";
import type { CheckContext } from "./context.js";

const PARALLEL_WRITERS = 8;
const CONCURRENT_VALUE_BYTES = 256 * 1024;
/** Reads a reader makes at most while one set is in flight. */
const MAX_READS_DURING_A_WRITE = 200;

/** Overwrites replace the whole value. */
export function registerOverwriteChecks({ harness: h }: CheckContext): void {
  describe("overwrite", () => {
    contract(HINTS.overwrite)("setting a key twice returns the newest value", async () => {
      const scope = h.taskScope();
      await h.primary.set(scope, "k", "first");
      await h.secondary.set(scope, "k", "second");
      expect(await h.primary.get(scope, "k")).toBe("second");
    });

    contract(HINTS.overwrite)(
      "a shorter value after a longer one is not padded with the old tail, and the longer version stays whole",
      async () => {
        const scope = h.taskScope();
        const long = "x".repeat(10_000);
        const longRef = await writeRef(h.primary, scope, "k", long);
        const shortRef = await writeRef(h.primary, scope, "k", "short");
        expectSameString(
          await readRef(h.primary, shortRef, scope, "k"),
          "short",
          "deserialize the shorter version",
        );
        expectSameString(
          await readRef(h.primary, longRef, scope, "k"),
          long,
          "deserialize the longer version",
        );
        expectSameString(await h.primary.get(scope, "k"), "short", "get after shrink by the hooks");
        await h.primary.set(scope, "k", "tiny-longer-value");
        await h.primary.set(scope, "k", "t");
        expectSameString(await h.primary.get(scope, "k"), "t", "get after shrink");
        await h.primary.set(scope, "k", "");
        expectSameString(await h.primary.get(scope, "k"), "", "get after shrink to empty");
      },
    );
  });
}

/** Writers racing on one key never leave, or show, a mix of their values. */
export function registerConcurrencyChecks({ harness: h, options }: CheckContext): void {
  describe.skipIf(options.skipConcurrency)("concurrency", () => {
    contract(HINTS.concurrency)(
      `${PARALLEL_WRITERS} parallel sets of distinct 256 KB values to one key leave exactly one of them, whole`,
      async () => {
        const scope = h.taskScope();
        const values = distinctValues("w");
        await Promise.all(values.map((value, i) => (i % 2 ? h.secondary : h.primary).set(scope, "k", value)));
        expectOneOf(await h.primary.get(scope, "k"), values, "get after the race");
      },
    );

    contract(HINTS.concurrency)(
      `${PARALLEL_WRITERS} parallel serialize hooks on one key give ${PARALLEL_WRITERS} distinct references, each reading its own value whole`,
      async () => {
        const scope = h.taskScope();
        const values = distinctValues("r");
        const refs = await Promise.all(
          values.map((value, i) => writeRef(i % 2 ? h.secondary : h.primary, scope, "k", value, `ti-${i}`)),
        );
        expect(new Set(refs).size, "every writer must get its own reference").toBe(PARALLEL_WRITERS);
        for (const [i, ref] of refs.entries()) {
          expectSameString(
            await readRef(h.primary, ref, scope, "k"),
            values[i] as string,
            `deserialize writer ${i}`,
          );
        }
      },
    );

    contract(HINTS.concurrency)(
      "a get during a set sees the previous value or the new one, whole, never a part",
      async () => {
        const scope = h.taskScope();
        const [previous = "", next = ""] = distinctValues("g");
        await h.primary.set(scope, "k", previous);
        let writing = true;
        const write = h.primary.set(scope, "k", next).finally(() => {
          writing = false;
        });
        const seen: Array<string | undefined> = [];
        while (writing && seen.length < MAX_READS_DURING_A_WRITE)
          seen.push(await h.secondary.get(scope, "k"));
        await write;
        for (const [i, value] of seen.entries())
          expectOneOf(value, [previous, next], `get #${i} during the set`);
        expectSameString(await h.secondary.get(scope, "k"), next, "get after the set");
      },
    );

    contract(HINTS.concurrency)("parallel sets to distinct keys all land", async () => {
      const scope = h.taskScope();
      const keys = Array.from({ length: PARALLEL_WRITERS * 2 }, (_, i) => `key-${i}`);
      await Promise.all(
        keys.map((key, i) => (i % 2 ? h.secondary : h.primary).set(scope, key, `value of ${key}`)),
      );
      for (const key of keys) expect(await h.primary.get(scope, key), key).toBe(`value of ${key}`);
    });
  });
}

/** One distinct 256 KB value per parallel writer, tagged `<tag><i>`. */
function distinctValues(tag: string): string[] {
  return Array.from({ length: PARALLEL_WRITERS }, (_, i) =>
    largeAsciiValue(CONCURRENT_VALUE_BYTES, `${tag}${i}`),
  );
}

function expectOneOf(actual: string | undefined, candidates: readonly string[], what: string): void {
  // Values start with "[w<i>#0]": find the writer whose value this claims to be, then compare it all.
  const writer = candidates.findIndex((candidate) => actual?.startsWith(candidate.slice(0, 16)));
  if (writer === -1) expect.fail(`${what}: the value is none of the ${candidates.length} written ones`);
  expectSameString(actual, candidates[writer] as string, `${what} (writer ${writer})`);
}
