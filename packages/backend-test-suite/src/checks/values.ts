import { describe } from "vitest";
import { expectSameString } from "../assertions.js";
import { contract, HINTS } from "../hints.js";
import { readRef, writeRef } from "../refs.js";
import { largeAsciiValue, largeUnicodeValue, TRICKY_VALUES } from "../values.js";
import type { CheckContext } from "./context.js";

const ONE_MEGABYTE = 1024 * 1024;

/** Values come back byte for byte, whatever they contain and however large they are. */
export function registerValueChecks({ harness: h, options }: CheckContext): void {
  describe("values round-trip byte-exactly", () => {
    for (const [label, value] of TRICKY_VALUES) {
      contract(HINTS.byteExact)(`${label}, through set/get and through the ref hooks`, async () => {
        const scope = h.taskScope();
        await h.primary.set(scope, "plain", value);
        expectSameString(await h.secondary.get(scope, "plain"), value, "get");
        const asset = h.assetByName();
        const ref = await writeRef(h.primary, asset, "hooked", value);
        expectSameString(await readRef(h.secondary, ref, asset, "hooked"), value, "deserialize");
      });
    }

    contract(HINTS.byteExact)("1 MB of mixed 1- to 4-byte UTF-8 characters", async () => {
      const scope = h.taskScope();
      const value = largeUnicodeValue(ONE_MEGABYTE, "mb");
      const ref = await writeRef(h.primary, scope, "mb", value);
      expectSameString(await readRef(h.secondary, ref, scope, "mb"), value, "deserialize 1 MB");
      expectSameString(await h.secondary.get(scope, "mb"), value, "get 1 MB");
    });
  });

  describe.skipIf(options.skipLargeValues)(`large value (${options.largeValueBytes} bytes)`, () => {
    contract(HINTS.largeValue)(
      "round-trips through the ref hooks and get without corruption at any offset",
      async () => {
        const scope = h.taskScope();
        const value = largeAsciiValue(options.largeValueBytes, "large");
        const ref = await writeRef(h.primary, scope, "large", value);
        expectSameString(await readRef(h.secondary, ref, scope, "large"), value, "deserialize large value");
        expectSameString(await h.primary.get(scope, "large"), value, "get large value");
        await h.primary.delete(scope, "large");
      },
    );
  });
}
