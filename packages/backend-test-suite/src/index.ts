/**
 * `@flowstate/backend-test-suite`: the contract every flowstate state backend must pass, as a
 * vitest suite. A backend's test file is two lines:
 *
 * ```ts
 * import { describeStateBackend } from "@flowstate/backend-test-suite";
 * describeStateBackend("my-backend", { create: () => new MyStateBackend({ bucket: "test" }) });
 * ```
 * @packageDocumentation
 */
export type { StateBackendSuiteOptions } from "./options.js";
export { describeStateBackend } from "./suite.js";
