import { z } from 'zod';
import { chunkingOption, deinterlaceMode, deinterlaceRate } from './common.js';

export const x264Preset = z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow']);

export const mp4OutputSchema = z
  .strictObject({
    type: z.literal('mp4'),
    height: z.number().int().min(16).max(4320).optional().describe('Scale down to this height (never upscales); width keeps the aspect ratio.'),
    crf: z.number().int().min(0).max(51).optional().describe('x264 constant quality (default 23); lower is better and larger.'),
    bitrate: z.number().int().min(100).max(200_000).optional().describe('Target video bitrate in kbit/s, instead of crf.'),
    preset: x264Preset.default('veryfast').describe('x264 speed/size trade-off.'),
    audioBitrate: z.number().int().min(32).max(512).default(128).describe('AAC bitrate in kbit/s when audio is re-encoded.'),
    deinterlace: deinterlaceMode,
    deinterlaceRate,
    chunking: chunkingOption,
  })
  .superRefine((value, ctx) => {
    if (value.crf !== undefined && value.bitrate !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['bitrate'], message: 'give crf or bitrate, not both' });
    }
  });

export type Mp4OutputSpec = z.infer<typeof mp4OutputSchema>;
