// How a plugin author checks a backend: hand the conformance suite a factory. Every backend it
// makes must share one storage, like two workers pointed at the same place.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describeStateBackend } from "@flowstate/backend-test-suite";
import { afterAll } from "vitest";
import { FileSystemStateBackend } from "../src/index.js";

const root = mkdtempSync(join(tmpdir(), "flowstate-fs-backend-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describeStateBackend("file system", { create: () => new FileSystemStateBackend({ root }) });
