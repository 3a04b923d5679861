// What the parent and its worker processes say to each other over the IPC channel.
import type { TaskInstanceInfo } from "@flowstate/sdk";

/** The asset every partition advances the watermark of. */
export const ASSET = { name: "events", uri: "s3://lake/events" };

/** parent → worker: run this task instance with this token (crashing after a step), or exit. */
export type Order = { run: TaskInstanceInfo; token: string; failAfterStep?: number } | { exit: true };

interface Who {
  worker: string;
  tiId: string;
  mapIndex: number;
  tryNumber: number;
}
/** worker → parent: a write that returned, or how a try ended (and what it found). */
export type Report = (Who & { key: string; wrote: string }) | DoneReport;
export type DoneReport = Who & { done: string; saw: string | null; via: string };
