import { open } from 'node:fs/promises';
import type { TruncationFacts } from '../domain/damage.js';
import { DamageVerdict } from '../domain/damage.js';
import { DomainError, isDomainError } from '../domain/errors.js';
import type { MediaMetadata } from '../domain/media.js';
import { sniffForbiddenText, type MediaLimits } from '../ffmpeg/probe.js';
import { inspectTruncation } from '../ffmpeg/source-integrity.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import { probeInput } from './input.probe.js';

export interface ProbedSource {
  meta: MediaMetadata;
  /** Set when the container's structure says the data ends early (the verdict decides what that means). */
  truncation: TruncationFacts | null;
}

/**
 * The one probe of a job's input: the first bytes (empty files, playlists and lists that
 * reference other files are refused before ffmpeg sees them), the container's structure
 * (does the data end where the container says it does: a few small reads, no decode),
 * then ffprobe, the limits and (still images) the orientation.
 */
export async function probeSource(
  runner: MediaRunner,
  inputPath: string,
  opts: { signal: AbortSignal; timeoutMs: number; limits: MediaLimits },
): Promise<ProbedSource> {
  const handle = await open(inputPath, 'r');
  let head: Buffer;
  let truncation: TruncationFacts | null;
  try {
    const { size } = await handle.stat();
    const read = async (position: number, length: number) => {
      const buf = Buffer.alloc(Math.max(0, Math.min(length, size - position)));
      const { bytesRead } = await handle.read(buf, 0, buf.length, position);
      return buf.subarray(0, bytesRead);
    };
    head = await read(0, 4096);
    if (head.length === 0) throw new DomainError('input_invalid', 'the input file is empty');
    const forbidden = sniffForbiddenText(head);
    if (forbidden) {
      throw new DomainError('input_forbidden', `the input is ${forbidden}, which can make ffmpeg read other files or URLs; upload the media file itself`);
    }
    truncation = await inspectTruncation(read, size, head);
  } finally {
    await handle.close();
  }
  let meta: MediaMetadata;
  try {
    // Streams, limits, then (still images) the orientation: see input.probe.ts.
    meta = await probeInput(runner, inputPath, opts);
  } catch (err) {
    // ffprobe cannot read it, and its structure says why: say that instead of ffmpeg's words.
    if (truncation && isDomainError(err) && err.code === 'input_invalid') throw DamageVerdict.unreadable(truncation);
    throw err;
  }
  return { meta, truncation };
}
