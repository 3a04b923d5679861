import type { StateScope } from "@flowstate/shared-state";
import { expect } from "vitest";
import { expectSameString, expectStateError, OBJECT_MISSING } from "./assertions.js";
import type { SuiteHarness } from "./harness.js";
import { describeScope, readRef, writeRef } from "./refs.js";

/** One value written through a serialize hook, with the reference it got. */
export interface Written {
  scope: StateScope;
  key: string;
  ref: string;
  value: string;
}

/** Writes `value` through the primary backend's serialize hook. */
export async function writeOne(
  h: SuiteHarness,
  scope: StateScope,
  key: string,
  value: string,
): Promise<Written> {
  return { scope, key, value, ref: await writeRef(h.primary, scope, key, value) };
}

/** Writes one value per scope and key (named after both) through the primary backend. */
export async function writeAll(
  h: SuiteHarness,
  scopes: readonly StateScope[],
  keys = ["k", "k2"],
): Promise<Written[]> {
  const written: Written[] = [];
  for (const scope of scopes) {
    for (const key of keys) written.push(await writeOne(h, scope, key, `${describeScope(scope)} ${key}`));
  }
  return written;
}

function label(item: Written, after: string): string {
  return `key ${item.key} of ${describeScope(item.scope)} after ${after}`;
}

/** Each reference still reads its own value, whole, through the secondary backend. */
export async function expectKept(h: SuiteHarness, items: readonly Written[], after: string): Promise<void> {
  for (const item of items) {
    expectSameString(
      await readRef(h.secondary, item.ref, item.scope, item.key),
      item.value,
      `deserialize ${label(item, after)}`,
    );
  }
}

/** Each reference is StateObjectMissingError through the secondary backend. */
export async function expectMissing(
  h: SuiteHarness,
  items: readonly Written[],
  after: string,
): Promise<void> {
  for (const item of items) {
    await expectStateError(
      readRef(h.secondary, item.ref, item.scope, item.key),
      OBJECT_MISSING,
      `deserialize ${label(item, after)}`,
    );
  }
}

/** Each key is gone: `get` is undefined and its reference is StateObjectMissingError. */
export async function expectGone(h: SuiteHarness, items: readonly Written[], after: string): Promise<void> {
  for (const item of items) {
    expect(await h.secondary.get(item.scope, item.key), `get ${label(item, after)}`).toBeUndefined();
  }
  await expectMissing(h, items, after);
}
