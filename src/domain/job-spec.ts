import { z } from 'zod';

/**
 * The job request schema. The same zod schemas validate requests and generate the
 * OpenAPI document (src/http/openapi.ts), so the docs cannot drift from the behaviour.
 * Objects are strict: an unknown field is a 400 with its JSON path, not silently ignored.
 */
const imageFormat = z.enum(['jpg', 'png', 'webp']);
const seconds = z.number().finite().min(0).max(86_400 * 7);

export const framesOutputSchema = z
  .strictObject({
    type: z.literal('frames'),
    fps: z.number().positive().max(120).optional().describe('Frames per second of source time.'),
    interval: z.number().positive().max(86_400).optional().describe('Seconds between frames.'),
    count: z.number().int().min(1).max(100_000).optional().describe('Frames evenly spread over the duration.'),
    times: z.array(seconds).min(1).max(10_000).optional().describe('Exact times (seconds) to extract.'),
    format: imageFormat.default('jpg'),
    width: z.number().int().min(16).max(7680).optional().describe('Output width; height keeps the aspect ratio.'),
    quality: z.number().int().min(1).max(100).optional().describe('1 (smallest) to 100 (best).'),
    mode: z
      .enum(['accurate', 'fast'])
      .default('accurate')
      .describe('accurate decodes every frame; fast decodes keyframes only (times snap to keyframes).'),
  })
  .superRefine((value, ctx) => {
    const chosen = (['fps', 'interval', 'count', 'times'] as const).filter((k) => value[k] !== undefined);
    if (chosen.length !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `give exactly one of fps, interval, count or times (got ${chosen.length === 0 ? 'none' : chosen.join(', ')})`,
      });
    }
  });

export const thumbnailOutputSchema = z.strictObject({
  type: z.literal('thumbnail'),
  time: seconds.optional().describe('Take the frame at this time instead of choosing a representative one.'),
  width: z.number().int().min(16).max(7680).optional(),
  format: imageFormat.default('jpg'),
  quality: z.number().int().min(1).max(100).optional(),
});

export const outputSpecSchema = z.discriminatedUnion('type', [framesOutputSchema, thumbnailOutputSchema]);

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

export type FramesOutputSpec = z.infer<typeof framesOutputSchema>;
export type ThumbnailOutputSpec = z.infer<typeof thumbnailOutputSchema>;
export type OutputSpec = z.infer<typeof outputSpecSchema>;
export type OutputType = OutputSpec['type'];
export type JobRequest = z.infer<typeof jobRequestSchema>;
