import { z } from 'zod';

/** The `retention` field of uploads and jobs (src/domain/retention.ts has the rules that use it). */
export const MAX_RETENTION_SECONDS = 10 * 365 * 86_400;

const seconds = z
  .number()
  .int()
  .min(0)
  .max(MAX_RETENTION_SECONDS)
  .nullable()
  .optional();

export const retentionSchema = z.strictObject({
  sourceSeconds: seconds.describe('Keep the source this long: on an upload, after it was stored; on a job, at most this long after the job finished (0: at the next sweep after it). null: until deleted.'),
  outputsSeconds: seconds.describe("Keep the job's output files this long after the job finished; on an upload, the default of its jobs. null: until deleted."),
});

export type Retention = z.infer<typeof retentionSchema>;
