import type { MediaRunner } from '../ports/media-runner.port.js';
import type { PageMediaImporter } from '../ports/page-media-importer.port.js';

/**
 * The CPU seconds of one attempt's processes (ffprobe, ffmpeg, yt-dlp), added up as each
 * ends. The attempt hands its steps a runner and an importer that report here (metered
 * below), so no step or pipeline passes anything along for it.
 */
export class CpuTally {
  private sum = 0;
  private unknown = false;
  private count = 0;

  add(cpuSeconds: number | null): void {
    this.count++;
    if (cpuSeconds === null) this.unknown = true;
    else this.sum += cpuSeconds;
  }

  /** Processes counted so far. */
  get processes(): number {
    return this.count;
  }

  /** The total; null when a process's time could not be read (not Linux). */
  get seconds(): number | null {
    return this.unknown ? null : Math.round(this.sum * 1000) / 1000;
  }
}

/** `runner`, with every probe and run also reporting its CPU seconds to `tally`. */
export function meteredRunner(runner: MediaRunner, tally: CpuTally): MediaRunner {
  const report = (own?: (s: number | null) => void) => (s: number | null) => {
    tally.add(s);
    own?.(s);
  };
  return {
    get caps() {
      return runner.caps;
    },
    probe: (args, opts) => runner.probe(args, { ...opts, onCpuSeconds: report(opts.onCpuSeconds) }),
    run: (args, opts) => runner.run(args, { ...opts, onCpuSeconds: report(opts.onCpuSeconds) }),
  };
}

/** `importer`, with each download's process reporting its CPU seconds to `tally`. */
export function meteredImporter(importer: PageMediaImporter, tally: CpuTally): PageMediaImporter {
  return {
    get description() {
      return importer.description;
    },
    download: (url, opts) =>
      importer.download(url, {
        ...opts,
        onCpuSeconds: (s) => {
          tally.add(s);
          opts.onCpuSeconds?.(s);
        },
      }),
  };
}
