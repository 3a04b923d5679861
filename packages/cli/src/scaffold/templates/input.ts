/** What every template of a scaffolded backend package is filled in from. */
export interface BackendTemplateInput {
  /** The npm package name, e.g. `flowstate-backend-redis` or `@acme/flowstate-backend-redis`. */
  name: string;
  /** The exported backend class, e.g. `RedisStateBackend`: the class path is `<name>.<className>`. */
  className: string;
  /** The scheme of the references the backend writes, without `://`, e.g. `redis`. */
  scheme: string;
}
