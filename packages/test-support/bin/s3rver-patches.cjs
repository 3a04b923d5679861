// Fixes of s3rver 3.7.1 that flowstate's tests rely on, applied to its FilesystemStore when this
// module is required (before the server starts). Required by bin/s3rver-child.cjs and by the
// integrity tests' own launcher.
"use strict";

const { createHash } = require("node:crypto");
const { createWriteStream } = require("node:fs");
const { mkdir, unlink, writeFile } = require("node:fs/promises");
const { dirname, join } = require("node:path");
const { Readable, Transform } = require("node:stream");
const { pipeline } = require("node:stream/promises");

const FilesystemStore = require("s3rver/lib/stores/filesystem.js");

// s3rver 3.7.1 removes a key's directory once its last object is deleted. A PUT into that
// directory at the same moment (versioned objects of one key share it) then fails to open its
// file, and the unhandled stream error kills the server. Delete the files only; an empty
// directory lists nothing.
FilesystemStore.prototype.deleteObject = async function deleteObject(bucket, key) {
  await Promise.all(
    ["object", "object.md5", "metadata.json"].map((resource) =>
      unlink(this.getResourcePath(bucket, key, resource)).catch((error) => {
        if (error.code !== "ENOENT") throw error;
      }),
    ),
  );
};

// s3rver 3.7.1 answers a PUT (and an uploaded part) before its file is written: a GET right after
// may read it empty or cut short, and a multipart upload may be completed from short parts.
// Answer once the file is closed, as a real store does.
async function writeWhole(content, path) {
  await mkdir(dirname(path), { recursive: true });
  const md5 = createHash("md5");
  let size = 0;
  const measure = new Transform({
    transform(chunk, _encoding, callback) {
      md5.update(chunk);
      size += chunk.length;
      callback(null, chunk);
    },
  });
  const source = Buffer.isBuffer(content) ? Readable.from([content]) : content;
  await pipeline(source, measure, createWriteStream(path));
  return { size, md5: md5.digest("hex") };
}

FilesystemStore.prototype.putObject = async function putObject(object) {
  const written = await writeWhole(object.content, this.getResourcePath(object.bucket, object.key, "object"));
  await this.putMetadata(object.bucket, object.key, object.metadata, written.md5);
  return written;
};

FilesystemStore.prototype.putPart = async function putPart(bucket, uploadId, partNumber, content) {
  const path = join(this.getResourcePath(bucket, undefined, "uploads"), uploadId, String(partNumber));
  const written = await writeWhole(content, path);
  await writeFile(`${path}.md5`, written.md5);
  return written;
};
