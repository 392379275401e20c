import { z } from 'zod';
import { jobRequestSchema, outputSpecSchema, presetNameSchema } from './job-spec.js';

/**
 * What an upload asks to be made of it once it is complete (docs/lifecycle.md "Processing
 * that starts on upload"): a job request without its input, which is the upload itself.
 * The same schemas as a job's: a spec an upload takes is one a job takes.
 */
export const processSpecSchema = z
  .strictObject({
    preset: presetNameSchema.optional().describe("A preset's outputs (the account's own or a built-in), before `outputs`."),
    outputs: z.array(outputSpecSchema).max(20).optional(),
    metadata: jobRequestSchema.shape.metadata,
    notify: jobRequestSchema.shape.notify,
  })
  .superRefine((p, ctx) => {
    if (p.preset === undefined && !(p.outputs?.length)) ctx.addIssue({ code: 'custom', path: ['preset'], message: 'give `preset` or `outputs` (or both): what to make of the upload' });
  });

export type ProcessSpec = z.infer<typeof processSpecSchema>;

/** Why an upload's job could not be made at its completion (a quota, a preset deleted since): the upload stays ready. */
export interface ProcessError {
  code: string;
  message: string;
}

/** The job request an upload's `process` stands for. */
export function processJobRequest(spec: ProcessSpec, uploadId: string): unknown {
  return { input: { uploadId }, preset: spec.preset, outputs: spec.outputs ?? [], metadata: spec.metadata, notify: spec.notify };
}
