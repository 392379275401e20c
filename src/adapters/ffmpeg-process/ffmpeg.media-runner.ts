import { AbortedError, DomainError } from '../../domain/errors.js';
import { parseCodecList, parseFilterList, parseFormatList, parseVersion } from '../../ffmpeg/capabilities.js';
import { ProgressParser } from '../../ffmpeg/progress.js';
import type { Capabilities, MediaRunner, ProbeOptions, RunOptions } from '../../ports/media-runner.port.js';
import { capture, minimalEnv, start, type CaptureError } from '../process/process-runner.js';

const TAIL_LINES = 25;

/**
 * Runs ffmpeg and ffprobe through the process runner: argv arrays only, stdin closed, a
 * clean environment, SIGKILL on abort so a cancel takes effect at once, and a kill when
 * ffmpeg stands still for `stallTimeoutMs`.
 */
export class FfmpegMediaRunner implements MediaRunner {
  private constructor(readonly caps: Capabilities) {}

  static async create(paths: { ffmpeg: string; ffprobe: string }): Promise<FfmpegMediaRunner> {
    return new FfmpegMediaRunner(await detectCapabilities(paths));
  }

  async probe(args: string[], opts: ProbeOptions): Promise<unknown> {
    try {
      const { stdout, cpuSeconds } = await capture(this.caps.ffprobePath, args, {
        signal: opts.signal,
        timeoutMs: opts.timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        killSignal: 'SIGKILL',
        env: minimalEnv(),
      });
      opts.onCpuSeconds?.(cpuSeconds);
      return JSON.parse(stdout);
    } catch (caught) {
      const err = caught as CaptureError;
      if (err.cpuSeconds !== undefined) opts.onCpuSeconds?.(err.cpuSeconds);
      if (opts.signal.aborted) throw new AbortedError();
      if (err.code === 'ENOENT') throw new DomainError('internal', `ffprobe not found at ${this.caps.ffprobePath}`);
      if (err.killed) throw new DomainError('input_invalid', `ffprobe gave up after ${opts.timeoutMs} ms reading the file`);
      const stderr = String(err.stderr ?? '').trim().split('\n').slice(-3).join(' ').replace(/\/[^\s:]+/g, '<input>');
      throw new DomainError('input_invalid', `ffmpeg cannot read this file as media${stderr ? `: ${stderr}` : ''}`);
    }
  }

  run(args: string[], opts: RunOptions): Promise<{ stderrTail: string }> {
    return new Promise((resolve, reject) => {
      if (opts.signal.aborted) return reject(new AbortedError());
      const tail: string[] = [];
      const parser = new ProgressParser();
      let lastAdvance = Date.now();
      let lastMark = '';
      let stalled = false;

      const child = start(this.caps.ffmpegPath, args, {
        cwd: opts.cwd,
        env: minimalEnv(),
        onStdoutLine: (line) => {
          const p = parser.push(line);
          if (!p) return;
          const mark = `${p.outTime}:${p.frame}`;
          if (mark !== lastMark) {
            lastMark = mark;
            lastAdvance = Date.now();
          }
          opts.onProgress?.(p);
        },
        onStderrLine: (line) => {
          // Any output line means ffmpeg is alive (showinfo lines come per frame, too).
          lastAdvance = Date.now();
          tail.push(line);
          if (tail.length > TAIL_LINES) tail.shift();
          opts.onStderrLine?.(line);
        },
      });

      const kill = () => child.kill();
      const onAbort = () => kill();
      opts.signal.addEventListener('abort', onAbort, { once: true });
      const stallTimer = setInterval(() => {
        if (Date.now() - lastAdvance > opts.stallTimeoutMs) {
          stalled = true;
          kill();
        }
      }, Math.min(1000, Math.max(100, Math.floor(opts.stallTimeoutMs / 4))));

      child.exited.then(({ code, signal, cpuSeconds }) => {
        clearInterval(stallTimer);
        opts.signal.removeEventListener('abort', onAbort);
        opts.onCpuSeconds?.(cpuSeconds);
        const stderrTail = tail.join('\n');
        if (opts.signal.aborted) return reject(new AbortedError());
        if (stalled) return reject(new DomainError('ffmpeg_stalled', `ffmpeg made no progress for ${opts.stallTimeoutMs} ms and was stopped`));
        if (code === 0) return resolve({ stderrTail });
        const reason = tail.filter((l) => !/Parsed_showinfo/.test(l)).slice(-4).join(' | ');
        reject(new DomainError('ffmpeg_failed', `ffmpeg exited with ${signal ?? `code ${code}`}: ${reason}`.slice(0, 1000)));
      }, (err: NodeJS.ErrnoException) => {
        clearInterval(stallTimer);
        opts.signal.removeEventListener('abort', onAbort);
        reject(err.code === 'ENOENT' ? new DomainError('internal', `ffmpeg not found at ${this.caps.ffmpegPath}`) : err);
      });
    });
  }
}

export async function detectCapabilities(paths: { ffmpeg: string; ffprobe: string }): Promise<Capabilities> {
  // ffmpeg gets no secrets from our environment: only what it needs to run.
  const run = async (bin: string, args: string[]) => (await capture(bin, args, { maxBuffer: 8 * 1024 * 1024, env: minimalEnv() })).stdout;
  const [versionText, encoders, filters, demuxers] = await Promise.all([
    run(paths.ffmpeg, ['-hide_banner', '-version']).catch(() => run(paths.ffmpeg, ['-version'])),
    run(paths.ffmpeg, ['-hide_banner', '-encoders']),
    run(paths.ffmpeg, ['-hide_banner', '-filters']),
    run(paths.ffmpeg, ['-hide_banner', '-demuxers']),
  ]);
  await run(paths.ffprobe, ['-version']);
  const { version, major } = parseVersion(versionText);
  // -fps_mode arrived in ffmpeg 5.1; its help text is the reliable test across git snapshots.
  const help = await run(paths.ffmpeg, ['-hide_banner', '-h', 'long']).catch(() => '');
  return {
    ffmpegPath: paths.ffmpeg,
    ffprobePath: paths.ffprobe,
    version,
    major,
    encoders: parseCodecList(encoders),
    filters: parseFilterList(filters),
    demuxers: parseFormatList(demuxers),
    hasFpsMode: /-fps_mode\b/.test(help),
  };
}
