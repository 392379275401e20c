import { z } from 'zod';
import { DAMAGE_POLICIES } from './damage-policy.js';
import { framesOutputSchema } from './outputs/frames.spec.js';
import { thumbnailOutputSchema } from './outputs/thumbnail.spec.js';
import { hlsOutputSchema } from './outputs/hls.spec.js';
import { clipsOutputSchema } from './outputs/clips.spec.js';
import { mp4OutputSchema } from './outputs/mp4.spec.js';
import { audioOutputSchema } from './outputs/audio.spec.js';
import { gifOutputSchema, webpOutputSchema } from './outputs/animated.spec.js';
import { imageOutputSchema } from './outputs/image.spec.js';
import { retentionSchema } from './retention-spec.js';

export { framesOutputSchema, type FramesOutputSpec } from './outputs/frames.spec.js';
export { thumbnailOutputSchema, type ThumbnailOutputSpec } from './outputs/thumbnail.spec.js';
export { hlsOutputSchema, type HlsOutputSpec } from './outputs/hls.spec.js';
export { clipsOutputSchema, type ClipsOutputSpec } from './outputs/clips.spec.js';
export { mp4OutputSchema, type Mp4OutputSpec } from './outputs/mp4.spec.js';
export { audioOutputSchema, type AudioOutputSpec } from './outputs/audio.spec.js';
export { gifOutputSchema, webpOutputSchema, type GifOutputSpec, type WebpOutputSpec } from './outputs/animated.spec.js';
export { imageOutputSchema, type ImageOutputSpec } from './outputs/image.spec.js';

/**
 * The job request schema. The same zod schemas validate requests and generate the
 * OpenAPI document (src/http/openapi.ts), so the docs cannot drift from the behaviour.
 * Objects are strict: an unknown field is a 400 with its JSON path, not silently ignored.
 * Each output type has its own schema file in ./outputs/.
 */
export const outputSpecSchema = z.discriminatedUnion('type', [
  framesOutputSchema,
  thumbnailOutputSchema,
  hlsOutputSchema,
  clipsOutputSchema,
  mp4OutputSchema,
  audioOutputSchema,
  gifOutputSchema,
  webpOutputSchema,
  imageOutputSchema,
]);

/** A preset's name (src/domain/presets.ts): the built-ins and each account's own. */
export const presetNameSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,63}$/, 'lower-case letters, digits, dot, dash or underscore, 1–64, starting with a letter or digit');

/** Metadata is echoed on every read of the job: bounded, so a job stays small (≤ 50 × (64 + 1024) bytes). */
export const MAX_METADATA_KEYS = 50;

export const jobRequestSchema = z.strictObject({
  input: z
    .strictObject({
      uploadId: z.string().min(1).max(64).optional().describe('An upload made with POST /v1/uploads.'),
      url: z
        .string()
        .max(2048)
        .regex(/^https?:\/\/\S+$/i, 'an http(s) URL')
        .refine((v) => URL.canParse(v), 'not a valid URL')
        .optional()
        .describe('Or: an http(s) URL the worker downloads (public hosts only, unless allowlisted by the operator).'),
      onDamage: z
        .enum(DAMAGE_POLICIES)
        .optional()
        .describe(
          'A source whose data ends early, or that ffmpeg cannot decode cleanly: `fail` (the default) fails the job with `input_truncated` or `input_invalid`; ' +
            '`warn` makes what can be made from it and lists what happened in the job\'s `warnings`, with the real durations in each output\'s `result`.',
        ),
    })
    .superRefine((i, ctx) => {
      if (i.uploadId === undefined && i.url === undefined) ctx.addIssue({ code: 'custom', path: ['uploadId'], message: 'give exactly one of input.uploadId or input.url (neither was given)' });
      if (i.uploadId !== undefined && i.url !== undefined) ctx.addIssue({ code: 'custom', path: ['url'], message: 'give exactly one of input.uploadId or input.url, not both' });
    }),
  preset: presetNameSchema
    .optional()
    .describe("A preset's outputs (GET /v1/presets: the account's own and the built-ins), instead of or before `outputs`: the preset's come first, then the job's own."),
  outputs: z.array(outputSpecSchema).max(20).default([]),
  retention: retentionSchema
    .optional()
    .describe("How long this job's outputs are kept after it finished (`outputsSeconds`), and at most how long its upload's source is kept after it (`sourceSeconds`); left out: the upload's, then the account's, then the server's default."),
  metadata: z
    .record(z.string().min(1).max(64), z.union([z.string().max(1024), z.number(), z.boolean(), z.null()]))
    .refine((m) => Object.keys(m).length <= MAX_METADATA_KEYS, { message: `at most ${MAX_METADATA_KEYS} metadata keys` })
    .optional()
    .describe('Your own key/value pairs, echoed back on the job.'),
  maxAttempts: z.number().int().min(1).max(10).optional(),
  notify: z
    .strictObject({ email: z.string().max(254).describe('A plain address (dev@example.com): told when the job succeeds (with its download links) or fails (with the reason). 422 email_invalid, or email_not_configured when the server sends no e-mail.') })
    .optional()
    .describe("Who is told by e-mail when the job ends (docs/notifications.md#e-mail); left out: the account's notify address, if it has one."),
});

export type OutputSpec = z.infer<typeof outputSpecSchema>;
export type OutputType = OutputSpec['type'];
export type JobRequest = z.infer<typeof jobRequestSchema>;
