/**
 * The names a scaffolded backend package gets from the one the author chose: checked as an npm
 * package name, turned into a class name, a reference scheme and a short name for messages.
 */

/** npm's limit on a package name's length. */
const MAX_NAME_LENGTH = 214;
// npm's rules for new packages: lower case, URL-safe, not starting with '.' or '_'; an optional scope.
const PACKAGE_NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
// Words a backend package's name often carries that would only repeat in the class name.
const NOISE = new Set(["flowstate", "state", "backend", "plugin"]);

/**
 * Why `name` cannot be published as an npm package, or `undefined` when it can. Scoped names
 * (`@acme/flowstate-backend-redis`) are accepted.
 */
export function packageNameProblem(name: string): string | undefined {
  if (name.length === 0) return "it is empty";
  if (name.length > MAX_NAME_LENGTH)
    return `it is ${name.length} characters long; npm allows ${MAX_NAME_LENGTH}`;
  if (name !== name.trim()) return "it has spaces around it";
  if (name !== name.toLowerCase()) return "it has upper-case letters; npm names are lower case";
  if (/^[._]/.test(unscoped(name))) return "it starts with '.' or '_'";
  if (!PACKAGE_NAME.test(name)) {
    return "it may only hold lower-case letters, digits and - . _ ~ (with an optional @scope/ in front)";
  }
  if (["node_modules", "favicon.ico"].includes(unscoped(name))) return "npm reserves that name";
  return undefined;
}

/** Why `name` cannot be the exported class's name, or `undefined` when it can. */
export function classNameProblem(name: string): string | undefined {
  if (!IDENTIFIER.test(name))
    return "it is not a JavaScript identifier (letters, digits, _ and $; no digit first)";
  return undefined;
}

/** The package name without its `@scope/`. */
export function unscoped(name: string): string {
  return name.startsWith("@") ? name.slice(name.indexOf("/") + 1) : name;
}

/**
 * The default class name: the words of the unscoped name that are not "flowstate", "state",
 * "backend" or "plugin", in PascalCase, then `StateBackend` — `flowstate-backend-redis` →
 * `RedisStateBackend`, `@acme/blob-store` → `BlobStoreStateBackend`.
 */
export function defaultClassName(name: string): string {
  const words = unscoped(name)
    .split(/[^a-z0-9]+/)
    .filter((word) => word !== "" && !NOISE.has(word));
  const stem = words.map((word) => word[0]?.toUpperCase() + word.slice(1)).join("");
  const safe = /^[0-9]/.test(stem) ? `Backend${stem}` : stem;
  return `${safe || "My"}StateBackend`;
}

/**
 * The scheme of the references the backend writes (`redis://`, `blob-store://`): the words of
 * the class name before `StateBackend`, lower case and joined by `-`, so that it is a valid URL scheme.
 */
export function referenceScheme(className: string): string {
  const stem = className.replace(/StateBackend$|Backend$/, "") || className;
  const words = stem
    .replace(/([a-z0-9])([A-Z])/g, "$1-$2")
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "");
  return /^[a-z]/.test(words) ? words : `x-${words || "state"}`;
}
