import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { parseMaster, parseVtt } from '../helpers/hls-package.js';
import { ffprobeJson, media } from '../helpers/media.js';
import { runCli, startServerProcess, type ServerProcess } from '../helpers/process.js';
import { tempDir } from '../helpers/temp.js';
import { readZip } from '../helpers/zip.js';

const run = promisify(execFile);
const KEY = 'mf_readme_tour_key_0123456789';

/** Every file under `dir`, relative and sorted. */
async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath, e.name))).sort();
}

/** The saved tree holds every file the job lists, at `<NN>-<type>/<name>`, whole. */
async function assertSavedAsListed(dir: string): Promise<any> {
  const job = JSON.parse(await readFile(join(dir, 'job.json'), 'utf8'));
  const listed: string[] = job.outputs.flatMap((o: any, i: number) => o.files.map((f: any) => `${String(i).padStart(2, '0')}-${o.type}/${f.name}`));
  assert.deepEqual(await tree(dir), ['job.json', ...listed].sort());
  for (const [i, o] of job.outputs.entries()) {
    for (const f of o.files) assert.equal((await stat(join(dir, `${String(i).padStart(2, '0')}-${o.type}`, f.name))).size, f.size, f.name);
  }
  return job;
}

/** Decodes every frame behind a playlist from disk, reading local files only. */
async function decodeFromDisk(playlist: string): Promise<{ frames: number; seconds: number }> {
  const { stdout } = await run('ffmpeg', ['-v', 'error', '-nostats', '-protocol_whitelist', 'file', '-i', playlist, '-f', 'null', '-', '-progress', 'pipe:1']);
  const last = (key: string) => Number([...stdout.matchAll(new RegExp(`^${key}=(\\d+)$`, 'gm'))].pop()?.[1]);
  return { frames: last('frame'), seconds: last('out_time_us') / 1e6 };
}

describe("e2e: the README's 60-second tour against `mediaforge start`", () => {
  let t: { dir: string; cleanup: () => Promise<void> };
  let server: ServerProcess;
  let talk: string;
  const cli = (...args: string[]) => runCli([...args, '--url', server.url, '--key', KEY]);
  before(async () => {
    t = await tempDir('mf-tour-');
    talk = await media('clip20.mp4');
    server = await startServerProcess({
      MEDIAFORGE_DATA_DIR: join(t.dir, 'data'),
      MEDIAFORGE_API_KEY: KEY,
      MEDIAFORGE_WORKER_CONCURRENCY: '1',
      MEDIAFORGE_URL_ALLOWLIST: '127.0.0.1',
      // The documented default rate limit (100 a minute), not the tests' high one: the tour fits in it.
      MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '',
    });
  });
  after(async () => {
    if (server?.child.exitCode === null) {
      server.child.kill('SIGTERM');
      await server.exited;
    }
    await t?.cleanup();
  });

  it('curl: upload (multipart), one job with two outputs, SSE to the end, the job, the ZIP', async () => {
    const curl = async (...args: string[]) => (await run('curl', ['-sS', '--fail-with-body', '-H', `Authorization: Bearer ${KEY}`, ...args])).stdout;
    const upload = JSON.parse(await curl('-F', `file=@${talk}`, `${server.url}/v1/uploads`));
    assert.match(upload.id, /^upl_/);
    assert.equal(upload.filename, 'clip20.mp4');
    assert.equal(upload.size, (await stat(talk)).size);
    assert.match(upload.sha256, /^[0-9a-f]{64}$/);

    const body = JSON.stringify({ input: { uploadId: upload.id }, outputs: [{ type: 'frames', fps: 1 }, { type: 'thumbnail' }] });
    const created = JSON.parse(await curl('-H', 'content-type: application/json', '-d', body, `${server.url}/v1/jobs`));
    assert.match(created.id, /^job_/);
    assert.equal(created.status, 'queued');

    // `curl -N …/events` returns by itself once the job reaches its final status.
    const events = await curl('-N', `${server.url}/v1/jobs/${created.id}/events`);
    const blocks = events.split('\n\n').filter((b) => b.includes('data:'));
    const last = blocks[blocks.length - 1];
    assert.match(last, /^event: status$/m);
    assert.equal(JSON.parse(/^data: (.*)$/m.exec(last)![1]).status, 'succeeded', last);
    assert.ok(blocks.some((b) => /^event: progress$/m.test(b)), 'progress events came first');

    const job = JSON.parse(await curl(`${server.url}/v1/jobs/${created.id}`));
    assert.equal(job.input.metadata.duration, 20);
    assert.equal(job.outputs[0].files[0].name, 'frames.zip');
    const zipPath = join(t.dir, 'frames.zip');
    await run('curl', ['-sS', '--fail-with-body', '-o', zipPath, job.outputs[0].files[0].url]);
    const zip = await readZip(await readFile(zipPath));
    const manifest = JSON.parse(zip.get('manifest.json')!.toString());
    assert.equal(manifest.frames.length, 20);
    for (const f of manifest.frames) assert.ok(zip.has(f.file), f.file);
  });

  it('submit --frames 1 --thumbnail --out: one folder per output, progress bars', async () => {
    const out = join(t.dir, 'results-frames');
    const res = await cli('submit', talk, '--frames', '1', '--thumbnail', '--out', out);
    assert.equal(res.code, 0, res.stderr);
    const dir = res.stdout.trim();
    assert.equal(relative(out, dir).startsWith('job_'), true, dir);
    assert.deepEqual(await tree(dir), ['00-frames/frames.zip', '01-thumbnail/thumbnail.jpg', 'job.json']);
    await assertSavedAsListed(dir);
    assert.match(res.stderr, /upload .*100%/);
    assert.match(res.stderr, /process .*100%/);
    assert.equal((await ffprobeJson(join(dir, '01-thumbnail', 'thumbnail.jpg'))).streams[0].width, 320);
  });

  it('submit --hls (with a GIF) --out: a tree that plays from disk, end to end', async () => {
    const out = join(t.dir, 'results-hls');
    const res = await cli('submit', talk, '--hls', '--output', '{"type":"gif","start":5,"duration":3}', '--out', out);
    assert.equal(res.code, 0, res.stderr);
    const dir = res.stdout.trim();
    const job = await assertSavedAsListed(dir);
    const files = await tree(dir);
    assert.ok(files.includes('00-hls/master.m3u8'), files.join('\n'));
    assert.ok(files.some((f) => /^00-hls\/v\d+\/index\.m3u8$/.test(f)), 'rung playlists in their own folders');

    const master = join(dir, '00-hls', 'master.m3u8');
    const variants = parseMaster(await readFile(master, 'utf8'));
    assert.equal(variants.length, job.outputs[0].result.renditions.length);
    for (const v of variants) assert.ok(files.includes(`00-hls/${v.uri}`), `the master's ${v.uri} is on disk`);
    for (const cue of parseVtt(await readFile(join(dir, '00-hls', 'storyboard.vtt'), 'utf8'))) {
      assert.ok(files.includes(`00-hls/${cue.target.split('#')[0]}`), `the storyboard's ${cue.target} is on disk`);
    }

    const probe = await ffprobeJson(master);
    assert.ok(Math.abs(Number(probe.format.duration) - 20) < 0.1, `duration ${probe.format.duration}`);
    assert.deepEqual(probe.streams.map((s: any) => s.codec_type).sort(), ['audio', 'video']);
    const decoded = await decodeFromDisk(master);
    assert.ok(Math.abs(decoded.frames - 600) <= 1, `decoded ${decoded.frames} frames (20 s at 30 fps)`);
    assert.ok(Math.abs(decoded.seconds - 20) < 0.2, `decoded ${decoded.seconds} s`);

    assert.deepEqual(job.outputs[1].files.map((f: any) => f.name), ['preview.gif']);
    const gif = await ffprobeJson(join(dir, '01-gif', 'preview.gif'));
    assert.equal(gif.streams[0].codec_name, 'gif');
  });

  it('submit --clips --aspect 9:16 --zip --mp4 --audio mp3 --out, then jobs', async () => {
    const out = join(t.dir, 'results-clips');
    const res = await cli('submit', talk, '--clips', '10', '--aspect', '9:16', '--zip', '--mp4', '--audio', 'mp3', '--out', out);
    assert.equal(res.code, 0, res.stderr);
    const dir = res.stdout.trim();
    await assertSavedAsListed(dir);
    assert.deepEqual(await tree(dir), [
      '00-clips/clip-001.mp4',
      '00-clips/clip-002.mp4',
      '00-clips/clips.zip',
      '00-clips/series.json',
      '01-mp4/video.mp4',
      '02-audio/audio.mp3',
      'job.json',
    ]);
    const clip = (await ffprobeJson(join(dir, '00-clips', 'clip-001.mp4'))).streams.find((s: any) => s.codec_type === 'video');
    assert.ok(clip.height > clip.width, `vertical: ${clip.width}x${clip.height}`);
    const zip = await readZip(await readFile(join(dir, '00-clips', 'clips.zip')));
    assert.ok(zip.has('clip-001.mp4') && zip.has('clip-002.mp4'), [...zip.keys()].join(', '));
    assert.equal((await ffprobeJson(join(dir, '02-audio', 'audio.mp3'))).streams[0].codec_name, 'mp3');

    const jobs = await cli('jobs');
    assert.equal(jobs.code, 0, jobs.stderr);
    assert.match(jobs.stdout, /^ID\s+STATUS\s+PROGRESS\s+OUTPUTS/);
    const rows = jobs.stdout.trim().split('\n').slice(1);
    assert.equal(rows.length, 4, jobs.stdout);
    assert.match(rows[0], /^job_\S+\s+succeeded\s+100%\s+clips,mp4,audio\s/);
    assert.match(rows[1], /^job_\S+\s+succeeded\s+100%\s+hls,gif\s/);
    assert.ok(rows.every((r) => /\ssucceeded\s/.test(r)), jobs.stdout);
  });

  it('submit a URL (the server fetches it) and a wrong key', async () => {
    const origin = createServer(async (_req, res) => res.end(await readFile(talk)));
    await new Promise<void>((r) => origin.listen(0, '127.0.0.1', r));
    const src = `http://127.0.0.1:${(origin.address() as AddressInfo).port}/clip.mp4`;
    const byUrl = await cli('submit', src, '--thumbnail', '--out', join(t.dir, 'results-url'));
    origin.close();
    assert.equal(byUrl.code, 0, byUrl.stderr);
    const urlJob = await assertSavedAsListed(byUrl.stdout.trim());
    assert.equal(urlJob.input.url, src);
    assert.equal(urlJob.input.metadata.width, 320);
    assert.doesNotMatch(byUrl.stderr, /upload /, 'nothing was uploaded by the CLI');
    const bad = await runCli(['submit', talk, '--url', server.url, '--key', 'mf_wrong_key_000000000']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /\[unauthorized\]/);
  });
});

describe('e2e: submit refuses result names that would leave --out', () => {
  let t: { dir: string; cleanup: () => Promise<void> };
  let hostile: Server;
  let base: string;
  // A server that answers like mediaforge but names a result file `<name>`. The real
  // server cannot be made to do that, which is the point: the CLI must not trust it.
  let name = '';
  before(async () => {
    t = await tempDir('mf-hostile-');
    hostile = createServer((req, res) => {
      const job = {
        id: 'job_hostile00000000000000000',
        status: 'succeeded',
        progress: 100,
        outputs: [{ type: 'hls', status: 'succeeded', files: [{ name: 'master.m3u8', url: `${base}/file` }, { name, url: `${base}/file` }] }],
      };
      req.resume();
      if (req.url === '/v1/jobs' && req.method === 'POST') return void res.writeHead(202, { 'content-type': 'application/json' }).end(JSON.stringify({ ...job, status: 'queued' }));
      if (req.url?.endsWith('/events')) return void res.writeHead(200, { 'content-type': 'text/event-stream' }).end(`event: status\ndata: ${JSON.stringify(job)}\n\n`);
      if (req.url === '/file') return void res.end('#EXTM3U\n');
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => hostile.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  after(async () => {
    hostile.close();
    await t.cleanup();
  });

  for (const bad of ['../../escaped.m3u8', `/tmp/mf-escaped-${process.pid}.m3u8`, '..\\..\\escaped.m3u8', 'v0/\0.m3u8']) {
    it(`refuses ${JSON.stringify(bad)} and writes nothing`, async () => {
      name = bad;
      const out = join(t.dir, 'out', 'results');
      const res = await runCli(['submit', 'https://example.com/talk.mp4', '--hls', '--out', out, '--url', base, '--key', 'mf_any_key_00000000000']);
      assert.equal(res.code, 1, res.stderr);
      assert.match(res.stderr, /mediaforge: \[unsafe_file_name\] refusing the server's file name ".*": it /);
      assert.deepEqual(await readdir(t.dir), [], 'not even job.json or the --out folder');
      await assert.rejects(stat(`/tmp/mf-escaped-${process.pid}.m3u8`));
    });
  }
});
