import { ENCODING_METADATA_KEY } from "@flowstate/object-storage-backend";

// The encoding marker is kept twice: in the object's custom metadata (what every version reads),
// and as a parameter of its Content-Type, which every GCS-API server sends back with the bytes.
// Google's servers also send custom metadata as `x-goog-meta-*` headers of a media download, but
// the firebase emulator does not: the parameter lets one request read an object on both.
const PARAMETER = "flowstate-encoding";
const PARAMETER_PATTERN = /;\s*flowstate-encoding=([A-Za-z0-9_-]{1,40})\s*(?:;|$)/;
const CUSTOM_HEADER = "x-goog-meta-";

/** `contentType` with the encoding marker as a parameter, e.g. `application/gzip; flowstate-encoding=gzip`. */
export function markedContentType(contentType: string, metadata: Record<string, string>): string {
  const encoding = metadata[ENCODING_METADATA_KEY];
  return encoding === undefined ? contentType : `${contentType}; ${PARAMETER}=${encoding}`;
}

/**
 * The custom metadata a media download's headers tell, when they tell the encoding marker: the
 * `x-goog-meta-*` headers (Google's servers), else the Content-Type parameter (objects written by
 * this version). `undefined` when neither does: an object written before, or by another tool, on
 * a server that does not send custom metadata headers; its metadata must be asked for.
 */
export function metadataFromHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): Record<string, string> | undefined {
  const custom: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (name.startsWith(CUSTOM_HEADER) && typeof value === "string") {
      custom[name.slice(CUSTOM_HEADER.length)] = value;
    }
  }
  if (custom[ENCODING_METADATA_KEY] !== undefined) return custom;
  const contentType = headers["content-type"];
  const marked = typeof contentType === "string" ? PARAMETER_PATTERN.exec(contentType)?.[1] : undefined;
  return marked === undefined ? undefined : { ...custom, [ENCODING_METADATA_KEY]: marked };
}
