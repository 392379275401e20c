import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ApiError, type ApiJob } from '../client.js';
import { ProgressBar, formatBytes } from '../progress-bar.js';
import { jobResultDir, resultPath } from '../result-path.js';
import { clientFrom, type ConnectionOptions } from './connection.js';

export interface SubmitOptions extends ConnectionOptions {
  frames?: string;
  framesCount?: string;
  framesFormat?: string;
  framesWidth?: string;
  fast?: boolean;
  thumbnail?: boolean;
  clips?: string;
  aspect?: string;
  fit?: string;
  zip?: boolean;
  mp4?: string | boolean;
  audio?: string;
  hls?: boolean;
  /** Raw output specs (JSON objects), for anything the shorthands do not cover. */
  output?: string[];
  /** `input.onDamage`: fail (the server's default) or warn. */
  onDamage?: string;
  out: string;
  wait: boolean;
}

function positive(v: string | undefined, name: string): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new ApiError(0, 'validation_failed', `${name} must be a positive number`);
  return n;
}

export function outputsFromOptions(opts: SubmitOptions): Record<string, unknown>[] {
  const outputs: Record<string, unknown>[] = [];
  if (opts.frames !== undefined || opts.framesCount !== undefined) {
    outputs.push({
      type: 'frames',
      ...(opts.framesCount !== undefined ? { count: positive(opts.framesCount, '--frames-count') } : { fps: positive(opts.frames, '--frames') }),
      ...(opts.framesFormat ? { format: opts.framesFormat } : {}),
      ...(opts.framesWidth ? { width: positive(opts.framesWidth, '--frames-width') } : {}),
      ...(opts.fast ? { mode: 'fast' } : {}),
    });
  }
  if (opts.thumbnail) outputs.push({ type: 'thumbnail' });
  if (opts.clips !== undefined) {
    outputs.push({
      type: 'clips',
      segmentSeconds: positive(opts.clips, '--clips'),
      ...(opts.aspect ? { aspect: opts.aspect } : {}),
      ...(opts.fit ? { fit: opts.fit } : {}),
      ...(opts.zip ? { archive: true } : {}),
      ...(opts.fast ? { mode: 'fast' } : {}),
    });
  } else if (opts.aspect || opts.fit || opts.zip) {
    throw new ApiError(0, 'validation_failed', '--aspect, --fit and --zip shape clips: add --clips <seconds>');
  }
  if (opts.mp4 !== undefined && opts.mp4 !== false) {
    outputs.push({ type: 'mp4', ...(typeof opts.mp4 === 'string' ? { height: positive(opts.mp4, '--mp4') } : {}) });
  }
  if (opts.audio !== undefined) outputs.push({ type: 'audio', format: opts.audio });
  if (opts.hls) outputs.push({ type: 'hls' });
  for (const raw of opts.output ?? []) {
    let spec: unknown;
    try {
      spec = JSON.parse(raw);
    } catch {
      throw new ApiError(0, 'validation_failed', `--output must be one output as JSON, e.g. '{"type":"gif","duration":3}' (got ${JSON.stringify(raw.slice(0, 60))})`);
    }
    if (typeof spec !== 'object' || spec === null || Array.isArray(spec)) {
      throw new ApiError(0, 'validation_failed', `--output must be one JSON object with a "type", e.g. '{"type":"gif","duration":3}'`);
    }
    outputs.push(spec as Record<string, unknown>);
  }
  return outputs;
}

export async function submitCommand(file: string, opts: SubmitOptions): Promise<void> {
  const client = clientFrom(opts);
  const outputs = outputsFromOptions(opts);

  let input: { uploadId: string; onDamage?: string } | { url: string; onDamage?: string };
  if (/^https?:\/\//i.test(file)) {
    // The server downloads it (with its own size limit and address checks).
    input = { url: file };
  } else {
    // Ask once with no body before sending the file: a wrong key or URL is told in a second,
    // not after the upload (the server refuses an unauthenticated body at once and closes the
    // connection rather than reading it, which a fetch mid-send only sees as "fetch failed").
    await client.request('GET', '/v1/jobs?limit=1');
    const up = new ProgressBar('upload  ');
    const upload = await client.upload(resolve(file), (sent, total) => up.update((sent / total) * 100, `${formatBytes(sent)} / ${formatBytes(total)}`));
    up.done(`${formatBytes(upload.size)} sha256 ${upload.sha256.slice(0, 12)}…`);
    input = { uploadId: upload.id };
  }

  if (opts.onDamage !== undefined) input.onDamage = opts.onDamage;
  let job = await client.request<ApiJob>('POST', '/v1/jobs', { input, outputs });
  console.error(`job ${job.id} queued (${outputs.length ? outputs.map((o) => o.type).join(', ') : 'metadata only'})`);
  if (!opts.wait) {
    console.log(JSON.stringify(job, null, 2));
    return;
  }
  const bar = new ProgressBar('process ');
  await client.follow(job.id, (type, data) => {
    if (type === 'progress') bar.update(data.progress, `${data.stage ?? ''}${data.etaSeconds != null ? `  ETA ${data.etaSeconds}s` : ''}`);
    if (type === 'status') {
      job = data as ApiJob;
      bar.update(data.progress, data.status === 'running' ? data.stage ?? '' : data.status);
    }
  });
  if (job.status !== 'succeeded') {
    bar.done(job.status);
    console.error(`job ${job.id} ${job.status}${job.error ? `: [${job.error.code}] ${job.error.message}` : ''}`);
    process.exitCode = 1;
    return;
  }
  bar.done('succeeded');
  // A success with warnings (a damaged source processed with --on-damage warn) is not a clean one.
  for (const w of job.warnings ?? []) console.error(`warning: [${w.code}] ${w.message}`);
  // Every target is checked before anything is written: a bad name saves nothing.
  const dir = jobResultDir(opts.out, job.id);
  const targets = job.outputs.flatMap((output, i) =>
    output.files.map((f) => ({ url: f.url, path: resultPath(opts.out, job.id, i, output.type, f.name) })),
  );
  await mkdir(dir, { recursive: true });
  await writeFile(join(dir, 'job.json'), JSON.stringify(job, null, 2));
  for (const t of targets) {
    await mkdir(dirname(t.path), { recursive: true });
    const bytes = await client.download(t.url, t.path);
    console.error(`saved ${t.path} (${formatBytes(bytes)})`);
  }
  console.log(dir);
}
