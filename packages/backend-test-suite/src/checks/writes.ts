import { describe, expect, it } from "vitest";
import { expectSameString } from "../assertions.js";
import { readRef, writeRef } from "../refs.js";
import { largeAsciiValue } from "../values.js";
import type { CheckContext } from "./context.js";

const PARALLEL_WRITERS = 8;
const CONCURRENT_VALUE_BYTES = 256 * 1024;

/** Overwrites replace the whole value. */
export function registerOverwriteChecks({ harness: h }: CheckContext): void {
  describe("overwrite", () => {
    it("setting a key twice returns the newest value", async () => {
      const scope = h.taskScope();
      await h.primary.set(scope, "k", "first");
      await h.secondary.set(scope, "k", "second");
      expect(await h.primary.get(scope, "k")).toBe("second");
    });

    it("a shorter value after a longer one is not padded with the old tail", async () => {
      const scope = h.taskScope();
      const ref = await writeRef(h.primary, scope, "k", "x".repeat(10_000));
      await writeRef(h.primary, scope, "k", "short");
      expectSameString(await readRef(h.primary, ref, scope, "k"), "short", "deserialize after shrink");
      await h.primary.set(scope, "k", "tiny-longer-value");
      await h.primary.set(scope, "k", "t");
      expectSameString(await h.primary.get(scope, "k"), "t", "get after shrink");
      await h.primary.set(scope, "k", "");
      expectSameString(await h.primary.get(scope, "k"), "", "get after shrink to empty");
    });
  });
}

/** Writers racing on one key never leave a mix of their values. */
export function registerConcurrencyChecks({ harness: h, options }: CheckContext): void {
  describe.skipIf(options.skipConcurrency)("concurrency", () => {
    it(`${PARALLEL_WRITERS} parallel sets of distinct 256 KB values to one key leave exactly one of them, whole`, async () => {
      const scope = h.taskScope();
      const values = Array.from({ length: PARALLEL_WRITERS }, (_, i) =>
        largeAsciiValue(CONCURRENT_VALUE_BYTES, `w${i}`),
      );
      await Promise.all(values.map((value, i) => (i % 2 ? h.secondary : h.primary).set(scope, "k", value)));
      expectOneOf(await h.primary.get(scope, "k"), values, "get after the race");
    });

    it(`${PARALLEL_WRITERS} parallel serialize hooks on one key leave one whole value behind their shared reference`, async () => {
      const scope = h.taskScope();
      const values = Array.from({ length: PARALLEL_WRITERS }, (_, i) =>
        largeAsciiValue(CONCURRENT_VALUE_BYTES, `r${i}`),
      );
      const refs = await Promise.all(
        values.map((value, i) => writeRef(i % 2 ? h.secondary : h.primary, scope, "k", value, `ti-${i}`)),
      );
      expect(new Set(refs).size, "every writer must get the same reference").toBe(1);
      expectOneOf(
        await readRef(h.primary, refs[0] as string, scope, "k"),
        values,
        "deserialize after the race",
      );
    });

    it("parallel sets to distinct keys all land", async () => {
      const scope = h.taskScope();
      const keys = Array.from({ length: PARALLEL_WRITERS * 2 }, (_, i) => `key-${i}`);
      await Promise.all(
        keys.map((key, i) => (i % 2 ? h.secondary : h.primary).set(scope, key, `value of ${key}`)),
      );
      for (const key of keys) expect(await h.primary.get(scope, key), key).toBe(`value of ${key}`);
    });
  });
}

function expectOneOf(actual: string | undefined, candidates: readonly string[], what: string): void {
  // Values start with "[w<i>#0]": find the writer whose value this claims to be, then compare it all.
  const writer = candidates.findIndex((candidate) => actual?.startsWith(candidate.slice(0, 16)));
  if (writer === -1) expect.fail(`${what}: the value is none of the ${candidates.length} written ones`);
  expectSameString(actual, candidates[writer] as string, `${what} (writer ${writer})`);
}
