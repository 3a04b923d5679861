import { describeStateBackend } from "@flowstate/backend-test-suite";
import { inject } from "vitest";
import { backendOn, MIB } from "./helpers.js";

const server = inject("s3rver");

// A 20 MB large value is above the 6 MiB threshold: the suite's large-value checks go through a
// streamed multipart upload (5 MiB parts), which s3rver only stores correctly with
// checksums "when_required".
describeStateBackend("s3 (s3rver)", {
  create: () =>
    backendOn(server, {
      prefix: "conformance",
      multipartThreshold: 6 * MIB,
      partSize: 5 * MIB,
      queueSize: 2,
    }),
  largeValueBytes: 20_000_000,
  timeoutMs: 120_000,
  // The concurrency checks run here too: every write is a new object version, so parallel writers
  // never share an object (s3rver writes objects in place; test-support's launcher patches it to
  // answer a PUT only once its file is whole). They also run against moto (conformance-moto.test.ts).
});

describeStateBackend("s3 (s3rver, brotli, prefix with depth)", {
  create: () => backendOn(server, { prefix: "conformance/brotli/", compression: "brotli" }),
  timeoutMs: 120_000,
});
