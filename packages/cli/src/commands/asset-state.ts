import { AssetStateAccessor } from "@flowstate/sdk";
import { AssetNotFoundError } from "@flowstate/shared-state";
import type { AssetStateRow, StateStore } from "@flowstate/store";
import type { Command } from "commander";
import { table } from "../format.js";
import { type CliIo, writeJson, writeLine } from "../io.js";
import { type Session, withSession } from "../session.js";
import {
  finishRemoval,
  printKeys,
  printValue,
  readValueArgument,
  type ScopeView,
  shellWord,
} from "../state-view.js";

interface AssetOptions {
  name?: string;
  uri?: string;
  json?: boolean;
  raw?: boolean;
}

/** Registers `flowstate asset-state get|set|delete|clear|list`: asset state through the worker backend. */
export function registerAssetStateCommand(program: Command, io: CliIo): void {
  const assetState = program
    .command("asset-state")
    .description(
      "Look at and change the state of one asset (a watermark, a cursor), through the configured worker backend.",
    );
  registerGet(assetState, io);
  registerSet(assetState, io);
  registerDelete(assetState, io);
  registerClear(assetState, io);
  registerList(assetState, io);
}

function withAssetOptions(command: Command): Command {
  return command
    .option("--name <name>", "the asset's name")
    .option("--uri <uri>", "the asset's uri (instead of --name)");
}

/** The asset the options name (it must be registered), its accessor, and how to show it. */
interface AssetView extends ScopeView {
  asset: { name: string; uri: string };
  accessor: AssetStateAccessor;
}

async function assetView(session: Session, options: AssetOptions, command: Command): Promise<AssetView> {
  const ref = assetRef(options, command);
  const asset = await session.client.getAsset(ref);
  if (!asset) throw notRegistered(ref, session.store);
  const { client, conf } = session;
  const accessor =
    ref.name !== undefined
      ? new AssetStateAccessor({ client, conf, name: ref.name })
      : new AssetStateAccessor({ client, conf, uri: ref.uri });
  return {
    asset,
    accessor,
    where: `asset '${asset.name}' (${asset.uri})`,
    listCommand: `flowstate asset-state list --name ${shellWord(asset.name)}`,
    read: (key) => accessor.get(key),
    rows: (key) => storedRows(session.store, asset, key),
    deleteObjects: (removed, what) => accessor.deleteObjectsOf(removed, what),
    subject: { asset },
  };
}

function assetRef(
  options: AssetOptions,
  command: Command,
): { name: string; uri?: undefined } | { uri: string; name?: undefined } {
  if (options.name !== undefined && options.uri === undefined) return { name: options.name };
  if (options.uri !== undefined && options.name === undefined) return { uri: options.uri };
  return command.error("error: name the asset with exactly one of --name or --uri.", {
    exitCode: 2,
    code: "flowstate.assetOption",
  });
}

function notRegistered(ref: { name?: string; uri?: string }, store: StateStore): AssetNotFoundError {
  const what = ref.name !== undefined ? `name '${ref.name}'` : `uri '${ref.uri}'`;
  return new AssetNotFoundError(
    `No asset with ${what} is registered in the metadata store (${store.location}). Assets are registered when a DAG that declares them is loaded (store.registerAsset({ name, uri }) in flowstate); list the assets that have state with: flowstate asset-state list`,
  );
}

async function storedRows(
  store: StateStore,
  asset: { name: string },
  key?: string,
): Promise<AssetStateRow[]> {
  const rows = await store.listAssetState({ name: asset.name });
  return key === undefined ? rows : rows.filter((row) => row.key === key);
}

function registerGet(assetState: Command, io: CliIo): void {
  withAssetOptions(assetState.command("get").argument("<key>", "the state key"))
    .description("Print the value of KEY exactly as a task would read it (exit 1 when it is not set).")
    .option("--raw", "show the stored row (reference, backend class path) instead of the value")
    .option("--json", "print JSON")
    .action(async (key: string, options: AssetOptions, command: Command) => {
      await withSession(command, io, async (session) =>
        printValue(io, await assetView(session, options, command), key, options),
      );
    });
}

function registerSet(assetState: Command, io: CliIo): void {
  withAssetOptions(
    assetState
      .command("set")
      .argument("<key>", "the state key")
      .argument("<value>", "the value; - reads it from standard input"),
  )
    .description("Set KEY to VALUE: the value goes to the worker backend, the store records its reference.")
    .action(async (key: string, value: string, options: AssetOptions, command: Command) => {
      const text = await readValueArgument(io, value);
      await withSession(command, io, async (session) => {
        const view = await assetView(session, options, command);
        await view.accessor.set(key, text);
        writeLine(io.stdout, `set '${key}' for ${view.where} (${Buffer.byteLength(text, "utf8")} bytes)`);
      });
    });
}

function registerDelete(assetState: Command, io: CliIo): void {
  withAssetOptions(assetState.command("delete").argument("<key>", "the state key"))
    .description(
      "Delete KEY: the row, then the object it named. Deleting a key that is not set does nothing.",
    )
    .option("--json", "print JSON")
    .action(async (key: string, options: AssetOptions, command: Command) => {
      await withSession(command, io, async (session) => {
        const view = await assetView(session, options, command);
        const removed = await session.client.deleteAssetState({ name: view.asset.name }, key);
        const rows = removed ? [{ ...removed, key }] : [];
        const what = {
          operation: `delete of '${key}'`,
          nothing: `'${key}' was not set`,
          json: options.json === true,
        };
        await finishRemoval(io, view, rows, what);
      });
    });
}

function registerClear(assetState: Command, io: CliIo): void {
  withAssetOptions(assetState.command("clear"))
    .description("Delete every key of the asset (rows, then their objects) and print what was removed.")
    .option("--json", "print JSON")
    .action(async (options: AssetOptions, command: Command) => {
      await withSession(command, io, async (session) => {
        const view = await assetView(session, options, command);
        // Rows first (the store answers with them, to print), then the objects they named: as the accessor's clear.
        const rows = await session.client.clearAssetState({ name: view.asset.name });
        await finishRemoval(io, view, rows, {
          operation: "clear",
          nothing: "nothing to clear",
          json: options.json === true,
        });
      });
    });
}

function registerList(assetState: Command, io: CliIo): void {
  withAssetOptions(assetState.command("list"))
    .description(
      "List the keys of an asset with their size; without --name or --uri, the assets that have state.",
    )
    .option("--raw", "show each row's reference and backend class path instead of resolving values")
    .option("--json", "print JSON")
    .action(async (options: AssetOptions, command: Command) => {
      await withSession(command, io, async (session) => {
        if (options.name === undefined && options.uri === undefined)
          return listAssets(io, session.store, options);
        await printKeys(io, await assetView(session, options, command), options);
      });
    });
}

/** `asset-state list` without an asset: every asset that has state, with its key count. */
async function listAssets(io: CliIo, store: StateStore, options: AssetOptions): Promise<void> {
  const counts = new Map<string, { name: string; uri: string; keys: number }>();
  for (const row of await store.listAssetState()) {
    const entry = counts.get(row.assetName) ?? { name: row.assetName, uri: row.assetUri, keys: 0 };
    entry.keys += 1;
    counts.set(row.assetName, entry);
  }
  const assets = [...counts.values()];
  if (options.json) return writeJson(io, { assets });
  if (assets.length === 0) return writeLine(io.stdout, "no asset has state");
  writeLine(
    io.stdout,
    table(
      ["NAME", "URI", "KEYS"],
      assets.map((a) => [a.name, a.uri, String(a.keys)]),
    ),
  );
}
