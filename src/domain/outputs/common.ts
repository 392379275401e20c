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

/**
 * HLS and MP4: whether a long video is encoded as GOP-aligned chunks and stitched
 * (docs/hls.md#chunking). `{ "seconds": n }` asks for chunks of about n seconds (rounded up
 * to whole segments) whatever the source's length.
 */
export const chunkingOption = z
  .union([z.enum(['auto', 'off']), z.strictObject({ seconds: z.number().int().min(2).max(3600).describe('Chunk length in seconds, rounded up to whole segments.') })], {
    error: 'chunking is "auto", "off" or { "seconds": n } with n a whole number of seconds, 2…3600',
  })
  .default('auto')
  .describe('auto: split a video longer than MEDIAFORGE_CHUNK_MIN_SECONDS once chunks spread across workers (until then, unchunked); off: never; { "seconds": n }: chunks of about n seconds.');
