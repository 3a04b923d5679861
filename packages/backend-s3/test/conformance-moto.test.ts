import { describeStateBackend } from "@flowstate/backend-test-suite";
import { describe, inject, it } from "vitest";
import { backendOn, MIB } from "./helpers.js";

const moto = inject("moto");

if (moto) {
  // moto needs no special client settings: the SDK's default checksums are kept.
  describeStateBackend("s3 (moto)", {
    create: () =>
      backendOn(moto, {
        prefix: "conformance",
        checksums: "when_supported",
        multipartThreshold: 6 * MIB,
        partSize: 5 * MIB,
      }),
    largeValueBytes: 20_000_000,
    timeoutMs: 120_000,
  });
} else {
  describe(`s3 (moto): skipped because ${inject("motoMissingReason")}`, () => {
    it.skip("conformance suite against moto_server", () => {});
  });
}
