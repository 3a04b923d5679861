// HttpStateClient's bounded waits and retries, against servers that misbehave on purpose.
import type { ServerResponse } from "node:http";
import { HttpStateClient } from "@flowstate/sdk";
import { StateStoreError, StateValidationError } from "@flowstate/shared-state";
import {
  startHttpServer,
  startSilentServer,
  type TestHttpServer,
  withTestServer,
} from "@flowstate/test-support";
import { describe, expect, it } from "vitest";

const TOKEN = "token-for-tests";

function json(response: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  response.writeHead(status, { "content-type": "application/json", ...headers }).end(JSON.stringify(body));
}

/** A server answering the n-th request (from 0) with `answers[n]`, the last one after that. */
function scripted(answers: ((response: ServerResponse) => void)[]): Promise<TestHttpServer> {
  let count = 0;
  return startHttpServer((request, response) => {
    request.resume();
    request.on("end", () => {
      const answer = answers[Math.min(count, answers.length - 1)];
      count += 1;
      answer?.(response);
    });
  });
}

async function withClient(
  server: TestHttpServer,
  work: (client: HttpStateClient) => Promise<void>,
  options: { timeoutMs?: number; retries?: number } = {},
) {
  const client = new HttpStateClient({ url: `${server.endpoint}/execution/`, token: TOKEN, ...options });
  try {
    await work(client);
  } finally {
    await client.close();
  }
}

const stored = { value: "v", backend: null };

describe("HttpStateClient retries", () => {
  it("retries a 503, waiting as Retry-After says", () =>
    withTestServer(
      () =>
        scripted([
          (response) =>
            json(response, 503, { reason: "store_unavailable", message: "busy" }, { "retry-after": "1" }),
          (response) => json(response, 200, stored),
        ]),
      (server) =>
        withClient(server, async (client) => {
          const started = Date.now();
          expect(await client.getTaskState("ti", "k")).toEqual(stored);
          expect(Date.now() - started).toBeGreaterThanOrEqual(950);
          expect(server.requests).toEqual([
            "GET /execution/task-states/ti/k",
            "GET /execution/task-states/ti/k",
          ]);
        }),
    ));

  it("retries a dropped connection", () =>
    withTestServer(
      () =>
        scripted([
          (response) => response.socket?.destroy(),
          (response) => json(response, 200, { removed: stored }),
        ]),
      (server) =>
        withClient(server, async (client) => {
          expect(await client.deleteTaskState("ti", "k")).toEqual(stored);
          expect(server.requests).toHaveLength(2);
        }),
    ));

  it("does not retry a 4xx", () =>
    withTestServer(
      () => scripted([(response) => json(response, 422, { reason: "invalid_request", message: "bad" })]),
      (server) =>
        withClient(server, async (client) => {
          await expect(client.getTaskState("ti", "k")).rejects.toBeInstanceOf(StateValidationError);
          expect(server.requests).toHaveLength(1);
        }),
    ));

  it("never retries succeeding a task instance", () =>
    withTestServer(
      () => scripted([(response) => json(response, 503, { reason: "store_unavailable", message: "down" })]),
      (server) =>
        withClient(server, async (client) => {
          await expect(client.succeedTask("ti")).rejects.toMatchObject({ status: 503 });
          expect(server.requests).toHaveLength(1);
        }),
    ));

  it("gives up after `retries` retries, with the last answer", () =>
    withTestServer(
      () => scripted([(response) => json(response, 502, { reason: "bad_gateway", message: "proxy" })]),
      (server) =>
        withClient(
          server,
          async (client) => {
            await expect(client.getTaskState("ti", "k")).rejects.toMatchObject({ status: 502 });
            expect(server.requests).toHaveLength(3);
          },
          { retries: 2 },
        ),
    ));

  it("reports nothing replaced when a retried write finds its own reference", () =>
    withTestServer(
      () =>
        scripted([
          (response) => response.socket?.destroy(),
          (response) => json(response, 200, { replaced: { value: "ref-1", backend: "pkg.B" } }),
        ]),
      (server) =>
        withClient(server, async (client) => {
          const options = { expiresAt: null, backend: "pkg.B" };
          expect(await client.setTaskState("ti", "k", "ref-1", options)).toBeUndefined();
          expect(server.requests).toHaveLength(2);
        }),
    ));

  it("fails within its timeout against a server that never answers, naming the endpoint", () =>
    withTestServer(startSilentServer, (server) =>
      withClient(
        { endpoint: server.endpoint, requests: [], close: server.close },
        async (client) => {
          const started = Date.now();
          const call = client.getTaskState("ti", "k");
          await expect(call).rejects.toBeInstanceOf(StateStoreError);
          await expect(call).rejects.toThrow(server.endpoint);
          // Two attempts of 300 ms each, plus one backoff pause of at most 100 ms.
          expect(Date.now() - started).toBeLessThan(1500);
          expect(server.connections).toBeGreaterThanOrEqual(1);
        },
        { timeoutMs: 300, retries: 1 },
      ),
    ));
});
