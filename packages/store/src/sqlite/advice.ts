/** What to do about a SQLite error code, by code prefix (extended codes share their prefix). */
const ADVICE: readonly [prefix: string, advice: string][] = [
  [
    "SQLITE_NOTADB",
    "The file is not a SQLite database. Point the store at a new file or an existing flowstate database.",
  ],
  [
    "SQLITE_CORRUPT",
    "The database file is damaged. Restore it from a backup or point the store at a new file.",
  ],
  [
    "SQLITE_BUSY",
    "Another process held the database lock for longer than the busy timeout. Retry, or look for a stuck process.",
  ],
  ["SQLITE_LOCKED", "Another connection holds a conflicting lock. Retry."],
  ["SQLITE_READONLY", "The database file or its folder is read-only. Check the file's permissions."],
  [
    "SQLITE_CANTOPEN",
    "The file could not be opened. Check that the path is a file (not a folder) and that its folder is writable.",
  ],
  ["SQLITE_PERM", "Permission denied. Check the file's permissions."],
  ["SQLITE_FULL", "The disk is full. Free space and retry."],
  ["SQLITE_IOERR", "The disk reported an I/O error. Check the file system."],
  [
    "SQLITE_TOOBIG",
    "The value is larger than SQLite stores (about 1 GB). Configure a worker state backend for large values.",
  ],
];

/** A sentence saying what to do about `error`, when it is a SQLite error we recognise. */
export function sqliteAdvice(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== "string") return undefined;
  return ADVICE.find(([prefix]) => code.startsWith(prefix))?.[1];
}
