// GcsStateBackend's hooks against the raw @google-cloud/storage calls on the same emulator (the
// firebase Storage emulator the GCS tests use, started here from @flowstate/test-support). Every
// serialize writes a new object (one simple upload below the resumable threshold); every
// deserialize is one media download (the encoding marker comes with it). The baselines are one
// upload of a new object and one `download()`.
//
// The emulator runs in this process: its work shares the event loop with both sides, which
// raises both times alike and leaves the ratio to flowstate's own overhead plus its requests.
import { GcsStateBackend } from "@flowstate/backend-gcs";
import { startGcsEmulator } from "@flowstate/test-support";
import { Storage } from "@google-cloud/storage";
import { type Comparison, compare, printTable } from "../compare.js";
import { benchScope, KIB, MIB, objectNameOf, text } from "../context.js";

const BUCKET = "bench";

/** `BENCH_GROUPS=gcs`: starts its own emulator and stops it after. */
export async function runGcsGroup({ timeMs }: { timeMs: number }): Promise<void> {
  const emulator = await startGcsEmulator();
  const { apiEndpoint, projectId } = emulator;
  const storage = new Storage({ apiEndpoint, projectId, useAuthWithCustomEndpoint: false });
  const backend = new GcsStateBackend({ bucket: BUCKET, apiEndpoint, projectId });
  try {
    const bucket = storage.bucket(BUCKET);
    const write = (key: string, body: string) =>
      backend.serializeTaskStateToRef({ value: body, key, tiId: "bench", scope: benchScope });

    // Reads first: the emulator slows down as the objects the writes create pile up, and a read
    // measured after them would pay for that, not for flowstate.
    const reads: Comparison[] = [];
    const writes: Comparison[] = [];
    for (const [label, bytes] of [
      ["1 KiB", KIB],
      ["1 MiB", MIB],
    ] as const) {
      const value = text(bytes);
      const ref = await write(label, value);
      // Like for like: the raw side reads the object the reference names and writes new objects
      // beside the backend's versions, with the same content type.
      const name = objectNameOf(ref, BUCKET);
      const versions = name.slice(0, name.lastIndexOf("/") + 1);
      let written = 0;
      // The target, as for S3: 1 KiB within 10% of the raw client.
      const target = bytes === KIB ? { maxRatio: 1.1 } : undefined;
      reads.push({
        name: `get ${label}`,
        baseline: async () => (await bucket.file(name).download())[0].toString(),
        subject: () => backend.deserializeTaskStateFromRef(ref, { key: label, scope: benchScope }),
        target,
      });
      writes.push({
        name: `set ${label}`,
        baseline: () =>
          bucket.file(`${versions}raw-${++written}`).save(value, {
            resumable: false,
            metadata: { contentType: "text/plain; charset=utf-8" },
          }),
        subject: () => write(label, value),
        target,
      });
    }
    const cases = [...reads, ...writes];
    printTable(
      "GcsStateBackend vs raw @google-cloud/storage (firebase Storage emulator)",
      "raw SDK",
      await compare(cases, timeMs),
    );
  } finally {
    await backend.close();
    await emulator.stop();
  }
}
