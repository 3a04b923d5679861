// The write batcher on its own (no database): how writes are grouped, and that each caller gets
// its own result or its own error whatever happens to the batch it was in.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WriteBatcher } from "../src/postgres/write-batcher.js";

/** A controllable batch runner: records what ran, and lets the test settle each run. */
function recordingBatcher(options: { maxInFlight: number; maxBatch: number }) {
  const runs: Array<{ kind: "one" | "batch"; writes: number[]; settle: (ok: boolean) => void }> = [];
  const batcher = new WriteBatcher<number, string>({
    ...options,
    runOne: (write) =>
      new Promise((resolve, reject) => {
        runs.push({
          kind: "one",
          writes: [write],
          settle: (ok) => (ok ? resolve(`one:${write}`) : reject(new Error(`failed ${write}`))),
        });
      }),
    runBatch: (writes) =>
      new Promise((resolve, reject) => {
        runs.push({
          kind: "batch",
          writes: [...writes],
          settle: (ok) => (ok ? resolve(writes.map((w) => `batch:${w}`)) : reject(new Error("batch failed"))),
        });
      }),
  });
  return { batcher, runs };
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("WriteBatcher", () => {
  it("a lone write runs alone, through runOne", async () => {
    const { batcher, runs } = recordingBatcher({ maxInFlight: 2, maxBatch: 10 });
    const result = batcher.submit(1);
    await tick();
    expect(runs.map((r) => [r.kind, r.writes])).toEqual([["one", [1]]]);
    runs[0]?.settle(true);
    await expect(result).resolves.toBe("one:1");
  });

  it("writes submitted together go as one batch; writes that arrive while the slots are full wait for the next", async () => {
    const { batcher, runs } = recordingBatcher({ maxInFlight: 1, maxBatch: 10 });
    const first = [1, 2, 3].map((w) => batcher.submit(w));
    await tick();
    const later = [4, 5].map((w) => batcher.submit(w));
    await tick();
    expect(runs.map((r) => r.writes)).toEqual([[1, 2, 3]]); // 4 and 5 wait: one batch at a time
    runs[0]?.settle(true);
    await expect(Promise.all(first)).resolves.toEqual(["batch:1", "batch:2", "batch:3"]);
    await tick();
    expect(runs.map((r) => r.writes)).toEqual([
      [1, 2, 3],
      [4, 5],
    ]);
    runs[1]?.settle(true);
    await expect(Promise.all(later)).resolves.toEqual(["batch:4", "batch:5"]);
  });

  it("never runs more than maxInFlight batches, nor more than maxBatch writes in one", async () => {
    const { batcher, runs } = recordingBatcher({ maxInFlight: 2, maxBatch: 3 });
    const results = Array.from({ length: 10 }, (_, w) => batcher.submit(w));
    await tick();
    expect(runs.map((r) => r.writes)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    runs[0]?.settle(true);
    await tick();
    await tick();
    expect(runs.map((r) => r.writes)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    runs[1]?.settle(true);
    runs[2]?.settle(true);
    await tick();
    await tick();
    expect(runs[3]?.kind).toBe("one"); // the last write, alone
    runs[3]?.settle(true);
    await expect(Promise.all(results)).resolves.toHaveLength(10);
  });

  it("a failed batch runs each of its writes alone: one write's failure is never another's", async () => {
    const { batcher, runs } = recordingBatcher({ maxInFlight: 1, maxBatch: 10 });
    const results = [1, 2, 3].map((w) => batcher.submit(w));
    await tick();
    runs[0]?.settle(false);
    await tick();
    expect(runs.slice(1).map((r) => [r.kind, r.writes])).toEqual([
      ["one", [1]],
      ["one", [2]],
      ["one", [3]],
    ]);
    runs[1]?.settle(true);
    runs[2]?.settle(false);
    runs[3]?.settle(true);
    const settled = await Promise.allSettled(results);
    expect(settled.map((s) => (s.status === "fulfilled" ? s.value : (s.reason as Error).message))).toEqual([
      "one:1",
      "failed 2",
      "one:3",
    ]);
  });

  it("a write the batch leaves unanswered runs alone; the others keep the batch's answer", async () => {
    const batcher = new WriteBatcher<number, string>({
      maxInFlight: 1,
      maxBatch: 10,
      runOne: async (write) => `one:${write}`,
      runBatch: async (writes) => writes.map((w) => (w % 2 === 0 ? undefined : `batch:${w}`)),
    });
    await expect(Promise.all([1, 2, 3, 4].map((w) => batcher.submit(w)))).resolves.toEqual([
      "batch:1",
      "one:2",
      "batch:3",
      "one:4",
    ]);
  });

  it("whatever the timing and failures, every write settles exactly once with its own outcome", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ delay: fc.nat(3), fails: fc.boolean(), batchFails: fc.boolean() }), {
          minLength: 1,
          maxLength: 40,
        }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 8 }),
        async (writes, maxInFlight, maxBatch) => {
          let inFlight = 0;
          let maxSeen = 0;
          const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
          const batcher = new WriteBatcher<number, string>({
            maxInFlight,
            maxBatch,
            runOne: async (i) => {
              await sleep(writes[i]?.delay ?? 0);
              if (writes[i]?.fails) throw new Error(`failed ${i}`);
              return `ok ${i}`;
            },
            runBatch: async (batch) => {
              inFlight++;
              maxSeen = Math.max(maxSeen, inFlight);
              expect(batch.length).toBeLessThanOrEqual(maxBatch);
              await sleep(1);
              inFlight--;
              if (batch.some((i) => writes[i]?.batchFails)) throw new Error("batch failed");
              return batch.map((i) => (writes[i]?.fails ? undefined : `ok ${i}`));
            },
          });
          const settled = await Promise.allSettled(
            writes.map(async (_, i) => {
              await sleep(writes[i]?.delay ?? 0);
              return batcher.submit(i);
            }),
          );
          settled.forEach((outcome, i) => {
            if (writes[i]?.fails)
              expect(outcome).toEqual({ status: "rejected", reason: new Error(`failed ${i}`) });
            else expect(outcome).toEqual({ status: "fulfilled", value: `ok ${i}` });
          });
          expect(maxSeen).toBeLessThanOrEqual(maxInFlight);
        },
      ),
      { numRuns: 60 },
    );
  });
});
