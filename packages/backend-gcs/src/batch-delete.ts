import { setTimeout as sleep } from "node:timers/promises";
import { connectionFailure } from "@flowstate/object-storage-backend";
import type { BatchClient } from "./batch-client.js";
import {
  BatchAnswerError,
  type CallAnswer,
  deleteBatchBody,
  MAX_BATCH_CALLS,
  parseBatchAnswer,
} from "./batch-wire.js";
import { PERMANENT_NETWORK_CODES } from "./client.js";
import { answerError, isBucketMissing } from "./errors.js";
import { forEachLimited } from "./limit.js";

/** Batch requests in flight at once (of up to {@link MAX_BATCH_CALLS} calls each). */
const BATCHES_IN_FLIGHT = 4;
/** The wait before the first retry round, doubled for each later one, up to {@link MAX_RETRY_DELAY_MS}. */
const FIRST_RETRY_DELAY_MS = 100;
/** As the client's retries: about a second apart at most, not minutes. */
const MAX_RETRY_DELAY_MS = 1000;

/** A name that could not be deleted, with the error that says why. */
export interface DeleteFailure {
  name: string;
  error: unknown;
}

/** What {@link deleteInBatches} did not delete. */
export interface BatchDeleteOutcome {
  failures: DeleteFailure[];
  /** Names not tried because the endpoint has no batch API: delete them one by one. */
  unbatched: string[];
}

/** What became of one call: deleted (or already gone), worth another try, or failed for good. */
type CallOutcome = { kind: "done" } | { kind: "retry" | "failed"; error: unknown } | { kind: "unbatched" };

/**
 * Deletes `names` in batch requests of up to {@link MAX_BATCH_CALLS} calls,
 * {@link BATCHES_IN_FLIGHT} at once. A call answered 429 or 5xx, or whose whole batch was (or got
 * no answer), is sent again in a batch of the next round, a short wait later, until it was tried
 * `maxAttempts` times. A name already gone is fine; a missing bucket is not. Every name is tried
 * before this resolves; nothing is thrown.
 */
export async function deleteInBatches(
  client: BatchClient,
  bucket: string,
  names: readonly string[],
  maxAttempts: number,
): Promise<BatchDeleteOutcome> {
  const outcome: BatchDeleteOutcome = { failures: [], unbatched: [] };
  let pending = [...names];
  for (let attempt = 1; pending.length > 0; attempt += 1) {
    if (attempt > 1) await sleep(Math.min(FIRST_RETRY_DELAY_MS * 2 ** (attempt - 2), MAX_RETRY_DELAY_MS));
    const retry: DeleteFailure[] = [];
    const send = async (batch: string[]): Promise<void> => {
      const results = client.supported === false ? undefined : await sendBatch(client, bucket, batch);
      batch.forEach((name, i) => {
        const result = results?.[i] ?? { kind: "unbatched" };
        if (result.kind === "unbatched") outcome.unbatched.push(name);
        else if (result.kind === "failed") outcome.failures.push({ name, error: result.error });
        else if (result.kind === "retry") retry.push({ name, error: result.error });
      });
    };
    const batches = chunks(pending, MAX_BATCH_CALLS);
    // Until the endpoint answered a batch, one batch finds out whether it has a batch API at all.
    if (client.supported === undefined && batches.length > 0) await send(batches.shift() as string[]);
    await forEachLimited(batches, BATCHES_IN_FLIGHT, send);
    if (attempt >= maxAttempts) outcome.failures.push(...retry);
    pending = attempt >= maxAttempts ? [] : retry.map((r) => r.name);
  }
  return outcome;
}

/** Sends one batch; never throws: each call's outcome, in the order of `names`. */
async function sendBatch(
  client: BatchClient,
  bucket: string,
  names: readonly string[],
): Promise<CallOutcome[]> {
  const every = (outcome: CallOutcome): CallOutcome[] => names.map(() => outcome);
  let answer: Awaited<ReturnType<BatchClient["post"]>>;
  try {
    answer = await client.post(deleteBatchBody(bucket, names));
  } catch (error) {
    return every({ kind: isWorthRetrying(error) ? "retry" : "failed", error });
  }
  const { status, contentType, body } = answer;
  // The batch endpoint itself is missing (an emulator): not a failure of any call.
  if (status === 404 || status === 405 || status === 501) {
    client.supported = false;
    return every({ kind: "unbatched" });
  }
  client.supported = true; // it answered: whatever the status, there is a batch endpoint
  if (status < 200 || status > 299) {
    return every({
      kind: isRetryableStatus(status) ? "retry" : "failed",
      error: answerError(status, body, "ApiError"),
    });
  }
  let calls: CallAnswer[];
  try {
    calls = parseBatchAnswer(contentType, body);
  } catch (error) {
    if (!(error instanceof BatchAnswerError)) throw error;
    return every({ kind: "failed", error });
  }
  // Matched by Content-ID where the answer has one, else by position (GCS keeps the order).
  const byId = new Map(calls.map((call, i) => [call.id ?? String(i + 1), call]));
  return names.map((_, i) => callOutcome(byId.get(String(i + 1))));
}

function callOutcome(call: CallAnswer | undefined): CallOutcome {
  if (call === undefined) {
    return { kind: "retry", error: new BatchAnswerError("the batch answer had no part for this call") };
  }
  const { status, body } = call;
  if (status >= 200 && status <= 299) return { kind: "done" };
  const error = answerError(status, body, "ApiError");
  // A call's 404 comes from the JSON API itself (the batch endpoint routed it, no proxy's page):
  // the object is already gone, unless GCS says the bucket is.
  if (status === 404 && !isBucketMissing(error)) return { kind: "done" };
  return { kind: isRetryableStatus(status) ? "retry" : "failed", error };
}

function isRetryableStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/**
 * A request that got no answer is worth another try when the endpoint may answer next time: a
 * timeout or a dropped connection; not nothing listening, an unknown host, or something that is
 * not HTTP (nor failing to get credentials).
 */
function isWorthRetrying(error: unknown): boolean {
  const failure = connectionFailure(error);
  if (failure === undefined || failure.kind === "not-http") return false;
  return !PERMANENT_NETWORK_CODES.has(failure.code);
}

function chunks<T>(items: readonly T[], size: number): T[][] {
  return Array.from({ length: Math.ceil(items.length / size) }, (_, i) =>
    items.slice(i * size, (i + 1) * size),
  );
}
