import { z } from 'zod';
import { chunkingOption, deinterlaceMode, deinterlaceRate } from './common.js';

/**
 * Adaptive HLS: one upload becomes a ladder of H.264/AAC renditions, a master playlist,
 * a poster and a storyboard. Heights name the rung's short side, so `720` is 1280×720
 * for a landscape source and 720×1280 for a portrait one.
 */
export const hlsOutputSchema = z
  .strictObject({
    type: z.literal('hls'),
    renditions: z
      .union([z.literal('auto'), z.array(z.number().int().min(144).max(2160)).min(1).max(6)])
      .default('auto')
      .describe('"auto" (a ladder derived from the source) or rung heights such as [1080, 720, 480, 360]; rungs above the source are left out, never upscaled.'),
    segmentSeconds: z.number().int().min(1).max(12).default(4).describe('Target segment length; keyframes are placed exactly on these boundaries.'),
    segmentType: z.enum(['fmp4', 'ts']).default('fmp4'),
    poster: z.boolean().default(true).describe('A representative poster image (poster.jpg).'),
    storyboard: z.boolean().default(true).describe('A thumbnail sprite (storyboard.jpg) and a WebVTT file (storyboard.vtt) with #xywh cues for seek previews.'),
    deinterlace: deinterlaceMode,
    deinterlaceRate,
    chunking: chunkingOption,
  })
  .superRefine((value, ctx) => {
    if (Array.isArray(value.renditions) && new Set(value.renditions).size !== value.renditions.length) {
      ctx.addIssue({ code: 'custom', path: ['renditions'], message: 'rendition heights must be distinct' });
    }
  });

export type HlsOutputSpec = z.infer<typeof hlsOutputSchema>;
