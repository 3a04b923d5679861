/**
 * What `state` and `asset-state` print alike: a value or its stored row, the keys of a scope,
 * and what a delete or clear removed.
 */
import { CliExit, EXIT_FAILURE } from "./exit.js";
import { byteLength, formatBytes, formatExpiry, plural, readAll, table } from "./format.js";
import { type CliIo, colorsFor, writeJson, writeLine } from "./io.js";

/** How a scope is named in messages, e.g. `dag 'd', run 'r', task 't'` or `asset 'orders'`. */
export interface StateView {
  where: string;
  /** The command that lists the scope's keys, for hints. */
  listCommand: string;
}

/** A task instance or an asset as the shared `get`, `delete`, `clear` and `list` actions use it. */
export interface ScopeView extends StateView {
  /** The value of `key` as a task reads it (through the backend); `undefined` when not set. */
  read(key: string): Promise<string | undefined>;
  /** The scope's stored rows (expired ones included), or only `key`'s. */
  rows(key?: string): Promise<StoredRow[]>;
  /** Deletes the backend objects `removed` rows named; answers how many could not be deleted. */
  deleteObjects(removed: StateRemoval["removed"], what: string): Promise<number>;
  /** How `list --json` names the scope: `{ taskInstance }` or `{ asset }`. */
  subject: Record<string, unknown>;
}

/** `get KEY [--raw] [--json]`: the value exactly as stored through the backend, or its row; exit 1 when unset. */
export async function printValue(
  io: CliIo,
  view: ScopeView,
  key: string,
  options: { raw?: boolean; json?: boolean },
): Promise<void> {
  if (options.raw) {
    const [row] = await view.rows(key);
    if (!row) reportMissingKey(io, key, view, undefined);
    if (options.json) writeJson(io, rawRowJson(row));
    else printRawRow(io, row);
    return;
  }
  const value = await view.read(key);
  if (value === undefined) reportMissingKey(io, key, view, (await view.rows(key))[0]);
  if (options.json) writeJson(io, { key, value });
  else io.stdout.write(value);
}

/** `list [--raw] [--json]` of one scope: its keys with size and expiry; exit 1 when a value is unreadable. */
export async function printKeys(
  io: CliIo,
  view: ScopeView,
  options: { raw?: boolean; json?: boolean },
): Promise<void> {
  const raw = options.raw === true;
  const entries = await keyEntries(await view.rows(), raw, (key) => view.read(key));
  if (options.json) writeJson(io, { ...view.subject, keys: entries });
  else printKeyEntries(io, entries, raw, `no keys set for ${view.where}`);
  if (entries.some((entry) => entry.error !== undefined)) throw new CliExit(EXIT_FAILURE);
}

/**
 * After a `delete` or `clear` removed `removed` rows (rows first, as the accessors do): deletes the
 * objects they named and prints what went.
 */
export async function finishRemoval(
  io: CliIo,
  view: ScopeView,
  removed: StateRemoval["removed"],
  what: { operation: string; nothing: string; json: boolean },
): Promise<void> {
  const objectsLeft = await view.deleteObjects(removed, what.operation);
  describeRemoval(io, { removed, objectsLeft }, view, what.json, what.nothing);
}

/** A stored row as both kinds of state have it (asset rows never expire). */
export interface StoredRow {
  key: string;
  value: string;
  backend: string | null;
  expiresAt?: Date | null;
  updatedAt: Date;
}

/**
 * What a `delete` or `clear` removed: the rows the store answered with, then how many of the
 * objects they named could not be deleted (the accessor reports those as a warning; the sweep
 * removes them later).
 */
export interface StateRemoval {
  removed: { key: string; mapIndex?: number; value: string; backend: string | null }[];
  objectsLeft: number;
}

/** One key as `list` shows it. */
export interface KeyEntry {
  key: string;
  /** UTF-8 size of the value (with `--raw`: of the stored row's value or reference). */
  bytes: number | null;
  expiresAt: string | null;
  expired: boolean;
  updatedAt: string;
  /** Class path of the backend holding the value; `null` for a value kept in the store. */
  backend: string | null;
  /** With `--raw`: the reference (or the plain value) the row stores. */
  stored?: string;
  /** Why the value could not be read through the backend. */
  error?: string;
}

/** Whether the row's expiry has passed (it is no longer read, and the purge removes it). */
export function isExpired(row: StoredRow, now = Date.now()): boolean {
  return row.expiresAt != null && row.expiresAt.getTime() <= now;
}

/** The row as `--raw --json` prints it. */
export function rawRowJson(row: StoredRow): Record<string, unknown> {
  return {
    key: row.key,
    stored: row.value,
    backend: row.backend,
    ...(row.expiresAt === undefined
      ? {}
      : { expiresAt: row.expiresAt?.toISOString() ?? null, expired: isExpired(row) }),
    updatedAt: row.updatedAt.toISOString(),
  };
}

/** The row as `--raw` prints it: one field a line. */
export function printRawRow(io: CliIo, row: StoredRow): void {
  const lines = [
    ["stored", row.value],
    ["backend", row.backend ?? "(none: the value is kept in the metadata store)"],
    ...(row.expiresAt === undefined
      ? []
      : [["expires", `${formatExpiry(row.expiresAt)}${isExpired(row) ? " (expired)" : ""}`]]),
    ["updated", row.updatedAt.toISOString()],
  ];
  for (const [name, value] of lines) writeLine(io.stdout, `${(name ?? "").padEnd(8)}${value}`);
}

/** Prints why `key` has no value (never set, or expired) and exits 1. */
export function reportMissingKey(io: CliIo, key: string, view: StateView, row: StoredRow | undefined): never {
  const red = colorsFor(io.stderr, io.env).red;
  const why =
    row && isExpired(row)
      ? `expired at ${formatExpiry(row.expiresAt ?? null)} (flowstate db purge-expired removes it)`
      : "is not set";
  writeLine(
    io.stderr,
    red(`error: key '${key}' of ${view.where} ${why}. List its keys with: ${view.listCommand}`),
  );
  throw new CliExit(EXIT_FAILURE);
}

/** The keys of `rows`, each value read through `read` (the accessor) unless `raw`. */
export async function keyEntries(
  rows: readonly StoredRow[],
  raw: boolean,
  read: (key: string) => Promise<string | undefined>,
): Promise<KeyEntry[]> {
  const entries: KeyEntry[] = [];
  for (const row of rows) {
    const expired = isExpired(row);
    const entry: KeyEntry = {
      key: row.key,
      bytes: null,
      expiresAt: row.expiresAt?.toISOString() ?? null,
      expired,
      updatedAt: row.updatedAt.toISOString(),
      backend: row.backend,
    };
    if (raw) entries.push({ ...entry, stored: row.value, bytes: byteLength(row.value) });
    else entries.push(expired ? entry : await withValueSize(entry, read));
  }
  return entries;
}

async function withValueSize(
  entry: KeyEntry,
  read: (key: string) => Promise<string | undefined>,
): Promise<KeyEntry> {
  try {
    const value = await read(entry.key);
    return { ...entry, bytes: value === undefined ? null : byteLength(value) };
  } catch (error) {
    return { ...entry, error: error instanceof Error ? error.message : String(error) };
  }
}

/** Prints `list` output: a table of keys, or `empty` when there are none; read errors to stderr. */
export function printKeyEntries(io: CliIo, entries: readonly KeyEntry[], raw: boolean, empty: string): void {
  if (entries.length === 0) {
    writeLine(io.stdout, empty);
    return;
  }
  const size = (entry: KeyEntry) =>
    entry.error !== undefined
      ? "unreadable"
      : entry.expired
        ? "expired"
        : entry.bytes === null
          ? "-"
          : formatBytes(entry.bytes);
  const expiry = (entry: KeyEntry) => (entry.expiresAt === null ? "never" : entry.expiresAt);
  const header = raw ? ["KEY", "EXPIRES", "BACKEND", "STORED"] : ["KEY", "SIZE", "EXPIRES"];
  const rows = entries.map((entry) =>
    raw
      ? [entry.key, expiry(entry), entry.backend ?? "-", entry.stored ?? ""]
      : [entry.key, size(entry), expiry(entry)],
  );
  writeLine(io.stdout, table(header, rows));
  for (const entry of entries) {
    if (entry.error !== undefined) writeLine(io.stderr, `error: key '${entry.key}': ${entry.error}`);
  }
}

/** Prints what a delete or clear removed (`nothing` when it removed no row); exit 1 when objects were left. */
export function describeRemoval(
  io: CliIo,
  removal: StateRemoval,
  view: StateView,
  json: boolean,
  nothing: string,
): void {
  const rows = removal.removed;
  const named = rows.filter((row) => row.backend !== null).length;
  const objects = named - removal.objectsLeft;
  if (json) {
    writeJson(io, {
      removed: rows.map(({ key, mapIndex, backend }) => ({
        key,
        ...(mapIndex === undefined ? {} : { mapIndex }),
        backend,
      })),
      rows: rows.length,
      objects,
      objectsLeft: removal.objectsLeft,
    });
  } else if (rows.length === 0) {
    writeLine(io.stdout, `${nothing} (${view.where})`);
  } else {
    const keys = rows.map((row) =>
      row.mapIndex === undefined || row.mapIndex < 0 ? row.key : `${row.key}[${row.mapIndex}]`,
    );
    writeLine(
      io.stdout,
      `removed ${plural(rows.length, "row")} and ${plural(objects, "object")} of ${view.where}: ${keys.join(", ")}`,
    );
  }
  if (removal.objectsLeft > 0) {
    writeLine(
      io.stderr,
      `warning: ${plural(removal.objectsLeft, "object")} could not be deleted from the backend; flowstate db sweep-orphans removes them later.`,
    );
    throw new CliExit(EXIT_FAILURE);
  }
}

/** VALUE as given, or standard input when it is `-`. */
export async function readValueArgument(io: CliIo, value: string): Promise<string> {
  return value === "-" ? readAll(io.stdin) : value;
}

/** `text` as one shell word (quoted when it holds anything but safe characters), for hints. */
export function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, "'\\''")}'`;
}
