import { z } from 'zod';
import { deinterlaceMode, imageFormat, seconds } from './common.js';

export const thumbnailOutputSchema = z.strictObject({
  type: z.literal('thumbnail'),
  time: seconds.optional().describe('Take the frame at this time instead of choosing a representative one.'),
  width: z.number().int().min(16).max(7680).optional(),
  format: imageFormat.default('jpg'),
  quality: z.number().int().min(1).max(100).optional(),
  deinterlace: deinterlaceMode,
});

export type ThumbnailOutputSpec = z.infer<typeof thumbnailOutputSchema>;
