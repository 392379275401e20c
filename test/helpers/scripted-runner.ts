import { writeFile } from 'node:fs/promises';
import { AbortedError } from '../../src/domain/errors.js';
import type { Capabilities, MediaRunner, ProbeOptions, RunOptions } from '../../src/ports/media-runner.port.js';

export interface RunnerCall {
  kind: 'probe' | 'run';
  args: string[];
  /** 0 for the first call of its kind, 1 for the next … */
  n: number;
}

/** What a call does: answer (a probe's JSON, or a run writes its last argument as the output file), reject, or hang until aborted. */
export type RunnerAct = 'ok' | 'hang' | { fail: Error } | { then: () => Promise<void> | void };

/** ffprobe's answer for a 4 s progressive 320×240 H.264 video (no audio). */
export const VIDEO_PROBE = {
  streams: [{ codec_type: 'video', codec_name: 'h264', width: 320, height: 240, avg_frame_rate: '25/1', r_frame_rate: '25/1', pix_fmt: 'yuv420p', field_order: 'progressive', duration: '4.000', nb_frames: '100' }],
  format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '4.000', bit_rate: '500000', tags: { major_brand: 'isom' } },
};

/**
 * A MediaRunner whose every call follows a script (by kind, argv and call number) instead of
 * starting ffmpeg: it answers, rejects, or hangs until its signal aborts, then rejects with
 * AbortedError as the real runner does. `hanging(kind)` resolves once a call of that kind waits.
 */
export class ScriptedRunner implements MediaRunner {
  readonly caps: Capabilities = {
    ffmpegPath: 'ffmpeg', ffprobePath: 'ffprobe', version: '7.1', major: 7, hasFpsMode: true,
    encoders: new Set(['libx264', 'aac', 'mjpeg', 'png']),
    filters: new Set(['scale', 'showinfo', 'select', 'idet', 'yadif', 'bwdif', 'thumbnail']),
    demuxers: new Set(['mov', 'mp4', 'matroska', 'webm', 'image2']),
  };
  readonly calls: RunnerCall[] = [];
  script: (call: RunnerCall) => RunnerAct = () => 'ok';
  probeAnswer: unknown = VIDEO_PROBE;
  /** What every call reports as its process's CPU seconds (onCpuSeconds), as it ends, failed or not; undefined: no report. */
  cpuPerCall: number | null | undefined = undefined;
  private readonly waiters: Array<{ kind: RunnerCall['kind']; resolve: () => void }> = [];

  hanging(kind: RunnerCall['kind']): Promise<void> {
    return new Promise((resolve) => this.waiters.push({ kind, resolve }));
  }

  async probe(args: string[], opts: ProbeOptions): Promise<unknown> {
    await this.reporting(opts, () => this.act('probe', args, opts.signal));
    return this.probeAnswer;
  }

  async run(args: string[], opts: RunOptions): Promise<{ stderrTail: string }> {
    await this.reporting(opts, () => this.act('run', args, opts.signal));
    await writeFile(args[args.length - 1], 'output');
    opts.onProgress?.({ outTime: 4, frame: 100, speed: 1, done: true });
    return { stderrTail: '' };
  }

  private async reporting(opts: { onCpuSeconds?: (s: number | null) => void }, work: () => Promise<void>): Promise<void> {
    try {
      await work();
    } finally {
      if (this.cpuPerCall !== undefined) opts.onCpuSeconds?.(this.cpuPerCall);
    }
  }

  private async act(kind: RunnerCall['kind'], args: string[], signal: AbortSignal): Promise<void> {
    const call = { kind, args, n: this.calls.filter((c) => c.kind === kind).length };
    this.calls.push(call);
    if (signal.aborted) throw new AbortedError();
    const act = this.script(call);
    if (act === 'ok') return;
    if (act === 'hang') {
      await new Promise<void>((_, reject) => {
        signal.addEventListener('abort', () => reject(new AbortedError()), { once: true });
        for (const w of this.waiters.filter((x) => x.kind === kind)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve();
        }
      });
    } else if ('fail' in act) throw act.fail;
    else await act.then();
  }
}
