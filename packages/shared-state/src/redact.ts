/**
 * Keeping secrets out of what flowstate says. Every `FlowstateError` message and `ConfigError`
 * value passes through {@link redactSecrets}; backends show endpoints with {@link redactUrl} and
 * keep storage-client errors as causes only through {@link sanitizedCause}, since client errors
 * carry request headers, signing details and access key ids that `console.error(err)` would print.
 */

/** Option and field names that hold credentials: their values are never shown. */
const CREDENTIAL_NAME =
  /secret|passw(?:or)?d|\bpwd|token|credential|signature|api[_-]?key|access[_-]?key|private[_-]?key|session[_-]?key|auth/i;

const REDACTED = "***";
// `scheme://user:pass@host`: the userinfo, up to the last `@` before the host ends.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^\s/?#"<>`]*@/gi;
// `scheme://host/path?query#fragment`: the query and fragment, which carry pre-signed tokens.
const URL_QUERY = /\b([a-z][a-z0-9+.-]*:\/\/[^\s?#"'<>`]*)[?#][^\s"'<>`]*/gi;
// `secret_access_key=abc`, `token: abc`, and quoted `"password": "a b,c"` / `secret='a b'` whole,
// up to the closing quote (or the end of a cut message).
const CREDENTIAL_PAIR = new RegExp(
  `([A-Za-z0-9_.-]*(?:${CREDENTIAL_NAME.source})[A-Za-z0-9_.-]*)("?\\s*[:=]\\s*)("(?:\\\\.|[^"\\\\])*"?|'(?:\\\\.|[^'\\\\])*'?|(?:\\\\.|[^\\s"',;&}\\]])+)`,
  "gi",
);
// AWS access key ids (AKIA… long-term, ASIA… temporary, and the other principal id prefixes).
const AWS_KEY_ID = /\b(?:AKIA|ASIA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[A-Z0-9]{12,}\b/g;
// `Authorization: Bearer …` / `Basic …`.
const AUTH_SCHEME = /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/g;

/** Whether an option or field name is one whose value is a credential (`secretAccessKey`, `password`, `token`…). */
export function isCredentialName(name: string): boolean {
  return CREDENTIAL_NAME.test(name);
}

/**
 * `text` with URL userinfo, URL query strings and fragments, values of credential-like
 * `name=value` / `"name": "value"` pairs, AWS access key ids and HTTP auth tokens replaced by `***`.
 */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_USERINFO, `$1${REDACTED}@`)
    .replace(URL_QUERY, `$1?${REDACTED}`)
    .replace(AUTH_SCHEME, `$1 ${REDACTED}`)
    .replace(CREDENTIAL_PAIR, (_pair, name: string, separator: string, value: string) => {
      const quote = value[0] === '"' || value[0] === "'" ? value[0] : "";
      return `${name}${separator}${quote}${REDACTED}${quote}`;
    })
    .replace(AWS_KEY_ID, REDACTED);
}

/**
 * A URL as messages may show it: scheme, host, port and path, without userinfo, query or
 * fragment. Not a URL: {@link redactSecrets} of the text.
 */
export function redactUrl(url: string): string {
  if (!URL.canParse(url)) return redactSecrets(url);
  const parsed = new URL(url);
  const hidden = parsed.username || parsed.password ? `${REDACTED}@` : "";
  const query = parsed.search || parsed.hash ? `?${REDACTED}` : "";
  const path = parsed.pathname === "/" && !url.endsWith("/") ? "" : parsed.pathname;
  return `${parsed.protocol}//${hidden}${parsed.host}${path}${query}`;
}

const MAX_MESSAGE = 300;
const MAX_CAUSE_DEPTH = 3;

/**
 * A plain `Error` with what `error` says — its name, its message (redacted, cut at 300
 * characters), its string or numeric `code`, its HTTP status and its causes, likewise — and
 * nothing else: no request, response, headers, config or credentials. Use it for every storage
 * client error kept as a `cause`.
 */
export function sanitizedCause(error: unknown, depth = 0): Error {
  const record = (typeof error === "object" && error !== null ? error : {}) as Record<string, unknown>;
  const message = typeof record.message === "string" ? record.message : String(error);
  const copy = new Error(
    redactSecrets(message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message),
  );
  const name = typeof record.name === "string" && record.name !== "" ? record.name : "Error";
  copy.name = name;
  const code = record.code ?? record.Code;
  if (typeof code === "string" || typeof code === "number") Object.assign(copy, { code });
  const status = statusOf(record);
  if (status !== undefined) Object.assign(copy, { status });
  const reasons = reasonsOf(record.errors);
  if (reasons.length > 0) Object.assign(copy, { reasons });
  if (record.cause !== undefined && depth < MAX_CAUSE_DEPTH) {
    Object.assign(copy, { cause: sanitizedCause(record.cause, depth + 1) });
  }
  // The stack names flowstate's frames, not the client's: the original stack may quote the request.
  copy.stack = `${name}: ${copy.message}`;
  return copy;
}

// Google API errors list `{ reason }` objects: the reasons say what failed, and hold no secret.
function reasonsOf(errors: unknown): string[] {
  if (!Array.isArray(errors)) return [];
  return errors.flatMap((e) => (typeof e?.reason === "string" ? [e.reason as string] : []));
}

function statusOf(record: Record<string, unknown>): number | undefined {
  const metadata = record.$metadata as { httpStatusCode?: unknown } | undefined;
  const response = record.response as { status?: unknown } | undefined;
  for (const candidate of [record.status, record.statusCode, metadata?.httpStatusCode, response?.status]) {
    if (typeof candidate === "number" && candidate >= 100 && candidate < 600) return candidate;
  }
  return undefined;
}
