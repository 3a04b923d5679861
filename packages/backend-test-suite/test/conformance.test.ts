import { afterAll, expect } from "vitest";
import { describeStateBackend } from "../src/index.js";
import { ReferenceBackend } from "./reference-backend.js";

const made: ReferenceBackend[] = [];

// The suite passes against a correct backend, made by an async factory.
describeStateBackend("reference", {
  create: async () => {
    const backend = new ReferenceBackend("conformance");
    made.push(backend);
    return backend;
  },
});

// Runs after the suite's own afterAll: every backend the suite created must be closed.
afterAll(() => {
  expect(made.length).toBeGreaterThanOrEqual(2);
  expect(made.filter((backend) => !backend.closed).length, "backends the suite left open").toBe(0);
});
