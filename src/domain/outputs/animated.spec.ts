import { z } from 'zod';
import { deinterlaceMode } from './common.js';
import { timecode } from './timecode.js';

const previewFields = {
  start: timecode.default(0).describe('Where the preview starts in the source.'),
  duration: z.number().positive().max(30).default(3).describe('Seconds of source in the preview.'),
  width: z.number().int().min(16).max(1280).default(480).describe('Output width (never wider than the source); height keeps the aspect ratio.'),
  fps: z.number().positive().max(30).default(10).describe('Frames per second of the preview.'),
  deinterlace: deinterlaceMode,
};

/** A short looping GIF, encoded with a palette generated from its own frames. */
export const gifOutputSchema = z.strictObject({ type: z.literal('gif'), ...previewFields });

/** A short looping animated WebP (lossy, full colour). */
export const webpOutputSchema = z.strictObject({
  type: z.literal('webp'),
  ...previewFields,
  quality: z.number().int().min(1).max(100).default(75).describe('1 (smallest) to 100 (best).'),
});

export type GifOutputSpec = z.infer<typeof gifOutputSchema>;
export type WebpOutputSpec = z.infer<typeof webpOutputSchema>;
export type AnimatedOutputSpec = GifOutputSpec | WebpOutputSpec;
