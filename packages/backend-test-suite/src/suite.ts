import { afterAll, beforeAll, describe } from "vitest";
import { registerBadReferenceChecks } from "./checks/bad-references.js";
import { registerClearingChecks } from "./checks/clearing.js";
import { registerCollisionChecks } from "./checks/collisions.js";
import type { CheckContext } from "./checks/context.js";
import { registerDeleteRefChecks } from "./checks/delete-refs.js";
import { registerListingChecks } from "./checks/listing.js";
import { registerReferenceChecks } from "./checks/references.js";
import { registerRoundTripChecks } from "./checks/round-trip.js";
import { registerScopeChecks } from "./checks/scopes.js";
import { registerValidationChecks } from "./checks/validation.js";
import { registerValueChecks } from "./checks/values.js";
import { registerConcurrencyChecks, registerOverwriteChecks } from "./checks/writes.js";
import { SuiteHarness } from "./harness.js";
import { resolveSuiteOptions, type StateBackendSuiteOptions } from "./options.js";

/**
 * Registers a vitest `describe` block with every contract check. Call it at the top level of a
 * test file.
 *
 * Every test uses its own unique dag id or asset name, so the storage needs no reset between
 * tests, files or runs. Two backends are made with `options.create()` (two "workers" sharing one
 * storage) and closed after the block.
 *
 * @example
 * ```ts
 * import { describeStateBackend } from "@flowstate/backend-test-suite";
 * describeStateBackend("my-backend", { create: () => new MyStateBackend({ bucket: "test" }) });
 * ```
 * @throws {@link ConfigError} (from `@flowstate/shared-state`) when an option is malformed.
 */
export function describeStateBackend(name: string, options: StateBackendSuiteOptions): void {
  const resolved = resolveSuiteOptions(options);
  const ctx: CheckContext = { harness: new SuiteHarness(resolved.create), options: resolved };
  describe(`state backend conformance: ${name}`, { timeout: resolved.timeoutMs }, () => {
    beforeAll(() => ctx.harness.start(), resolved.timeoutMs);
    afterAll(() => ctx.harness.stop(), resolved.timeoutMs);
    registerRoundTripChecks(ctx);
    registerReferenceChecks(ctx);
    registerCollisionChecks(ctx);
    registerClearingChecks(ctx);
    registerBadReferenceChecks(ctx);
    registerDeleteRefChecks(ctx);
    registerListingChecks(ctx);
    registerValueChecks(ctx);
    registerOverwriteChecks(ctx);
    registerConcurrencyChecks(ctx);
    registerValidationChecks(ctx);
    registerScopeChecks(ctx);
  });
}
