// What the integrity tests and their child worker processes share: a value format that names its
// scope, key, writer and sequence number and proves it arrived whole, and a way to run hooks
// around chosen methods of a state client or backend (to pause or fail a step of an operation).

/**
 * A value of exactly `size` characters (or its header, when longer) that says who wrote it for
 * which scope and key: `fs1|<scope>|<key>|<writer>|<seq>|<size>|` and a filler made from them.
 * @param {{ scope: string; key: string; writer: string; seq: number; size: number }} spec
 * @returns {string}
 */
export function makeValue({ scope, key, writer, seq, size }) {
  const head = `fs1|${scope}|${key}|${writer}|${seq}|${size}|`;
  const missing = size - head.length;
  if (missing <= 0) return head;
  const unit = `${writer}.${seq};`;
  return head + unit.repeat(Math.ceil(missing / unit.length)).slice(0, missing);
}

/**
 * What {@link makeValue} wrote `value` from, or `undefined` when it is not such a value or not
 * whole (cut short, padded, or mixed from two writes).
 * @param {string} value
 */
export function parseValue(value) {
  const match = /^fs1\|([^|]*)\|([^|]*)\|([^|]*)\|(\d+)\|(\d+)\|/.exec(value);
  if (!match) return undefined;
  const spec = {
    scope: match[1] ?? "",
    key: match[2] ?? "",
    writer: match[3] ?? "",
    seq: Number(match[4]),
    size: Number(match[5]),
  };
  return makeValue(spec) === value ? spec : undefined;
}

/**
 * The label values carry for a scope: `task:<dag>/<run>/<task>/<mapIndex>` or `asset:<name>`.
 * @param {{ dagId: string; runId: string; taskId: string; mapIndex: number } | { name: string }} scope
 */
export function scopeLabel(scope) {
  if ("name" in scope) return `asset:${scope.name}`;
  return `task:${scope.dagId}/${scope.runId}/${scope.taskId}/${scope.mapIndex}`;
}

/**
 * `target` with hooks around some of its methods: `before(args)` runs before the real method and
 * `after(result, args)` after it resolved; either may throw or wait. Every method is called on
 * `target` itself (private fields work), and `constructor` is left alone (the sdk names a
 * backend by its class).
 * @template T
 * @param {T} target
 * @param {Record<string, { before?: (args: unknown[]) => unknown; after?: (result: unknown, args: unknown[]) => unknown }>} hooks
 * @returns {T}
 */
export function intercept(target, hooks) {
  return new Proxy(/** @type {object} */ (target), {
    get(object, property) {
      const member = Reflect.get(object, property);
      if (typeof member !== "function" || property === "constructor") return member;
      const hook = typeof property === "string" ? hooks[property] : undefined;
      if (!hook) return member.bind(object);
      return async (/** @type {unknown[]} */ ...args) => {
        await hook.before?.(args);
        const result = await member.apply(object, args);
        await hook.after?.(result, args);
        return result;
      };
    },
  });
}

/**
 * A seeded pseudo-random generator (mulberry32): the same seed gives the same operations.
 * @param {number} seed
 * @returns {() => number} numbers in [0, 1)
 */
export function seededRandom(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
