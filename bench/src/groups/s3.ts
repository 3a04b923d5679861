// S3StateBackend's hooks against the raw AWS SDK on the same s3rver: every serialize writes a new
// version (one PutObject), every deserialize reads the version its reference names (one GetObject).
// The raw side does the same requests on the same objects: what is left is flowstate's own work.
import { GetObjectCommand, HeadObjectCommand, PutObjectCommand } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import { type Comparison, compare, printTable } from "../compare.js";
import { type BenchContext, benchScope, KIB, MIB, objectNameOf, text } from "../context.js";

export async function runS3Group({ s3, backend, timeMs }: BenchContext): Promise<void> {
  const write = (key: string, body: string) =>
    backend.serializeTaskStateToRef({ value: body, key, tiId: "bench", scope: benchScope });

  const cases: Comparison[] = [];
  for (const [label, bytes] of [
    ["1 KiB", KIB],
    ["1 MiB", MIB],
    ["16 MiB (multipart)", 16 * MIB],
  ] as const) {
    const value = text(bytes);
    const ref = await write(label, value);
    // Like for like: the raw side reads the very object the reference names, and writes new
    // objects beside the backend's versions (s3rver keeps an object as folders along its key, so
    // a shorter key would be cheaper to reach and the comparison would favour the raw side).
    const name = objectNameOf(ref, "bench");
    const versions = name.slice(0, name.lastIndexOf("/") + 1);
    // …with the content type and user metadata the backend's objects carry (s3rver keeps metadata
    // in a file of its own, so a bare PutObject would do less work on the server).
    const { ContentType, Metadata } = await s3.send(new HeadObjectCommand({ Bucket: "bench", Key: name }));
    let written = 0;
    const target = bytes === KIB ? { maxRatio: 1.1 } : undefined;
    cases.push(
      {
        name: `set ${label}`,
        baseline: () =>
          s3.send(
            new PutObjectCommand({
              Bucket: "bench",
              Key: `${versions}raw-${++written}`,
              Body: value,
              ContentType,
              Metadata,
            }),
          ),
        subject: () => write(label, value),
        target,
      },
      {
        name: `get ${label}`,
        baseline: async () =>
          (await s3.send(new GetObjectCommand({ Bucket: "bench", Key: name }))).Body?.transformToString(),
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
