// Types of shared.mjs, for the TypeScript tests.
export interface ValueSpec {
  scope: string;
  key: string;
  writer: string;
  seq: number;
  size: number;
}
export function makeValue(spec: ValueSpec): string;
export function parseValue(value: string): ValueSpec | undefined;
export function scopeLabel(
  scope: { dagId: string; runId: string; taskId: string; mapIndex: number } | { name: string },
): string;
export interface MethodHooks {
  before?: (args: unknown[]) => unknown;
  after?: (result: unknown, args: unknown[]) => unknown;
}
export function intercept<T extends object>(target: T, hooks: Record<string, MethodHooks>): T;
export function seededRandom(seed: number): () => number;
