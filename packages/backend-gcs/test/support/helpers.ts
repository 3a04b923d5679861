import { TaskScope } from "@flowstate/shared-state";
import { Storage } from "@google-cloud/storage";
import { GcsStateBackend, type GcsStateBackendOptions } from "../../src/index.js";
import type { EmulatorInfo } from "../global-setup.js";

export const MIB = 1024 * 1024;

/** Options that point a backend at the emulator; `extra` overrides any of them. */
export function emulatorOptions(
  emulator: EmulatorInfo,
  extra: Partial<GcsStateBackendOptions> = {},
): Partial<GcsStateBackendOptions> {
  return {
    bucket: emulator.bucket,
    apiEndpoint: emulator.apiEndpoint,
    projectId: emulator.projectId,
    ...extra,
  };
}

/** A backend on the emulator, closed by the caller. */
export function backendOn(
  emulator: EmulatorInfo,
  extra: Partial<GcsStateBackendOptions> = {},
): GcsStateBackend {
  return new GcsStateBackend(emulatorOptions(emulator, extra));
}

/** A raw client for checking what the backend stored. */
export function rawStorage(emulator: EmulatorInfo): Storage {
  return new Storage({
    apiEndpoint: emulator.apiEndpoint,
    projectId: emulator.projectId,
    useAuthWithCustomEndpoint: false,
  });
}

let counter = 0;
/** A task scope no other test uses. */
export function uniqueTaskScope(label: string, mapIndex = -1): TaskScope {
  counter += 1;
  return new TaskScope({
    dagId: `gcs-${label}-${process.pid}-${Date.now().toString(36)}-${counter}`,
    runId: "manual__2024-01-01T00:00:00+00:00",
    taskId: "task",
    mapIndex,
  });
}

/** A prefix no other test uses, so tests on one bucket cannot see each other's objects. */
export function uniquePrefix(label: string): string {
  counter += 1;
  return `tests/${label}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

/** Compressible text with multi-byte characters, so compression and UTF-8 both matter. */
export function sampleText(approxBytes: number): string {
  const line = "checkpoint offset=1024 état=prêt 漢字 😀 — ";
  return line.repeat(Math.ceil(approxBytes / Buffer.byteLength(line)));
}
