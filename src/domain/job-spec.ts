import { z } from 'zod';
import { framesOutputSchema } from './outputs/frames.spec.js';
import { thumbnailOutputSchema } from './outputs/thumbnail.spec.js';

export { framesOutputSchema, type FramesOutputSpec } from './outputs/frames.spec.js';
export { thumbnailOutputSchema, type ThumbnailOutputSpec } from './outputs/thumbnail.spec.js';

/**
 * The job request schema. The same zod schemas validate requests and generate the
 * OpenAPI document (src/http/openapi.ts), so the docs cannot drift from the behaviour.
 * Objects are strict: an unknown field is a 400 with its JSON path, not silently ignored.
 * Each output type has its own schema file in ./outputs/.
 */
export const outputSpecSchema = z.discriminatedUnion('type', [
  framesOutputSchema,
  thumbnailOutputSchema,
]);

export const jobRequestSchema = z.strictObject({
  input: z.strictObject({
    uploadId: z.string().min(1).max(64),
  }),
  outputs: z.array(outputSpecSchema).max(20).default([]),
  metadata: z
    .record(z.string().max(64), z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]))
    .optional()
    .describe('Your own key/value pairs, echoed back on the job.'),
  maxAttempts: z.number().int().min(1).max(10).optional(),
});

export type OutputSpec = z.infer<typeof outputSpecSchema>;
export type OutputType = OutputSpec['type'];
export type JobRequest = z.infer<typeof jobRequestSchema>;
