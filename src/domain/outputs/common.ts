import { z } from 'zod';

/** Building blocks shared by the output schemas. */
export const imageFormat = z.enum(['jpg', 'png', 'webp']);
export const seconds = z.number().finite().min(0).max(86_400 * 7);

/** Outputs that take video frames say whether to deinterlace them (see docs/clips-and-renditions.md#interlaced-sources). */
export const deinterlaceMode = z
  .enum(['auto', 'on', 'off'])
  .default('auto')
  .describe('auto: deinterlace when the source is interlaced (its field order, or a short idet scan when the field order is unknown); on: always; off: never.');

/** For outputs that are video: the rate of a deinterlaced output. */
export const deinterlaceRate = z
  .enum(['frame', 'field'])
  .default('frame')
  .describe('frame: one output frame per source frame (25i → 25p); field: one per field (25i → 50p, smoother motion, twice the frames).');
