import { z } from 'zod';
import { outputSpecSchema, presetNameSchema } from './job-spec.js';

export { presetNameSchema };

/**
 * Presets: named lists of outputs a job takes with `"preset": "name"` (docs/lifecycle.md).
 * An account's own presets are rows (src/ports/lifecycle.port.ts); the built-ins below are
 * read-only and the same for every account. A preset is validated with the job spec's output
 * schema when it is saved and again when a job uses it, so a preset saved under an older
 * schema that the current one refuses fails the job's request (`preset_invalid`), not a worker.
 */
export const MAX_OUTPUTS = 20;

const description = z.string().max(500).optional().describe('For people: what the preset is for.');

/** The outputs as they are stored: as given (defaults are applied when a job uses the preset). */
export const presetOutputsSchema = z.array(outputSpecSchema).min(1, 'a preset has at least one output').max(MAX_OUTPUTS);

export const presetCreateSchema = z.strictObject({ name: presetNameSchema, outputs: presetOutputsSchema, description });
export const presetReplaceSchema = z.strictObject({ outputs: presetOutputsSchema, description });

export interface PresetRecord {
  name: string;
  description: string | null;
  /** The outputs as given when saved (JSON as sent, checked against the output schema). */
  outputs: unknown[];
  createdAt: number;
  updatedAt: number;
}

/** The built-in presets; their names cannot be taken, changed or deleted by an account. */
export const BUILT_IN_PRESETS: readonly PresetRecord[] = [
  {
    name: 'lms-hls',
    description: 'Adaptive HLS for course video: the automatic ladder (rungs above the source left out), 4 s fMP4 segments, a poster and a storyboard sprite with WebVTT.',
    outputs: [{ type: 'hls', renditions: 'auto', segmentSeconds: 4, segmentType: 'fmp4', poster: true, storyboard: true }],
  },
  {
    name: 'frames-1fps',
    description: 'One JPEG frame per second of source, in frames.zip with manifest.json.',
    outputs: [{ type: 'frames', fps: 1, format: 'jpg' }],
  },
  {
    name: 'shorts-9x16-60s',
    description: 'A vertical 9:16 MP4 of the first 60 s (shorter sources: all of it), centre-cropped, at most 1920 pixels high (never upscaled).',
    outputs: [{ type: 'clips', start: 0, end: 60, aspect: '9:16', fit: 'crop', maxHeight: 1920, mode: 'accurate' }],
  },
  {
    name: 'web-mp4-720',
    description: 'An H.264/AAC MP4 for the web, scaled down to 720 lines (never up), quality 23.',
    outputs: [{ type: 'mp4', height: 720, crf: 23 }],
  },
].map((p) => ({ ...p, createdAt: 0, updatedAt: 0 }));

export function builtInPreset(name: string): PresetRecord | null {
  return BUILT_IN_PRESETS.find((p) => p.name === name) ?? null;
}
