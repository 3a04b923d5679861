// Invariants 2 and 3 under races between real processes: worker processes, each with its own
// SQLite connection to one store file and its own S3 backend, run seeded random set / get /
// delete / clear / clear(allMapIndices) on overlapping scopes (three map indices of one task, one
// asset reached by name in some workers and by uri in others). Each value names the scope, key,
// writer and sequence number it was written as, so a get that returns another scope's value, a
// value nobody wrote, or a value cut short is caught. On s3rver, and on moto_server when present.
import { findMotoServer, startMotoServer } from "@flowstate/test-support";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ASSET,
  BUCKET,
  checkAndSweep,
  type Fixture,
  type S3Server,
  useCredentials,
  useFixtures,
  useTally,
} from "./harness.js";
import { type ChildEvent, type LineProcess, S3rverProcess, startWorker } from "./processes.js";
import { raceProblems, runSetDeleteRounds } from "./race-checks.js";

// Fixed, so a run can be repeated; set FLOWSTATE_INTEGRITY_SEED / _OPS / _ROUNDS to search further.
const WORKERS = 8;
const OPS_PER_WORKER = Number(process.env.FLOWSTATE_INTEGRITY_OPS ?? 60);
const ROUNDS = Number(process.env.FLOWSTATE_INTEGRITY_ROUNDS ?? 100);
/** Operations per worker when all of them hammer one task key and one asset key. */
const HOT_OPS = Number(process.env.FLOWSTATE_INTEGRITY_HOT_OPS ?? 120);
/** Worker i runs the operations of seed SEED + i: the same seeds give the same operations. */
const SEED = Number(process.env.FLOWSTATE_INTEGRITY_SEED ?? 20_240_101);
const ROUND_KEY = "watermark";

interface ServerUnderTest {
  name: string;
  /** Why the server cannot be started here, or `undefined` when it can. */
  missing: string | undefined;
  start(): Promise<{ server: S3Server; stop(): Promise<void> }>;
}

const SERVERS: ServerUnderTest[] = [
  {
    name: "s3rver",
    missing: undefined,
    start: async () => {
      const server = new S3rverProcess();
      await server.start(BUCKET);
      return { server, stop: () => server.stop() };
    },
  },
  {
    name: "moto_server",
    missing: findMotoServer()
      ? undefined
      : "moto_server was not found (FLOWSTATE_MOTO_SERVER, pyenv versions, PATH): install Python moto[server] to run these",
    start: async () => {
      const server = await startMotoServer();
      await server.createBucket(BUCKET);
      return { server, stop: () => server.stop() };
    },
  },
];

const openFixture = useFixtures();

describe.each(SERVERS)("races between worker processes on $name", ({ name, missing, start }) => {
  if (missing) {
    it.skip(`skipped: ${missing}`, () => {});
    return;
  }
  const tally = useTally(`B races on ${name}`);
  let server: S3Server;
  let stop: (() => Promise<void>) | undefined;

  beforeAll(async () => {
    ({ server, stop } = await start());
    useCredentials(server);
  });
  afterAll(async () => {
    await stop?.();
  });

  const worker = (fx: Fixture, config: Record<string, unknown>) =>
    startWorker({ db: fx.db, backend: fx.backendOptions(), busyTimeoutMs: 10_000, ...config }, fx.workerEnv);

  /**
   * Runs {@link WORKERS} race workers (seeds `seed`, `seed + 1`, …) on `tis` and the asset, checks
   * what their gets saw and the invariants, and sweeps with no grace: without faults a race leaves
   * no orphan (every replaced or removed version is deleted).
   */
  async function race(
    label: string,
    options: { mapIndices: number[]; keys: string[]; ops: number; seed: number },
  ) {
    tally.cases += 1;
    const fx = await openFixture(server, label.replace(/\W+/g, "-"));
    const { mapIndices, keys, ops: count, seed } = options;
    const workers = await Promise.all(
      Array.from({ length: WORKERS }, (_, index) =>
        worker(fx, {
          mode: "race",
          writer: `w${index}`,
          seed: seed + index,
          ops: count,
          tis: fx.tis.filter((ti) => mapIndices.includes(ti.mapIndex)),
          asset: { ...ASSET, by: index % 2 === 0 ? "name" : "uri" },
          keys,
        }),
      ),
    );
    for (const child of workers) child.send("go");
    await Promise.all(workers.map((child) => child.nextEvent("done")));
    expectServerAlive(server);
    const ops = workers.flatMap((child, index) =>
      child.events
        .filter((event) => event.event === "op")
        .map((event): ChildEvent => ({ ...event, writer: `w${index}` })),
    );
    expect(ops).toHaveLength(WORKERS * count);
    const gets = ops.filter((op) => op.op === "get");
    const found = gets.filter((op) => op.ok && op.got !== null).length;
    tally.notes.push(
      `${label}: ${ops.length} ops by ${WORKERS} processes (${gets.length} gets, ${found} found a value)`,
    );
    expect(raceProblems(ops), `seeds ${seed}..${seed + WORKERS - 1}`).toEqual([]);
    await checkAndSweep(fx, tally, 0);
  }

  it(
    `${WORKERS} processes × ${OPS_PER_WORKER} seeded random operations on 3 map indices and one asset (by name and by uri)`,
    {
      timeout: 120_000,
    },
    () => race("race", { mapIndices: [0, 1, 2], keys: ["a", "b"], ops: OPS_PER_WORKER, seed: SEED }),
  );

  it(
    `${WORKERS} processes × ${HOT_OPS} operations on one task key and one asset key: a get never fails while others rewrite the key`,
    {
      timeout: 120_000,
    },
    () => race("hot keys", { mapIndices: [0], keys: ["a"], ops: HOT_OPS, seed: SEED + 100 }),
  );

  it(`one asset key set (by name) and deleted (by uri) at the same moment from two processes, ${ROUNDS} rounds`, {
    timeout: 120_000,
  }, async () => {
    tally.cases += 1;
    const fx = await openFixture(server, "rounds");
    const roles = [
      { role: "set", by: "name" },
      { role: "delete", by: "uri" },
    ];
    const [setter, deleter] = (await Promise.all(
      roles.map(({ role, by }) =>
        worker(fx, { mode: "rounds", role, asset: { ...ASSET, by }, key: ROUND_KEY, writer: role }),
      ),
    )) as [LineProcess, LineProcess];
    const { broken, overlapped, rowsLeft } = await runSetDeleteRounds(fx, setter, deleter, ROUNDS);
    expectServerAlive(server);
    tally.notes.push(
      `${ROUNDS} set/delete rounds, operations overlapped in ${overlapped}, a row was left in ${rowsLeft}`,
    );
    expect(broken, "rounds that left a row naming nothing, or an orphan").toEqual([]);
    const [row] = await fx.store.listAssetState();
    if (row) expect(row.assetName).toBe(ASSET.name);
    await checkAndSweep(fx, tally, 0);
  });
});

/** A server that died on its own would fail every operation after it: say so, with its last words. */
function expectServerAlive(server: S3Server): void {
  if (server instanceof S3rverProcess) expect(server.running, `s3rver died: ${server.stderr()}`).toBe(true);
}
