import type { StateScope } from "@flowstate/shared-state";
import type { SuiteHarness } from "../harness.js";
import type { ResolvedSuiteOptions } from "../options.js";

/** What every group of checks gets: the backends, unique ids, and the resolved options. */
export interface CheckContext {
  harness: SuiteHarness;
  options: ResolvedSuiteOptions;
}

/** A named way to make a fresh scope of one kind, for checks that must hold for every kind. */
export interface ScopeKind {
  label: string;
  make: (harness: SuiteHarness) => StateScope;
}

/** Every kind of scope a worker-side backend receives. */
export const SCOPE_KINDS: readonly ScopeKind[] = [
  { label: "task scope", make: (h) => h.taskScope() },
  { label: "mapped task scope", make: (h) => h.taskScope({ mapIndex: 3 }) },
  { label: "asset scope by name", make: (h) => h.assetByName() },
  { label: "asset scope by uri", make: (h) => h.assetByUri() },
];
