import { type GcsEmulator, startGcsEmulator } from "@flowstate/test-support";
import type { TestProject } from "vitest/node";

/** What a test file needs to reach the emulator. */
export interface EmulatorInfo {
  /** The batch front before the emulator: batch deletes work there. */
  apiEndpoint: string;
  /** The emulator itself, which has no batch endpoint (the backend falls back to one delete per object). */
  emulatorEndpoint: string;
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
// worker processes) reach it over HTTP, so its in-process state is shared by all of them. Tests
// reach it through a batch front, so that deletes (conformance's too) take the batch path, as
// they do on GCS; `emulatorEndpoint` is there for the fallback's tests.
export async function setup(project: TestProject): Promise<void> {
  emulator = await startGcsEmulator({ batch: true });
  const { apiEndpoint, emulatorEndpoint, projectId } = emulator;
  project.provide("gcsEmulator", { apiEndpoint, emulatorEndpoint, projectId, bucket: "flowstate-test" });
}

export async function teardown(): Promise<void> {
  await emulator?.stop();
  emulator = undefined;
}
