import { randomUUID } from "node:crypto";

// The wire format of the JSON API's batch endpoint (https://cloud.google.com/storage/docs/batch):
// a multipart/mixed body whose every part is `Content-Type: application/http`, a `Content-ID`, and
// one whole HTTP request (only the path of its URL); the answer is multipart/mixed too, one
// `application/http` part per call, each a whole HTTP response with its own status line, tagged
// `Content-ID: <response-ID>` for the call's ID and in the calls' order.

/** At most this many calls in one batch request (GCS's documented limit). */
export const MAX_BATCH_CALLS = 100;

/** A batch request's body and the Content-Type that names its boundary. */
export interface BatchBody {
  contentType: string;
  body: string;
}

/** The answer to one call of a batch: its Content-ID without `response-`, its status and body. */
export interface CallAnswer {
  id: string | undefined;
  status: number;
  body: string;
}

/**
 * A batch of `objects.delete` calls, one per name, with Content-IDs `1`…`n` in the names' order.
 * Bucket and name are percent-encoded whole (`/`, `%`, `#`, `?`, spaces, non-ASCII): the body is
 * plain ASCII.
 */
export function deleteBatchBody(bucket: string, names: readonly string[]): BatchBody {
  const boundary = `flowstate_batch_${randomUUID()}`;
  const path = (name: string) => `/storage/v1/b/${encodeURIComponent(bucket)}/o/${encodeURIComponent(name)}`;
  const parts = names.map(
    (name, i) =>
      `--${boundary}\r\nContent-Type: application/http\r\nContent-ID: <${i + 1}>\r\n\r\n` +
      `DELETE ${path(name)} HTTP/1.1\r\n\r\n`,
  );
  // Every delimiter after the first starts with the CRLF before it (RFC 2046).
  return {
    contentType: `multipart/mixed; boundary=${boundary}`,
    body: `${parts.join("\r\n")}\r\n--${boundary}--\r\n`,
  };
}

/** The answer to a batch could not be read as one (not multipart, or a part is not a response). */
export class BatchAnswerError extends Error {
  override readonly name = "BatchAnswerError";
}

/**
 * The calls' answers in a batch answer, in the order they came.
 * @throws BatchAnswerError when `contentType` names no multipart boundary, or a part holds no
 *   HTTP status line.
 */
export function parseBatchAnswer(contentType: string | undefined, body: string): CallAnswer[] {
  const boundary = /^multipart\/mixed\s*;.*?boundary=(?:"([^"]+)"|([^;\s]+))/i.exec(contentType ?? "");
  if (boundary === null) throw new BatchAnswerError("the batch answer is not multipart/mixed");
  const delimiter = `--${boundary[1] ?? boundary[2]}`;
  const answers: CallAnswer[] = [];
  // The text before the first delimiter is a preamble; a piece starting `--` is the close.
  for (const piece of body.split(delimiter).slice(1)) {
    if (piece.startsWith("--")) break;
    const [partHeaders, response] = splitHead(piece.replace(/^[ \t]*\r?\n/, ""));
    const status = /^HTTP\/\d(?:\.\d)?\s+(\d{3})\b/.exec(response);
    if (status === null) throw new BatchAnswerError("a part of the batch answer is not an HTTP response");
    const id = /^content-id:\s*<?response-([^>\s]*)>?\s*$/im.exec(partHeaders)?.[1];
    // The CRLF before the next delimiter belongs to the delimiter.
    const [, responseBody] = splitHead(response);
    answers.push({ id, status: Number(status[1]), body: responseBody.replace(/\r?\n$/, "") });
  }
  return answers;
}

/** A header block and what follows the blank line after it (lines end in CRLF, or LF alone). */
function splitHead(text: string): [head: string, rest: string] {
  const blank = /\r?\n\r?\n/.exec(text);
  if (blank === null) return [text, ""];
  return [text.slice(0, blank.index), text.slice(blank.index + blank[0].length)];
}
