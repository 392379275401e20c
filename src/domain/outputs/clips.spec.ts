import { z } from 'zod';
import { deinterlaceMode, deinterlaceRate } from './common.js';
import { timecode, toSeconds } from './timecode.js';

export const MAX_CLIPS = 1000;

export const clipAspect = z.enum(['source', '9:16', '1:1', '4:5']);
export const clipFit = z.enum(['crop', 'pad']);

const clipRange = z.strictObject({
  start: timecode,
  end: timecode,
  name: z.string().min(1).max(100).optional().describe('Your label for this clip; echoed in series.json (file names stay clip-001.mp4 …).'),
});

export const clipsOutputSchema = z
  .strictObject({
    type: z.literal('clips'),
    start: timecode.optional().describe('Trim: where the usable range starts (default 0).'),
    end: timecode.optional().describe('Trim: where the usable range ends (default: the end of the input).'),
    segmentSeconds: z.number().min(0.5).max(86_400).optional().describe('Split the trimmed range into clips of this length; the last one is shorter.'),
    ranges: z.array(clipRange).min(1).max(MAX_CLIPS).optional().describe('Explicit clips, each with its own start and end.'),
    mode: z
      .enum(['accurate', 'fast'])
      .default('accurate')
      .describe('accurate re-encodes and cuts exactly to the frame; fast copies the streams and cuts at keyframes (the result reports the real times).'),
    aspect: clipAspect.default('source').describe('Output aspect ratio; 9:16 for vertical shorts.'),
    fit: clipFit.default('crop').describe('crop: centre crop; pad: fit the whole picture over a background.'),
    background: z.enum(['blur', 'black']).default('blur').describe('Background of `fit: pad`.'),
    height: z.number().int().min(16).max(4320).optional().describe('Exact output height (may upscale), e.g. 1920 for 1080×1920.'),
    maxHeight: z.number().int().min(16).max(4320).optional().describe('Scale down to at most this height; never upscales.'),
    crf: z.number().int().min(0).max(51).default(20).describe('x264 quality (accurate mode): lower is better and larger.'),
    preset: z.enum(['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium', 'slow']).default('veryfast'),
    archive: z.boolean().default(false).describe('Also store every clip in one clips.zip.'),
    deinterlace: deinterlaceMode.describe('auto: deinterlace an interlaced source (accurate mode; fast mode copies the streams as they are); on: always (accurate mode only); off: never.'),
    deinterlaceRate,
  })
  .superRefine((value, ctx) => {
    if (value.segmentSeconds !== undefined && value.ranges !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['ranges'], message: 'give either segmentSeconds or ranges, not both' });
    }
    if (value.ranges !== undefined && (value.start !== undefined || value.end !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['ranges'], message: 'ranges carry their own start and end; drop the top-level start/end' });
    }
    if (value.mode === 'fast' && (value.aspect !== 'source' || value.height !== undefined || value.maxHeight !== undefined)) {
      ctx.addIssue({ code: 'custom', path: ['mode'], message: 'fast mode copies the streams, so it cannot change aspect or size; use mode "accurate"' });
    }
    if (value.mode === 'fast' && (value.deinterlace === 'on' || value.deinterlaceRate === 'field')) {
      ctx.addIssue({ code: 'custom', path: ['deinterlace'], message: 'fast mode copies the streams, so it cannot deinterlace; use mode "accurate"' });
    }
    const start = value.start !== undefined ? toSecondsSafe(value.start) : 0;
    const end = value.end !== undefined ? toSecondsSafe(value.end) : null;
    if (start !== null && end !== null && end <= start) ctx.addIssue({ code: 'custom', path: ['end'], message: 'end must be after start' });
    value.ranges?.forEach((r, i) => {
      const [s, e] = [toSecondsSafe(r.start), toSecondsSafe(r.end)];
      if (s !== null && e !== null && e <= s) ctx.addIssue({ code: 'custom', path: ['ranges', i, 'end'], message: 'end must be after start' });
    });
  });

function toSecondsSafe(v: number | string): number | null {
  try {
    return toSeconds(v);
  } catch {
    return null;
  }
}

export type ClipsOutputSpec = z.infer<typeof clipsOutputSchema>;
