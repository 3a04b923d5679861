// A worker process for the integrity tests: its own SQLite connection to the shared store file and
// its own S3 backend, as a real worker has. Run on the built packages:
//
//   node worker.mjs '<json config>'
//
// It talks in JSON lines on stdout (`{"event": …}`) and takes commands as lines on stdin; it
// exits when stdin ends, so it never outlives the test process. Modes (config.mode):
// - "step": one operation (set, delete, clear, clearAll, succeed) that stops at `config.pause`
//   (`client.<method>:before|after` or `backend.<method>:before|after`), prints
//   {"event":"paused"} and waits for a "continue" line (the test may SIGKILL it there instead).
// - "race": after a "go" line, `config.ops` seeded random operations on a few task scopes and one
//   asset; one {"event":"op"} line per operation with what a get returned.
// - "rounds": on each "go <n> [<delay ms>]" line, one set, delete or clear of one asset key;
//   {"event":"round"} with when it started and ended.
// - "serve": a state API server (startApiServer) on `config.database` (PostgreSQL) with
//   `config.jwtSecret`; {"event":"ready","url":<its /execution URL>}, then serves until stdin ends.
// With `config.api` ({ url, tokens: { <ti id>: token }, assetToken }), "race" and "rounds" open
// no store: they reach it only through that API server with an HttpStateClient per token.
import { createInterface } from "node:readline";
import { S3StateBackend } from "@flowstate/backend-s3";
import { AssetStateAccessor, Config, HttpStateClient, runTask, TaskStateAccessor } from "@flowstate/sdk";
import { TaskScope } from "@flowstate/shared-state";
import { openSqliteStateStore } from "@flowstate/store";
import { intercept, makeValue, parseValue, scopeLabel, seededRandom } from "./shared.mjs";

const config = JSON.parse(process.argv[2] ?? "{}");
const conf = Config.fromString("", { env: {} });

function emit(event) {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

function describeError(error) {
  return { code: error?.code ?? null, name: error?.name ?? null, message: String(error?.message ?? error) };
}

// stdin as a queue of lines; its end means the test process is gone.
const queued = [];
const waiting = [];
const input = createInterface({ input: process.stdin });
input.on("line", (line) => {
  const waiter = waiting.shift();
  if (waiter) waiter(line);
  else queued.push(line);
});
input.on("close", () => process.exit(0));

function nextLine() {
  return queued.length > 0
    ? Promise.resolve(queued.shift())
    : new Promise((resolve) => waiting.push(resolve));
}

async function openWorker({ clearOnSuccess = false } = {}) {
  const backend = new S3StateBackend(config.backend);
  if (config.api) {
    // Over HTTP: one client per token, and no store at all.
    const clients = new Map();
    const clientOf = (token) => {
      if (!clients.has(token)) clients.set(token, new HttpStateClient({ url: config.api.url, token }));
      return clients.get(token);
    };
    return {
      backend,
      taskClient: (ti) => clientOf(config.api.tokens[ti.id]),
      assetClient: () => clientOf(config.api.assetToken),
      close: async () => {
        await Promise.all([...clients.values()].map((client) => client.close()));
        await backend.close();
      },
    };
  }
  const store = await openSqliteStateStore({
    path: config.db,
    clearOnSuccess,
    busyTimeoutMs: config.busyTimeoutMs ?? 5000,
  });
  return {
    store,
    backend,
    taskClient: () => store.client(),
    assetClient: () => store.client(),
    close: async () => {
      await backend.close();
      await store.close();
    },
  };
}

function taskAccessor(ti, deps) {
  const scope = new TaskScope({ dagId: ti.dagId, runId: ti.runId, taskId: ti.taskId, mapIndex: ti.mapIndex });
  return new TaskStateAccessor({ ...deps, tiId: ti.id, scope });
}

/** Hooks that stop at `config.pause` until the test says "continue". */
function pauseHooks(target) {
  const [object, method, phase] = String(config.pause ?? "").split(/[.:]/);
  if (object !== target || !method) return {};
  const pause = async () => {
    emit({ event: "paused", at: config.pause });
    const line = await nextLine();
    if (line !== "continue") throw new Error(`unexpected command '${line}' while paused`);
  };
  return { [method]: phase === "before" ? { before: pause } : { after: pause } };
}

async function step() {
  const { store, backend } = await openWorker({ clearOnSuccess: config.op === "succeed" });
  const deps = {
    client: intercept(store.client(), pauseHooks("client")),
    backend: intercept(backend, pauseHooks("backend")),
    conf,
  };
  const state = taskAccessor(config.ti, deps);
  emit({ event: "ready" });
  try {
    if (config.op === "set") await state.set(config.key, makeValue(config.value));
    else if (config.op === "delete") await state.delete(config.key);
    else if (config.op === "clear") await state.clear();
    else if (config.op === "clearAll") await state.clear({ allMapIndices: true });
    else if (config.op === "succeed") {
      const result = await runTask({ task: { execute() {} }, ti: config.ti, ...deps });
      if (result.state !== "success") throw result.error;
    } else throw new Error(`unknown op '${config.op}'`);
    emit({ event: "done" });
  } catch (error) {
    emit({ event: "failed", error: describeError(error) });
  }
  await backend.close();
  await store.close();
}

/** What a get returned, as the test checks it: null, or who wrote it for which scope and key. */
function observed(value) {
  if (value === undefined) return null;
  return parseValue(value) ?? { notWhole: value.slice(0, 120), length: value.length };
}

/**
 * After a get failed because the object was missing: does the row still name that very version
 * (a row naming nothing), or has it moved on (the read gave up while writers kept replacing it)?
 */
async function rowAfter(target, key, error) {
  if (error?.code !== "FLOWSTATE_OBJECT_MISSING") return undefined;
  const row = await target.readRow(key).catch((failure) => ({ readFailed: String(failure?.message) }));
  if (row === undefined) return "gone";
  return row.value === error.location ? "still names the missing version" : "names another version";
}

async function race() {
  const worker = await openWorker();
  const { backend } = worker;
  const random = seededRandom(config.seed);
  const pick = (items) => items[Math.floor(random() * items.length)];
  const asset = config.asset;
  const assetDeps = { client: worker.assetClient(), backend, conf };
  const targets = [
    ...config.tis.map((ti) => ({
      kind: "task",
      label: scopeLabel(ti),
      state: taskAccessor(ti, { client: worker.taskClient(ti), backend, conf }),
      readRow: (key) => worker.taskClient(ti).getTaskState(ti.id, key),
    })),
    {
      kind: "asset",
      label: scopeLabel({ name: asset.name }),
      readRow: (key) => assetDeps.client.getAssetState({ name: asset.name }, key),
      state: new AssetStateAccessor(
        asset.by === "uri" ? { ...assetDeps, uri: asset.uri } : { ...assetDeps, name: asset.name },
      ),
    },
  ];
  emit({ event: "ready" });
  if ((await nextLine()) !== "go") return;
  for (let seq = 0; seq < config.ops; seq += 1) {
    const target = pick(targets);
    const key = pick(config.keys);
    const roll = random();
    const op =
      roll < 0.4 ? "set" : roll < 0.7 ? "get" : roll < 0.82 ? "delete" : roll < 0.92 ? "clear" : "clearAll";
    const size = random() < 0.1 ? 200_000 : 64 + Math.floor(random() * 512);
    const line = { event: "op", seq, op, scope: target.label, key };
    try {
      if (op === "set") {
        await target.state.set(
          key,
          makeValue({ scope: target.label, key, writer: config.writer, seq, size }),
        );
        emit({ ...line, ok: true });
      } else if (op === "get") {
        emit({ ...line, ok: true, got: observed(await target.state.get(key)) });
      } else if (op === "delete") {
        await target.state.delete(key);
        emit({ ...line, ok: true });
      } else {
        await (target.kind === "task" && op === "clearAll"
          ? target.state.clear({ allMapIndices: true })
          : target.state.clear());
        emit({ ...line, ok: true });
      }
    } catch (error) {
      emit({ ...line, ok: false, error: describeError(error), row: await rowAfter(target, key, error) });
    }
  }
  emit({ event: "done" });
  await worker.close();
}

async function rounds() {
  const worker = await openWorker();
  const asset = config.asset;
  const deps = { client: worker.assetClient(), backend: worker.backend, conf };
  const state = new AssetStateAccessor(
    asset.by === "uri" ? { ...deps, uri: asset.uri } : { ...deps, name: asset.name },
  );
  const label = scopeLabel({ name: asset.name });
  emit({ event: "ready" });
  for (;;) {
    const line = await nextLine();
    if (!line.startsWith("go ")) break;
    const [round, delayMs] = line.slice(3).split(" ").map(Number);
    if (delayMs) await new Promise((resolve) => setTimeout(resolve, delayMs));
    // Wall-clock times comparable across processes: did the two workers' operations overlap?
    const started = performance.timeOrigin + performance.now();
    const times = () => ({ started, ended: performance.timeOrigin + performance.now() });
    try {
      if (config.role === "set") {
        const value = makeValue({
          scope: label,
          key: config.key,
          writer: config.writer,
          seq: round,
          size: 256,
        });
        await state.set(config.key, value);
      } else if (config.role === "delete") await state.delete(config.key);
      else await state.clear();
      emit({ event: "round", round, ok: true, ...times() });
    } catch (error) {
      emit({ event: "round", round, ok: false, error: describeError(error), ...times() });
    }
  }
  await worker.close();
}

async function serve() {
  const { startApiServer } = await import("@flowstate/api-server");
  const serverConf = Config.fromString(
    `[database]\nsql_alchemy_conn = ${config.database}\n[api_auth]\njwt_secret = ${config.jwtSecret}\n`,
    { env: {} },
  );
  const server = await startApiServer({ conf: serverConf, port: 0, logger: false });
  emit({ event: "ready", url: server.apiUrl });
  await nextLine(); // any line stops it; so does the end of stdin (the process exits)
  await server.close();
}

const modes = { step, race, rounds, serve };
try {
  await modes[config.mode]();
  process.exit(0);
} catch (error) {
  emit({ event: "crashed", error: describeError(error) });
  process.exit(1);
}
