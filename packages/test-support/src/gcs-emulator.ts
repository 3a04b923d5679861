import { mkdtemp, rm } from "node:fs/promises";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { freePort } from "./free-port.js";
import { type GcsBatchFront, startGcsBatchFront } from "./gcs-batch-front.js";

/** How {@link startGcsEmulator} starts the emulator. */
export interface StartGcsEmulatorOptions {
  /**
   * Put a batch front ({@link startGcsBatchFront}) before the emulator, which has no batch
   * endpoint of its own: `apiEndpoint` is then the front's, and batch requests work.
   * @default false
   */
  batch?: boolean;
}

/** A running GCS-API server for tests. */
export interface GcsEmulator {
  /** `http://127.0.0.1:<port>`: pass it as the backend's `apiEndpoint` (the batch front, with `batch`). */
  apiEndpoint: string;
  /** The emulator itself, without a batch front: its batch endpoint answers 501. */
  emulatorEndpoint: string;
  projectId: string;
  /** The batch front, with `batch: true`: what it counted. */
  batchFront: GcsBatchFront | undefined;
  /** Stops the server (and the front), closes its connections and removes its data directory. */
  stop(): Promise<void>;
}

// firebase-tools 15.34.2's internal classes (not a public API, hence the pinned version): the
// Storage emulator speaks the GCS JSON API and runs in-process without its Java rules runtime.
interface StorageEmulatorArgs {
  projectId: string;
  host: string;
  port: number;
  rules: undefined;
  auto_download: boolean;
}
interface StorageEmulatorInstance {
  _rulesRuntime: { start(): Promise<void>; stop(): Promise<void> };
  _rulesManager: { start(): Promise<void>; stop(): Promise<void> };
  getName(): string;
}
type StorageEmulatorClass = new (args: StorageEmulatorArgs) => StorageEmulatorInstance;
interface Registry {
  start(emulator: StorageEmulatorInstance): Promise<void>;
  stop(name: string): Promise<void>;
}

const require = createRequire(import.meta.url);
const PROJECT_ID = "flowstate-test";

/**
 * Starts firebase-tools' Storage emulator in this process on a free port of 127.0.0.1, with its
 * uploaded bytes in a fresh temp dir. Only one can run per process (firebase's registry is a
 * singleton). Buckets need no creating: one appears with its first object.
 */
export async function startGcsEmulator(options: StartGcsEmulatorOptions = {}): Promise<GcsEmulator> {
  const { StorageEmulator } = require("firebase-tools/lib/emulator/storage/index.js") as {
    StorageEmulator: StorageEmulatorClass;
  };
  const { EmulatorRegistry } = require("firebase-tools/lib/emulator/registry.js") as {
    EmulatorRegistry: Registry;
  };
  const directory = await mkdtemp(join(tmpdir(), "flowstate-gcs-emulator-"));
  // The emulator otherwise keeps blobs in a fixed, shared `$TMPDIR/firebase/storage/blobs`.
  class IsolatedStorageEmulator extends StorageEmulator {
    getPersistenceTmpDir(): string {
      return directory;
    }
  }
  const port = await freePort();
  const emulator = new IsolatedStorageEmulator({
    projectId: PROJECT_ID,
    host: "127.0.0.1",
    port,
    rules: undefined,
    auto_download: false,
  });
  // No rules file and no Java: the rules runtime is not needed for GCS-API (admin) requests.
  emulator._rulesRuntime.start = emulator._rulesRuntime.stop = async () => {};
  emulator._rulesManager.start = emulator._rulesManager.stop = async () => {};
  try {
    await EmulatorRegistry.start(emulator);
  } catch (error) {
    await rm(directory, { recursive: true, force: true });
    throw new Error(`Could not start the GCS emulator on 127.0.0.1:${port}: ${String(error)}`, {
      cause: error,
    });
  }
  const emulatorEndpoint = `http://127.0.0.1:${port}`;
  const stopEmulator = async (): Promise<void> => {
    await EmulatorRegistry.stop(emulator.getName());
    await rm(directory, { recursive: true, force: true });
  };
  const batchFront = options.batch
    ? await startGcsBatchFront(emulatorEndpoint).catch(async (error: unknown) => {
        await stopEmulator();
        throw error;
      })
    : undefined;
  return {
    apiEndpoint: batchFront?.endpoint ?? emulatorEndpoint,
    emulatorEndpoint,
    projectId: PROJECT_ID,
    batchFront,
    stop: async () => {
      await batchFront?.close();
      await stopEmulator();
    },
  };
}
