#!/usr/bin/env node
// s3rver on a given port (0: any free one) for the integrity tests, which SIGKILL it and start it
// again on the same data directory and port. Prints `{"port": N}` once listening; exits when its
// stdin ends (so it dies with the test process). Run with --openssl-legacy-provider.
"use strict";

const { dirname, join } = require("node:path");

// s3rver and its fixes live in @flowstate/test-support, not in the tests: load both from there.
const supportEntry = require.resolve("@flowstate/test-support");
const S3rver = require(require.resolve("s3rver", { paths: [dirname(supportEntry)] }));
require(join(dirname(supportEntry), "..", "bin", "s3rver-patches.cjs"));

const [directory, port = "0"] = process.argv.slice(2);
if (!directory) {
  process.stderr.write("usage: s3rver-child.cjs <data directory> [port]\n");
  process.exit(2);
}

new S3rver({ port: Number(port), address: "127.0.0.1", directory, silent: true }).run().then(
  (address) => {
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
    process.stdin.on("end", () => process.exit(0)).resume();
  },
  (error) => {
    process.stderr.write(`s3rver failed to start: ${error?.code ?? ""} ${error?.stack ?? error}\n`);
    process.exit(error?.code === "EADDRINUSE" ? 3 : 1);
  },
);
