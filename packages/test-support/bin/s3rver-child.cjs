#!/usr/bin/env node
// Runs s3rver in its own process for @flowstate/test-support. The parent starts it with
// `--openssl-legacy-provider` (s3rver's listing continuation tokens use DES, which Node 20 only
// has through the legacy provider), reads the bound port from the first stdout line, and stops
// it with SIGTERM. When the parent dies without stopping it, stdin reaches EOF and this process
// exits too, so no orphan server outlives a crashed test run.
"use strict";

const S3rver = require("s3rver");
require("./s3rver-patches.cjs"); // whole PUTs, and deletes that leave a key's folder in place

const [directory, address = "127.0.0.1"] = process.argv.slice(2);
if (!directory) {
  process.stderr.write("usage: s3rver-child.cjs <data directory> [address]\n");
  process.exit(2);
}

const server = new S3rver({ port: 0, address, directory, silent: true });

function shutDown() {
  server.close().finally(() => process.exit(0));
}

server.run().then(
  ({ port }) => {
    process.stdout.write(`${JSON.stringify({ port })}\n`);
    process.stdin.on("end", shutDown).resume();
    process.on("SIGTERM", shutDown);
  },
  (error) => {
    process.stderr.write(`s3rver failed to start: ${error?.stack ?? error}\n`);
    process.exit(1);
  },
);
