import { z } from 'zod';

export const imageOutputSchema = z.strictObject({
  type: z.literal('image'),
  width: z.number().int().min(1).max(16_384).optional().describe('Box width; with neither width nor height the size is kept.'),
  height: z.number().int().min(1).max(16_384).optional().describe('Box height.'),
  fit: z
    .enum(['contain', 'cover', 'fill'])
    .default('contain')
    .describe('contain: inside the box, aspect kept, never enlarged; cover: fills the box, centre-cropped; fill: stretched to the box. cover and fill need both width and height.'),
  format: z.enum(['jpg', 'png', 'webp', 'avif']).default('jpg'),
  quality: z.number().int().min(1).max(100).optional().describe('1 (smallest) to 100 (best).'),
});

export type ImageOutputSpec = z.infer<typeof imageOutputSchema>;
