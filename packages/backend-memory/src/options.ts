import { ConfigError } from "@flowstate/shared-state";

/** Options of {@link MemoryStateBackend}, as given in `[workers] state_backend_kwargs`. */
export interface MemoryStateBackendOptions {
  /**
   * Backends with the same namespace share storage for the life of the process (like two
   * clients of one bucket).
   * @default "default"
   */
  namespace?: string;
}

const KWARGS = { section: "workers", key: "state_backend_kwargs" } as const;
const KNOWN_OPTIONS = ["namespace"] as const;

/**
 * Checks the options the loader passes (the JSON object of `[workers] state_backend_kwargs`) and
 * fills in defaults.
 * @throws {@link ConfigError} naming `[workers] state_backend_kwargs` and what to change.
 */
export function resolveMemoryOptions(options: unknown): Required<MemoryStateBackendOptions> {
  if (options === undefined || options === null) return { namespace: "default" };
  if (typeof options !== "object" || Array.isArray(options)) {
    throw new ConfigError(
      `Invalid [workers] state_backend_kwargs for the memory backend: expected a JSON object such as {"namespace": "dev"}, got ${Array.isArray(options) ? "an array" : typeof options}.`,
      KWARGS,
    );
  }
  const unknown = Object.keys(options).filter((name) => !(KNOWN_OPTIONS as readonly string[]).includes(name));
  if (unknown.length > 0) {
    throw new ConfigError(
      `Unknown option(s) ${unknown.map((n) => JSON.stringify(n)).join(", ")} in [workers] state_backend_kwargs for the memory backend. Known options: ${KNOWN_OPTIONS.join(", ")}.`,
      KWARGS,
    );
  }
  const { namespace = "default" } = options as MemoryStateBackendOptions;
  if (typeof namespace !== "string" || namespace === "") {
    throw new ConfigError(
      `Invalid "namespace" in [workers] state_backend_kwargs for the memory backend: expected a non-empty string, got ${JSON.stringify(namespace) ?? typeof namespace}.`,
      { ...KWARGS, value: String(namespace) },
    );
  }
  return { namespace };
}
