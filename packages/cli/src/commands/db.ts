import {
  DEFAULT_SWEEP_GRACE_MS,
  purgeExpiredState,
  type SweepOrphanedStateResult,
  sweepOrphanedState,
} from "@flowstate/sdk";
import { AssetNotFoundError, AssetScope, type StateScope, TaskScope } from "@flowstate/shared-state";
import type { StateStore } from "@flowstate/store";
import { type Command, Option } from "commander";
import { formatDuration, parseDuration, parseInteger } from "../duration.js";
import { CliExit, EXIT_FAILURE } from "../exit.js";
import { elapsed, plural } from "../format.js";
import { type CliIo, writeJson, writeLine } from "../io.js";
import { progressBar } from "../progress.js";
import { type Session, withSession } from "../session.js";

/** Registers `flowstate db migrate|purge-expired|sweep-orphans`. */
export function registerDbCommand(program: Command, io: CliIo): void {
  const db = program
    .command("db")
    .description(
      "Maintain the metadata store: migrate its schema, purge expired state, sweep orphaned objects.",
    );
  registerMigrate(db, io);
  registerPurge(db, io);
  registerSweep(db, io);
}

/** `sqlite` or `postgresql`, from the store's location (a file path, or a URL without credentials). */
function dialectOf(store: StateStore): string {
  return store.location.startsWith("postgresql://") ? "postgresql" : "sqlite";
}

function registerMigrate(db: Command, io: CliIo): void {
  db.command("migrate")
    .description("Create or upgrade the metadata store's schema (opening the store migrates it).")
    .option("--json", "print JSON")
    .action(async (options: { json?: boolean }, command: Command) => {
      await withSession(command, io, async ({ store }) => {
        const { atOpen, current } = store.schemaVersion;
        const dialect = dialectOf(store);
        if (options.json) {
          writeJson(io, {
            dialect,
            location: store.location,
            schemaVersion: { before: atOpen, after: current },
          });
          return;
        }
        const schema = atOpen === current ? `${current} (up to date)` : `${atOpen} → ${current} (migrated)`;
        writeLine(io.stdout, `dialect   ${dialect}\nlocation  ${store.location}\nschema    ${schema}`);
      });
    });
}

function registerPurge(db: Command, io: CliIo): void {
  db.command("purge-expired")
    .description(
      "Remove expired task state: the rows, then the objects they named in the worker backend (run it where backend credentials are).",
    )
    .option("--dry-run", "count what would be removed, remove nothing")
    .option("--json", "print JSON")
    .action(async (options: { dryRun?: boolean; json?: boolean }, command: Command) => {
      await withSession(command, io, async (session) => {
        const started = Date.now();
        const result = options.dryRun ? await expiredCounts(session.store) : await purge(session, io);
        const summary = {
          ...result,
          dryRun: options.dryRun === true,
          seconds: (Date.now() - started) / 1000,
        };
        if (options.json) writeJson(io, summary);
        else writeLine(io.stdout, purgeSummary(summary, started));
        if (result.left > 0) {
          writeLine(
            io.stderr,
            `warning: ${plural(result.left, "object")} could not be deleted; flowstate db sweep-orphans removes them later.`,
          );
          throw new CliExit(EXIT_FAILURE);
        }
      });
    });
}

async function purge(session: Session, io: CliIo): Promise<{ rows: number; objects: number; left: number }> {
  const bar = progressBar(io, "deleting objects");
  try {
    return await purgeExpiredState({ store: session.store, conf: session.conf, onProgress: bar.onProgress });
  } finally {
    bar.stop();
  }
}

/** What a purge would remove now: expired rows, and the objects those name. */
async function expiredCounts(store: StateStore): Promise<{ rows: number; objects: number; left: number }> {
  const now = Date.now();
  const expired = (await store.listTaskState()).filter(
    (row) => row.expiresAt && row.expiresAt.getTime() <= now,
  );
  return { rows: expired.length, objects: expired.filter((row) => row.backend !== null).length, left: 0 };
}

function purgeSummary(result: { rows: number; objects: number; dryRun: boolean }, started: number): string {
  const what = `${plural(result.rows, "expired row")} and ${plural(result.objects, "object")}`;
  return result.dryRun
    ? `would remove ${what} (dry run: nothing removed)`
    : `removed ${what} in ${elapsed(started)}`;
}

interface SweepOptions {
  olderThan: number;
  dryRun?: boolean;
  json?: boolean;
  dag?: string;
  run?: string;
  task?: string;
  mapIndex?: number;
  allMapIndices?: boolean;
  asset?: string;
}

function registerSweep(db: Command, io: CliIo): void {
  db.command("sweep-orphans")
    .description(
      "Delete backend objects no state row names (left by a crash between writing an object and recording it) that are older than --older-than.",
    )
    .addOption(
      new Option(
        "--older-than <duration>",
        "only objects written at least this long ago, e.g. 1d, 6h, 30m, 3600s",
      )
        .argParser(parseDuration)
        .default(DEFAULT_SWEEP_GRACE_MS, formatDuration(DEFAULT_SWEEP_GRACE_MS)),
    )
    .option("--dry-run", "list the orphans, delete nothing")
    .option("--dag <dag_id>", "only this task's objects (with --run and --task)")
    .option("--run <run_id>", "the DAG run id of --dag")
    .option("--task <task_id>", "the task id of --dag")
    .addOption(
      new Option("--map-index <n>", "the map index of --task").argParser(parseInteger("--map-index", -1)),
    )
    .option("--all-map-indices", "every map index of --task")
    .addOption(new Option("--asset <name>", "only this asset's objects").conflicts("dag"))
    .option("--json", "print JSON")
    .action(async (options: SweepOptions, command: Command) => {
      await withSession(command, io, async (session) => {
        const scope = await sweepScope(session, options, command);
        if (session.conf.get("workers", "state_backend", { fallback: "" }).trim() === "") {
          if (options.json)
            writeJson(io, {
              scanned: 0,
              referenced: 0,
              young: 0,
              orphans: [],
              dryRun: options.dryRun === true,
            });
          else
            writeLine(
              io.stdout,
              "no worker backend is configured ([workers] state_backend is empty): values live in the store, nothing to sweep",
            );
          return;
        }
        const started = Date.now();
        const bar = progressBar(io, options.dryRun ? "listing objects" : "sweeping objects");
        let result: SweepOrphanedStateResult;
        try {
          result = await sweepOrphanedState({
            store: session.store,
            conf: session.conf,
            olderThanMs: options.olderThan,
            scope,
            allMapIndices: options.allMapIndices === true,
            dryRun: options.dryRun === true,
            onProgress: bar.onProgress,
          });
        } finally {
          bar.stop();
        }
        printSweep(io, result, options, started);
      });
    });
}

async function sweepScope(
  session: Session,
  options: SweepOptions,
  command: Command,
): Promise<StateScope | undefined> {
  if (options.asset !== undefined) {
    const found = await session.client.getAsset({ name: options.asset });
    if (!found) {
      throw new AssetNotFoundError(
        `No asset named '${options.asset}' is registered in the metadata store (${session.store.location}); list the assets that have state with: flowstate asset-state list`,
      );
    }
    return new AssetScope({ name: found.name, uri: found.uri });
  }
  const { dag, run, task } = options;
  if (dag === undefined && run === undefined && task === undefined) return undefined;
  if (dag === undefined || run === undefined || task === undefined) {
    return command.error("error: to sweep one task, give all of --dag, --run and --task.", {
      exitCode: 2,
      code: "flowstate.sweepScope",
    });
  }
  return new TaskScope({ dagId: dag, runId: run, taskId: task, mapIndex: options.mapIndex ?? -1 });
}

function printSweep(
  io: CliIo,
  result: SweepOrphanedStateResult,
  options: SweepOptions,
  started: number,
): void {
  const seconds = (Date.now() - started) / 1000;
  if (options.json) {
    writeJson(io, { ...result, olderThanMs: options.olderThan, seconds });
    return;
  }
  const counts = `scanned ${plural(result.scanned, "object")}: ${result.referenced} referenced, ${result.young} unreferenced but younger than ${formatDuration(options.olderThan)} (kept)`;
  writeLine(io.stdout, counts);
  if (result.dryRun) {
    for (const ref of result.orphans) writeLine(io.stdout, `  ${ref}`);
    writeLine(
      io.stdout,
      `would remove ${plural(result.orphans.length, "orphaned object")} (dry run: nothing removed)`,
    );
  } else {
    writeLine(
      io.stdout,
      `removed ${plural(result.orphans.length, "orphaned object")} in ${elapsed(started)}`,
    );
  }
}
