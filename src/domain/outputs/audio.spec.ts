import { z } from 'zod';

export const audioOutputSchema = z.strictObject({
  type: z.literal('audio'),
  format: z.enum(['mp3', 'm4a', 'wav']).default('m4a').describe('mp3 (LAME), m4a (AAC; copied when the source is already AAC) or wav (16-bit PCM).'),
  bitrate: z.number().int().min(32).max(320).optional().describe('kbit/s for mp3 and m4a (default 192 and 160); forces m4a to re-encode.'),
});

export type AudioOutputSpec = z.infer<typeof audioOutputSchema>;
