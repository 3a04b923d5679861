/** What `flowstate config list --hide-sensitive` hides, and how. */
import { isCredentialName, redactSecrets, redactUrl } from "@flowstate/shared-state";

/** Shown instead of a credential's value, as Airflow's `config list --hide-sensitive` shows it. */
export const HIDDEN = "< hidden >";

// Airflow's options marked `sensitive: true` whose names `isCredentialName` does not catch.
const AIRFLOW_SENSITIVE_KEYS = new Set(["fernet_key", "sentry_dsn", "sql_alchemy_engine_args"]);

/** Whether the whole value of `key` is a credential (`jwt_secret`, `fernet_key`, `aws_secret_access_key`). */
export function isSensitiveKey(key: string): boolean {
  return isCredentialName(key) || AIRFLOW_SENSITIVE_KEYS.has(key);
}

/**
 * `value` of `key` safe to print: a credential's whole value hidden, a URL without its userinfo and
 * query (`postgresql://***@db:5432/airflow`), other text with credential-like parts masked (a
 * `state_backend_kwargs` JSON keeps its `"bucket"` and loses its `"secret_access_key"`).
 */
export function maskValue(key: string, value: string): string {
  if (value === "") return value;
  if (isSensitiveKey(key)) return HIDDEN;
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return redactUrl(value);
  return redactSecrets(value);
}
