import { type GcsEmulator, startGcsEmulator } from "@flowstate/test-support";
import type { TestProject } from "vitest/node";

/** What a test file needs to reach the emulator. */
export interface EmulatorInfo {
  apiEndpoint: string;
  projectId: string;
  /** The bucket tests write to (the emulator creates it with the first object). */
  bucket: string;
}

declare module "vitest" {
  export interface ProvidedContext {
    gcsEmulator: EmulatorInfo;
  }
}

let emulator: GcsEmulator | undefined;

// One emulator for the whole run: it lives in vitest's main process and the test files (in
// worker processes) reach it over HTTP, so its in-process state is shared by all of them.
export async function setup(project: TestProject): Promise<void> {
  emulator = await startGcsEmulator();
  const { apiEndpoint, projectId } = emulator;
  project.provide("gcsEmulator", { apiEndpoint, projectId, bucket: "flowstate-test" });
}

export async function teardown(): Promise<void> {
  await emulator?.stop();
  emulator = undefined;
}
