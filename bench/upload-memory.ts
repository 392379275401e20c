/**
 * Upload memory benchmark: the server's RSS while it receives 100 MiB and 1 GiB uploads
 * as raw streamed bodies. Uploads are streamed to storage, so the peak RSS must not
 * grow with the upload size.
 *
 *   npx tsx bench/upload-memory.ts
 *   npx tsx bench/upload-memory.ts --sizes 100MiB,1GiB --multipart
 *   npx tsx bench/upload-memory.ts --sizes 100MiB,1GiB --tus
 *
 * Options (argv or env): --sizes / BENCH_SIZES (default 100MiB,1GiB), --multipart /
 * BENCH_MULTIPART (also upload each file as multipart field `file`, default off), --tus /
 * BENCH_TUS (also upload each file over tus 1.0 with tus-js-client, 16 MiB PATCHes from a
 * file stream; docs/tus.md; default off),
 * --interval / BENCH_INTERVAL (RSS sample period in ms, default 100). Linux only
 * (reads /proc/<pid>/status). The generated files are deleted after the run.
 * See bench/README.md.
 */
import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { Upload } from 'tus-js-client';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { once } from 'node:events';
import { Api, Options, fmtMiB, fmtS, readRss, runMain, sampleRss, sleep, startServer, table, tempDir } from './lib.js';

function parseSize(raw: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?)b?\s*$/i.exec(raw);
  if (!m) throw new Error(`bad size ${JSON.stringify(raw)} (use e.g. 100MiB, 1GiB, 500MB)`);
  const exp = { '': 0, k: 1, m: 2, g: 3, t: 4 }[m[2].toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  return Math.round(Number(m[1]) * (m[3] ? 1024 : 1000) ** exp);
}

const label = (bytes: number) =>
  bytes >= 1024 ** 3 && bytes % 1024 ** 3 === 0 ? `${bytes / 1024 ** 3} GiB` : bytes % 1024 ** 2 === 0 ? `${bytes / 1024 ** 2} MiB` : `${(bytes / 1e6).toFixed(1)} MB`;

/** Writes `size` bytes of random-ish data (a random 1 MiB block, varied per chunk); returns its sha256. */
async function generateFile(path: string, size: number): Promise<string> {
  const block = randomBytes(1024 * 1024);
  const hash = createHash('sha256');
  const out = createWriteStream(path);
  for (let offset = 0, i = 0; offset < size; offset += block.length, i++) {
    const chunk = Buffer.from(block.subarray(0, Math.min(block.length, size - offset)));
    chunk.writeUInt32LE(i, 0); // no two chunks identical
    if (chunk.length >= 64) randomBytes(32).copy(chunk, 32);
    hash.update(chunk);
    if (!out.write(chunk)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
  return hash.digest('hex');
}

/** The file over tus (creation, then PATCHes of `chunkSize` from a file stream): what a resumable client sends. */
async function uploadTus(server: { url: string; apiKey: string }, path: string, filename: string, size: number): Promise<{ id: string; ms: number }> {
  const started = performance.now();
  const url = await new Promise<string>((resolve, reject) => {
    const upload = new Upload(createReadStream(path, { highWaterMark: 1024 * 1024 }) as unknown as Buffer, {
      endpoint: `${server.url}/v1/uploads/tus`,
      headers: { authorization: `Bearer ${server.apiKey}` },
      chunkSize: 16 * 1024 * 1024,
      uploadSize: size,
      metadata: { filename },
      retryDelays: null,
      onSuccess: () => resolve(upload.url!),
      onError: reject,
    });
    upload.start();
  });
  return { id: new URL(url).pathname.split('/').pop()!, ms: performance.now() - started };
}

async function main() {
  const opts = new Options();
  if (opts.help) {
    console.log('usage: npx tsx bench/upload-memory.ts [--sizes 100MiB,1GiB] [--multipart] [--tus] [--interval 100]');
    return;
  }
  if (process.platform !== 'linux') throw new Error('this benchmark reads /proc/<pid>/status: Linux only');
  const sizes = (opts.raw('sizes') ?? '100MiB,1GiB').split(',').map(parseSize);
  const multipart = opts.bool('multipart', false);
  const tus = opts.bool('tus', false);
  const kinds: Array<'raw' | 'multipart' | 'tus'> = ['raw', ...(multipart ? (['multipart'] as const) : []), ...(tus ? (['tus'] as const) : [])];
  const interval = opts.number('interval', 100, 10);

  const os = await import('node:os');
  console.log(`node ${process.version}, ${os.availableParallelism()} CPUs, load average ${os.loadavg()[0].toFixed(2)}, ${new Date().toISOString()}`);
  const server = await startServer({ MEDIAFORGE_MAX_UPLOAD_BYTES: '2GiB' });
  const api = new Api(server);
  console.log(`server: ${server.url} (pid ${server.pid}), MEDIAFORGE_MAX_UPLOAD_BYTES=2GiB, RSS sampled every ${interval} ms`);
  const files = await tempDir('upload');

  await sleep(1000);
  const idle = sampleRss(server.pid, interval);
  await sleep(2000);
  const before = await idle.stop();
  console.log(`idle: RSS peak ${fmtMiB(before.peak)} over 2 s`);

  interface Row {
    size: number;
    kind: 'raw' | 'multipart' | 'tus';
    peak: number;
    after: number;
    ms: number;
    samples: number;
  }
  const rows: Row[] = [];
  for (const size of sizes) {
    const path = join(files, `upload-${size}.bin`);
    const t = performance.now();
    const sha256 = await generateFile(path, size);
    console.log(`file: ${label(size)} generated in ${fmtS(performance.now() - t)} (not timed)`);
    try {
      for (const kind of kinds) {
        await sleep(500);
        const sampler = sampleRss(server.pid, interval);
        const name = `bench-${size}.bin`;
        const up = kind === 'raw' ? await api.uploadRaw(path, name) : kind === 'multipart' ? await api.uploadMultipart(path, name) : await uploadTus(server, path, name, size);
        const s = await sampler.stop();
        const stored = await api.json('GET', `/v1/uploads/${up.id}`);
        if (stored.size !== size || stored.sha256 !== sha256) {
          throw new Error(`upload ${up.id}: server has ${stored.size} bytes sha256 ${stored.sha256}, expected ${size} bytes ${sha256}`);
        }
        await sleep(1000);
        const after = (await readRss(server.pid)) ?? NaN;
        rows.push({ size, kind, peak: s.peak, after, ms: up.ms, samples: s.count });
        console.log(
          `upload ${kind.padEnd(9)} ${label(size).padStart(8)}: ${fmtS(up.ms)}, ${(size / 1024 ** 2 / (up.ms / 1000)).toFixed(0)} MiB/s, RSS peak ${fmtMiB(s.peak)} (${s.count} samples), 1 s later ${fmtMiB(after)}; size+sha256 verified`,
        );
      }
    } finally {
      await rm(path, { force: true });
    }
  }

  console.log(`\n== server RSS during streamed uploads (VmRSS every ${interval} ms) ==`);
  const out: string[][] = [['phase', 'upload', 'peak RSS', 'Δ vs idle', 'time', 'throughput']];
  out.push(['idle (before)', '—', fmtMiB(before.peak), '—', '—', '—']);
  for (const r of rows) {
    out.push([
      `during ${label(r.size)} (${r.kind})`,
      label(r.size),
      fmtMiB(r.peak),
      `${r.peak >= before.peak ? '+' : ''}${fmtMiB(r.peak - before.peak)}`,
      fmtS(r.ms),
      `${(r.size / 1024 ** 2 / (r.ms / 1000)).toFixed(0)} MiB/s`,
    ]);
  }
  console.log(table(out));

  const THRESHOLD = 64 * 1024 ** 2;
  for (const kind of kinds) {
    const rs = rows.filter((r) => r.kind === kind).sort((a, b) => a.size - b.size);
    if (rs.length < 2) continue;
    const small = rs[0];
    const big = rs[rs.length - 1];
    const growth = big.peak - small.peak;
    const ok = growth <= THRESHOLD;
    console.log(
      `${kind}: peak RSS ${label(small.size)} → ${label(big.size)} (×${(big.size / small.size).toFixed(1)} bytes): ${growth >= 0 ? '+' : ''}${fmtMiB(growth)} → ${ok ? 'OK, RSS does not grow with upload size' : 'FAIL, RSS grows with upload size'} (threshold ${fmtMiB(THRESHOLD)})`,
    );
    if (!ok) process.exitCode = 1;
  }
  const warnings = server.logTail().split('\n').filter((l) => l.startsWith('{'));
  if (warnings.length) console.log(`\nserver log (warn and above):\n${warnings.slice(-20).join('\n')}`);
}

runMain(main);
