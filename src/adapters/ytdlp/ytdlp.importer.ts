import { constants } from 'node:fs';
import { access, mkdir, open, readdir, stat } from 'node:fs/promises';
import { delimiter, join, resolve } from 'node:path';
import { AbortedError, DomainError } from '../../domain/errors.js';
import type { PageMediaImporter, PageMediaOptions } from '../../ports/page-media-importer.port.js';
import type { UrlPolicy } from '../../domain/url-policy.js';
import { capture, start } from '../process/process-runner.js';
import { PolicyProxy } from './policy-proxy.js';
import { buildYtdlpArgs, classifyYtdlpFailure, parseProgressLine, ytdlpProxyEnv } from './ytdlp.args.js';

const OUTPUT_TAIL = 40;

/** How to start yt-dlp: the program and what goes before its own arguments. */
export interface YtdlpCommand {
  /** The yt-dlp file that was found or configured. */
  path: string;
  /** argv[0] and the arguments before yt-dlp's: the interpreter for a script, or the binary itself. */
  argv: string[];
}

async function executable(p: string): Promise<boolean> {
  return access(p, constants.X_OK).then(() => true, () => false);
}

async function onPath(name: string, pathVar: string): Promise<string | null> {
  for (const dir of pathVar.split(delimiter).filter(Boolean)) {
    const p = join(dir, name);
    if (await executable(p)) return p;
  }
  return null;
}

/**
 * Finds yt-dlp: `setting` is MEDIAFORGE_YTDLP (a path, or null to look on PATH; "off" is
 * handled by the caller). A script's interpreter is resolved here, once, because the child
 * runs with a PATH that holds nothing (no ffmpeg to hand URLs to), so `#!/usr/bin/env python3`
 * could not find python there.
 */
export async function findYtdlp(setting: string | null, pathVar = process.env.PATH ?? ''): Promise<YtdlpCommand | null> {
  const path = setting ? (setting.includes('/') ? resolve(setting) : await onPath(setting, pathVar)) : await onPath('yt-dlp', pathVar);
  if (!path || !(await executable(path))) return null;
  const head = Buffer.alloc(256);
  const fh = await open(path, 'r');
  try {
    await fh.read(head, 0, head.length, 0);
  } finally {
    await fh.close();
  }
  const first = head.toString('latin1').split('\n')[0];
  if (!first.startsWith('#!')) return { path, argv: [path] };
  const [interp, ...interpArgs] = first.slice(2).trim().split(/\s+/);
  if (/(^|\/)env$/.test(interp)) {
    const name = interpArgs.find((a) => !a.startsWith('-'));
    const resolved = name ? await onPath(name, pathVar) : null;
    return resolved ? { path, argv: [resolved, path] } : null;
  }
  return { path, argv: [interp, ...interpArgs, path] };
}

/** The environment yt-dlp runs with: no secrets of ours, no programs on PATH, the proxy everywhere. */
function childEnv(home: string, emptyBin: string, proxyUrl: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: emptyBin,
    HOME: home,
    XDG_CACHE_HOME: join(home, 'cache'),
    XDG_CONFIG_HOME: join(home, 'config'),
    LANG: 'C.UTF-8',
    PYTHONNOUSERSITE: '1',
    PYTHONDONTWRITEBYTECODE: '1',
  };
  return { ...env, ...ytdlpProxyEnv(proxyUrl) };
}

export async function ytdlpVersion(cmd: YtdlpCommand): Promise<string> {
  const { stdout } = await capture(cmd.argv[0], [...cmd.argv.slice(1), '--version'], { timeoutMs: 30_000, env: { PATH: '/nonexistent', LANG: 'C.UTF-8' } });
  return stdout.trim();
}

export interface YtdlpImporterOptions extends UrlPolicy {
  /** Per network operation inside yt-dlp, and for the proxy's upstream connects. */
  socketTimeoutMs: number;
}

/**
 * Runs yt-dlp for one URL behind a PolicyProxy started for that import. argv only, its own
 * process group (a timeout or cancel kills yt-dlp and anything it started), and the proxy's
 * first-hand knowledge (a refused address, a size overrun) wins over yt-dlp's error text.
 */
export class YtdlpImporter implements PageMediaImporter {
  constructor(
    private readonly cmd: YtdlpCommand,
    readonly description: string,
    private readonly opts: YtdlpImporterOptions,
  ) {}

  async download(url: string, o: PageMediaOptions): Promise<{ path: string; size: number }> {
    if (o.signal.aborted) throw new AbortedError();
    const home = join(o.dir, 'home');
    const emptyBin = join(home, 'bin');
    const outDir = join(o.dir, 'out');
    await mkdir(emptyBin, { recursive: true });
    await mkdir(outDir, { recursive: true });
    const proxy = await PolicyProxy.start({ allowlist: this.opts.allowlist, maxBytes: o.maxBytes, connectTimeoutMs: this.opts.socketTimeoutMs });
    try {
      const args = buildYtdlpArgs({ url, outDir, maxBytes: o.maxBytes, socketTimeoutSeconds: Math.max(1, Math.ceil(this.opts.socketTimeoutMs / 1000)) });
      const run = await this.run(args, home, emptyBin, proxy.url, o);
      if (o.signal.aborted) throw new AbortedError();
      if (proxy.refusal) throw proxy.refusal;
      if (proxy.tooLarge) throw new DomainError('url_too_large', `the media at ${url} is larger than the import limit of ${o.maxBytes} bytes`, { max: o.maxBytes });
      if (run.timedOut) throw new DomainError('url_unreachable', `the download of ${url} did not finish within ${+(o.timeoutMs / 1000).toFixed(1)} s`);
      const files = (await readdir(outDir)).filter((f) => f.startsWith('source.') && !/\.(part|ytdl|temp|json)$/.test(f));
      if (run.code === 0 && files.length === 1) {
        const path = join(outDir, files[0]);
        const { size } = await stat(path);
        if (size > o.maxBytes) throw new DomainError('url_too_large', `the media at ${url} is larger than the import limit of ${o.maxBytes} bytes`, { max: o.maxBytes });
        if (size === 0) throw new DomainError('url_no_media', `yt-dlp downloaded an empty file from ${url}`);
        return { path, size };
      }
      // No usable file: an unreachable host the proxy saw beats yt-dlp's paraphrase of it.
      const failure = classifyYtdlpFailure(url, run.output, o.maxBytes);
      if (proxy.upstreamError && failure.code === 'url_no_media' && !/live stream|separate video/.test(failure.message)) throw proxy.upstreamError;
      throw failure;
    } finally {
      await proxy.close();
    }
  }

  private run(args: string[], home: string, emptyBin: string, proxyUrl: string, o: PageMediaOptions): Promise<{ code: number | null; output: string; timedOut: boolean }> {
    return new Promise((resolve, reject) => {
      const tail: string[] = [];
      const keep = (line: string) => {
        tail.push(line);
        if (tail.length > OUTPUT_TAIL) tail.shift();
      };
      const child = start(this.cmd.argv[0], [...this.cmd.argv.slice(1), ...args], {
        group: true, // its own process group, killed as a whole
        cwd: home,
        env: childEnv(home, emptyBin, proxyUrl),
        onStdoutLine: (line) => {
          const f = parseProgressLine(line);
          if (f !== null) o.onProgress?.(f);
          else keep(line);
        },
        onStderrLine: keep,
      });
      let timedOut = false;
      const kill = () => child.kill();
      const timer = setTimeout(() => {
        timedOut = true;
        kill();
      }, o.timeoutMs);
      o.signal.addEventListener('abort', kill, { once: true });
      const done = () => {
        clearTimeout(timer);
        o.signal.removeEventListener('abort', kill);
      };
      child.exited.then(
        ({ code, cpuSeconds }) => {
          done();
          o.onCpuSeconds?.(cpuSeconds);
          resolve({ code, output: tail.join('\n'), timedOut });
        },
        (err: NodeJS.ErrnoException) => {
          done();
          reject(err.code === 'ENOENT' ? new DomainError('internal', `yt-dlp cannot be started: ${this.cmd.argv[0]} not found`) : err);
        },
      );
    });
  }
}
