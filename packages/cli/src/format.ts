/** Plain-text formatting shared by the state, asset-state and db commands. */
import type { Readable } from "node:stream";

/** UTF-8 size of a value, e.g. `12 B`, `1.5 KiB`, `50.0 MiB`. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MiB`;
}

/** UTF-8 bytes of `text`. */
export function byteLength(text: string): number {
  return Buffer.byteLength(text, "utf8");
}

/** An expiry for people: the ISO time, or `never`. */
export function formatExpiry(expiresAt: Date | null): string {
  return expiresAt === null ? "never" : expiresAt.toISOString();
}

/** Rows as left-aligned columns under a header, two spaces apart (the last column is not padded). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const widths = header.map((title, i) =>
    Math.max(title.length, ...rows.map((row) => (row[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i] ?? 0)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** Everything `stream` holds, as UTF-8 text (for `state set KEY -`). */
export async function readAll(stream: Readable): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(typeof chunk === "string" ? Buffer.from(chunk) : chunk);
  return Buffer.concat(chunks).toString("utf8");
}

/** Seconds since `startMs`, e.g. `0.4 s`. */
export function elapsed(startMs: number): string {
  return `${((Date.now() - startMs) / 1000).toFixed(1)} s`;
}

/** `1 row`, `2 rows`. */
export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
