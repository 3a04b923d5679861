/**
 * `@flowstate/backend-test-suite`: the contract every flowstate state backend must pass, as a
 * vitest suite. A backend's test file is two lines:
 *
 * ```ts
 * import { describeStateBackend } from "@flowstate/backend-test-suite";
 * describeStateBackend("my-backend", { create: () => new MyStateBackend({ bucket: "test" }) });
 * ```
 *
 * For a backend's own cases: {@link listAllStateRefs} (every page of `listStateRefs` together)
 * and {@link expectStateError} (a rejection checked by error name and code, not `instanceof`).
 * @packageDocumentation
 */
export { type ExpectedStateError, expectStateError } from "./assertions.js";
export type { StateBackendSuiteOptions } from "./options.js";
export { listAllStateRefs } from "./refs.js";
export { describeStateBackend } from "./suite.js";
