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

export { uniquePrefix, uniqueTaskScope } from "@flowstate/test-support";

/** Compressible text with multi-byte characters, so compression and UTF-8 both matter. */
export function sampleText(approxBytes: number): string {
  const line = "checkpoint offset=1024 état=prêt 漢字 😀 — ";
  return line.repeat(Math.ceil(approxBytes / Buffer.byteLength(line)));
}
