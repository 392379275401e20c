import { watch, type FSWatcher } from 'chokidar';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { ApiError, type ApiJob, type MediaforgeClient } from '../client.js';
import { formatBytes } from '../progress-bar.js';
import { jobResultDir, resultPath } from '../result-path.js';
import { STATE_FILE, WatchState } from '../watch-state.js';
import { clientFrom, type ConnectionOptions } from './connection.js';

export interface WatchOptions extends ConnectionOptions {
  preset: string;
  /** Results go to `<out>/<job id>/…` (default `<dir>/out`). */
  out?: string;
  /** A file counts as written once its size has not changed for this long (default 2000 ms). */
  stableMs?: string;
}

export interface Watcher {
  /** Resolves once the folder has been scanned and every file found so far is handled. */
  idle(): Promise<void>;
  close(): Promise<void>;
}

type Log = (line: string) => void;

/**
 * `mediaforge watch <dir> --preset <name>`: every file put in the folder (not in its
 * subfolders, not a dotfile) is uploaded once it has stopped growing (chokidar's
 * awaitWriteFinish), processed with the preset (the upload's `process`: the job is made
 * by the server when the upload is stored), and its results downloaded into the out folder.
 * The state file (watch-state.ts) makes a restart skip finished files and resume the job of
 * one it was following. Files are handled one at a time, in the order they are seen.
 */
export async function startWatch(dirArg: string, opts: WatchOptions, client: MediaforgeClient, log: Log = (l) => console.error(l)): Promise<Watcher> {
  const dir = resolve(dirArg);
  if (!(await stat(dir).catch(() => null))?.isDirectory()) throw new ApiError(0, 'validation_failed', `${dir} is not a folder`);
  const out = resolve(opts.out ?? join(dir, 'out'));
  const stableMs = opts.stableMs === undefined ? 2000 : Number(opts.stableMs);
  if (!Number.isFinite(stableMs) || stableMs < 50) throw new ApiError(0, 'validation_failed', '--stable-ms must be a number of milliseconds, 50 or more');
  // A wrong key, URL or preset is told now, not at the first file.
  await client.request('GET', `/v1/presets/${encodeURIComponent(opts.preset)}`);
  const state = await WatchState.open(dir);
  let chain: Promise<void> = Promise.resolve();
  const handle = (path: string) => {
    chain = chain.then(() => processFile(path)).catch((err: Error) => log(`${basename(path)}: ${err.message}`));
  };

  const processFile = async (path: string) => {
    const name = relative(dir, path);
    const stats = await stat(path).catch(() => null);
    if (!stats?.isFile()) return;
    const known = state.get(name, stats);
    if (known?.status === 'done' || known?.status === 'failed') return;
    let jobId = known?.jobId;
    if (!jobId) {
      log(`${name}: uploading ${formatBytes(stats.size)}`);
      const upload = await client.upload(path, undefined, { preset: opts.preset });
      if (!upload.jobId) {
        const why = upload.processError ? `[${upload.processError.code}] ${upload.processError.message}` : 'the server made no job';
        await state.set(name, { size: stats.size, mtimeMs: stats.mtimeMs, status: 'failed', uploadId: upload.id, error: why });
        log(`${name}: uploaded as ${upload.id}, not processed: ${why}`);
        return;
      }
      jobId = upload.jobId;
      await state.set(name, { size: stats.size, mtimeMs: stats.mtimeMs, status: 'processing', uploadId: upload.id, jobId });
      log(`${name}: job ${jobId} (${opts.preset})`);
    } else {
      log(`${name}: following job ${jobId} again`);
    }
    let job = await client.request<ApiJob>('GET', `/v1/jobs/${jobId}`);
    let shown = -10;
    if (job.status === 'queued' || job.status === 'running') {
      await client.follow(jobId, (type, data) => {
        if (type === 'status') job = data as ApiJob;
        if (typeof data.progress === 'number' && data.progress >= shown + 10) {
          shown = data.progress;
          log(`${name}: ${Math.floor(data.progress)}% ${data.stage ?? data.status}`);
        }
      });
      job = await client.request<ApiJob>('GET', `/v1/jobs/${jobId}`);
    }
    if (job.status !== 'succeeded') {
      const why = `job ${jobId} ${job.status}${job.error ? `: [${job.error.code}] ${job.error.message}` : ''}`;
      await state.set(name, { ...state.data.files[name], status: 'failed', error: why });
      log(`${name}: ${why}`);
      return;
    }
    const targets = job.outputs.flatMap((o, i) => o.files.map((f) => ({ url: f.url, path: resultPath(out, job.id, i, o.type, f.name) })));
    const folder = jobResultDir(out, job.id);
    await mkdir(folder, { recursive: true });
    await writeFile(join(folder, 'job.json'), JSON.stringify(job, null, 2));
    for (const t of targets) {
      await mkdir(dirname(t.path), { recursive: true });
      await client.download(t.url, t.path);
    }
    await state.set(name, { ...state.data.files[name], status: 'done', results: folder });
    log(`${name}: done, ${targets.length} file${targets.length === 1 ? '' : 's'} in ${folder}`);
  };

  const watcher: FSWatcher = watch(dir, {
    depth: 0,
    ignoreInitial: false,
    // Dotfiles (the state file, editors' temporaries) and the out folder are not media to send.
    ignored: (path: string) => path !== dir && (basename(path).startsWith('.') || path === out || path.startsWith(`${out}/`) || basename(path) === STATE_FILE),
    awaitWriteFinish: { stabilityThreshold: stableMs, pollInterval: Math.min(100, Math.max(10, Math.floor(stableMs / 10))) },
  });
  watcher.on('add', handle);
  // A file rewritten in place is a new file (its size or time changed: the state does not match).
  watcher.on('change', handle);
  const ready = new Promise<void>((resolveReady) => watcher.once('ready', () => resolveReady()));
  watcher.on('error', (err) => log(`watch: ${(err as Error).message}`));
  return {
    idle: async () => {
      await ready;
      for (let seen: Promise<void> | null = null; seen !== chain; ) await (seen = chain);
    },
    close: async () => {
      await watcher.close();
      await chain;
    },
  };
}

export async function watchCommand(dir: string, opts: WatchOptions): Promise<void> {
  const watcher = await startWatch(dir, opts, clientFrom(opts));
  console.error(`watching ${resolve(dir)} (preset ${opts.preset}); results in ${resolve(opts.out ?? join(dir, 'out'))}. Ctrl-C stops.`);
  await new Promise<void>((done) => {
    const stop = () => void watcher.close().then(done);
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
