import { describeStateBackend } from "@flowstate/backend-test-suite";
import { inject } from "vitest";
import { backendOn, MIB } from "./support/helpers.js";

const emulator = inject("gcsEmulator");

// A 12 MB large value is above the 6 MiB threshold: the suite's large-value checks go through a
// streamed resumable upload; the smaller values through simple uploads.
describeStateBackend("gcs (firebase storage emulator)", {
  create: () => backendOn(emulator, { prefix: "conformance", resumableThreshold: 6 * MIB }),
  largeValueBytes: 12_000_000,
  timeoutMs: 120_000,
});

describeStateBackend("gcs (firebase storage emulator, gzip, prefix with depth)", {
  create: () =>
    backendOn(emulator, { prefix: "conformance/gzip/", compression: "gzip", resumableThreshold: 6 * MIB }),
  largeValueBytes: 12_000_000,
  timeoutMs: 120_000,
});
