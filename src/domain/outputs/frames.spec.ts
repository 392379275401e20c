import { z } from 'zod';
import { deinterlaceMode, imageFormat, seconds } from './common.js';

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
    deinterlace: deinterlaceMode,
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

export type FramesOutputSpec = z.infer<typeof framesOutputSchema>;
