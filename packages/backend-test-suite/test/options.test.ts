import { ConfigError } from "@flowstate/shared-state";
import { describe, expect, it } from "vitest";
import { describeStateBackend, type StateBackendSuiteOptions } from "../src/index.js";
import { ReferenceBackend } from "./reference-backend.js";

const create = () => new ReferenceBackend("options");

describe("describeStateBackend options", () => {
  it.each<[string, StateBackendSuiteOptions, string]>([
    ["no create function", { create: "nope" } as never, "options.create must be a function"],
    [
      "a zero largeValueBytes",
      { create, largeValueBytes: 0 },
      "options.largeValueBytes must be a positive integer",
    ],
    ["a fractional largeValueBytes", { create, largeValueBytes: 1.5 }, "options.largeValueBytes"],
    ["a negative timeoutMs", { create, timeoutMs: -1 }, "options.timeoutMs must be a positive number"],
  ])("refuses %s with a ConfigError before registering anything", (_label, options, message) => {
    expect(() => describeStateBackend("bad", options)).toThrow(ConfigError);
    expect(() => describeStateBackend("bad", options)).toThrow(message);
  });

  it("refuses missing options", () => {
    expect(() => describeStateBackend("bad", undefined as never)).toThrow(ConfigError);
  });
});
