import { BULK_EXPORT_JOB } from "./features/bulk-export/kick-off-export";
import { handleBulkExportJob } from "./features/bulk-export/run-export-job";
import { handleReindexJob, REINDEX_JOB } from "./features/fhir/reindex/run-reindex-job";
import { handleTerminologyJob, TERMINOLOGY_JOB_TYPES } from "./features/terminology";
import { logError, logEvent } from "./platform/logging";

/** A message on the JOBS queue. Each feature owns its `type` values and its handler. */
export interface JobMessage {
  type: string;
  [k: string]: unknown;
}

type JobHandler = (env: Env, job: JobMessage) => Promise<void>;

/** Registry of job handlers by message type; features add theirs here. */
const handlers: Record<string, JobHandler> = {
  [BULK_EXPORT_JOB]: handleBulkExportJob,
  [REINDEX_JOB]: handleReindexJob,
};
for (const t of TERMINOLOGY_JOB_TYPES) handlers[t] = handleTerminologyJob;

export function isJobMessage(x: unknown): x is JobMessage {
  return typeof x === "object" && x !== null && typeof (x as { type?: unknown }).type === "string";
}

/**
 * Queue consumer: each message is acked on success and retried (with the queue's backoff) on failure.
 * Unknown types are acked and logged, so a bad message cannot loop forever.
 */
export async function handleJobs(batch: MessageBatch<unknown>, env: Env, _ctx: ExecutionContext): Promise<void> {
  for (const msg of batch.messages) {
    const job = msg.body;
    if (!isJobMessage(job) || !handlers[job.type]) {
      logEvent("job_unknown", { id: msg.id });
      msg.ack();
      continue;
    }
    try {
      await handlers[job.type]!(env, job);
      msg.ack();
    } catch (err) {
      logError(`job:${msg.id}`, err);
      msg.retry();
    }
  }
}
