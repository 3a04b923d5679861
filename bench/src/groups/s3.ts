// S3StateBackend's hooks against the raw AWS SDK on the same s3rver: every serialize writes a new
// version (one PutObject), every deserialize reads the version its reference names (one GetObject).
import { GetObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { type Comparison, compare, printTable } from "../compare.js";
import { type BenchContext, benchScope, KIB, MIB, text } from "../context.js";

export async function runS3Group({ s3, backend, timeMs }: BenchContext): Promise<void> {
  // Like for like with a versioned write: a PutObject of a new object each time (s3rver creates a
  // folder per object, which an overwrite of one key skips).
  let written = 0;
  const rawPutNew = (key: string, body: string) => () => {
    written += 1;
    return s3.send(new PutObjectCommand({ Bucket: "bench", Key: `raw/${key}/${written}`, Body: body }));
  };
  const rawGet = (key: string) => async () =>
    (await s3.send(new GetObjectCommand({ Bucket: "bench", Key: `raw/${key}` }))).Body?.transformToString();
  const write = (key: string, body: string) =>
    backend.serializeTaskStateToRef({ value: body, key, tiId: "bench", scope: benchScope });

  const cases: Comparison[] = [];
  for (const [label, bytes] of [
    ["1 KiB", KIB],
    ["1 MiB", MIB],
    ["16 MiB (multipart)", 16 * MIB],
  ] as const) {
    const value = text(bytes);
    await s3.send(new PutObjectCommand({ Bucket: "bench", Key: `raw/${label}`, Body: value }));
    const ref = await write(label, value);
    const target = bytes === KIB ? { maxRatio: 1.1 } : undefined;
    cases.push(
      { name: `set ${label}`, baseline: rawPutNew(label, value), subject: () => write(label, value), target },
      {
        name: `get ${label}`,
        baseline: rawGet(label),
        subject: () => backend.deserializeTaskStateFromRef(ref, { key: label, scope: benchScope }),
        target,
      },
    );
  }
  // Above the multipart threshold the backend uploads in parts; the like-for-like baseline is the
  // SDK's own multipart Upload with the same part size, next to the single PutObject above.
  const multipart = text(16 * MIB);
  cases.push({
    name: "set 16 MiB vs raw multipart Upload",
    baseline: () =>
      new Upload({
        client: s3,
        params: { Bucket: "bench", Key: "raw/upload", Body: Buffer.from(multipart) },
        partSize: 8 * MIB,
        queueSize: 4,
      }).done(),
    subject: () => write("upload", multipart),
  });
  printTable("S3StateBackend vs raw @aws-sdk/client-s3 (s3rver)", "raw SDK", await compare(cases, timeMs));
}
