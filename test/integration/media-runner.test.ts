import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { FfmpegMediaRunner } from '../../src/adapters/ffmpeg-process/ffmpeg.media-runner.js';
import { AbortedError, DomainError } from '../../src/domain/errors.js';
import { buildProbeArgs, parseProbe } from '../../src/ffmpeg/probe.js';
import { media } from '../helpers/media.js';
import { binarySources } from '../helpers/pipeline.js';
import { tempDir } from '../helpers/temp.js';

const isCode = (code: string) => (e: unknown) => e instanceof DomainError && e.code === code;

for (const source of binarySources()) {
  describe(`media runner with ${source.name}`, () => {
    let runner: FfmpegMediaRunner;
    let t: { dir: string; cleanup: () => Promise<void> };
    let hits = 0;
    const server = createServer((_req, res) => {
      hits++;
      res.end('#EXTM3U\n');
    });
    let port = 0;
    before(async () => {
      runner = await FfmpegMediaRunner.create(source);
      t = await tempDir();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      port = (server.address() as AddressInfo).port;
    });
    after(async () => {
      server.close();
      await t.cleanup();
    });

    it('detects version and capabilities', () => {
      assert.ok(runner.caps.major >= 4, `major ${runner.caps.major} from ${runner.caps.version}`);
      assert.ok(runner.caps.encoders.has('mjpeg'));
      assert.ok(runner.caps.filters.has('thumbnail'));
      assert.ok(runner.caps.filters.has('showinfo'));
      assert.ok(runner.caps.demuxers.has('mov'));
    });

    it('probes a clip into metadata', async () => {
      const meta = parseProbe(await runner.probe(buildProbeArgs(await media('clip20.mp4')), { signal: new AbortController().signal, timeoutMs: 30_000 }));
      assert.equal(meta.kind, 'video');
      assert.equal(meta.container, 'mp4');
      assert.equal(meta.width, 320);
      assert.equal(meta.height, 240);
      assert.equal(meta.fps, 30);
      assert.equal(meta.videoCodec, 'h264');
      assert.equal(meta.audioCodec, 'aac');
      assert.equal(meta.hasAudio, true);
      assert.ok(Math.abs(meta.duration! - 20) < 0.1, `duration ${meta.duration}`);
    });

    it('probes an image and an audio file', async () => {
      const png = parseProbe(await runner.probe(buildProbeArgs(await media('still.png')), { signal: new AbortController().signal, timeoutMs: 30_000 }));
      assert.equal(png.kind, 'image');
      assert.equal(png.width, 200);
      const m4a = parseProbe(await runner.probe(buildProbeArgs(await media('tone5.m4a')), { signal: new AbortController().signal, timeoutMs: 30_000 }));
      assert.equal(m4a.kind, 'audio');
      assert.equal(m4a.hasVideo, false);
    });

    it('refuses playlists and concat lists at probe time, opening nothing they name', async () => {
      const m3u8 = join(t.dir, 'evil.m3u8');
      await writeFile(m3u8, `#EXTM3U\n#EXT-X-TARGETDURATION:10\n#EXTINF:10,\nhttp://127.0.0.1:${port}/seg.ts\n#EXTINF:10,\n/etc/passwd\n#EXT-X-ENDLIST\n`);
      const concat = join(t.dir, 'evil.txt');
      await writeFile(concat, `ffconcat version 1.0\nfile '/etc/passwd'\nfile 'http://127.0.0.1:${port}/x.mp4'\n`);
      for (const file of [m3u8, concat]) {
        await assert.rejects(runner.probe(buildProbeArgs(file), { signal: new AbortController().signal, timeoutMs: 30_000 }), isCode('input_invalid'));
      }
      assert.equal(hits, 0, 'ffprobe must not have fetched anything');
    });

    it('rejects non-media with input_invalid', async () => {
      const junk = join(t.dir, 'junk.bin');
      await writeFile(junk, Buffer.from('this is not a video at all, just text'.repeat(50)));
      await assert.rejects(runner.probe(buildProbeArgs(junk), { signal: new AbortController().signal, timeoutMs: 30_000 }), isCode('input_invalid'));
    });

    it('reports progress while running', async () => {
      const seen: number[] = [];
      await runner.run(['-hide_banner', '-nostdin', '-y', '-progress', 'pipe:1', '-nostats', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-t', '3', '-f', 'null', '-'], {
        signal: new AbortController().signal,
        stallTimeoutMs: 30_000,
        onProgress: (p) => void seen.push(p.outTime),
      });
      assert.ok(seen.length >= 1);
      assert.ok(seen[seen.length - 1] > 2.5, `last out_time ${seen[seen.length - 1]}`);
    });

    it('reports the CPU seconds of an encode as ffmpeg itself counts them (-benchmark), and of each ffprobe', { skip: process.platform !== 'linux' && 'Linux only' }, async () => {
      const reported: Array<number | null> = [];
      const args = ['-hide_banner', '-nostdin', '-benchmark', '-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25', '-t', '4', '-c:v', 'libx264', '-preset', 'veryfast', '-f', 'null', '-'];
      const { stderrTail } = await runner.run(args, { signal: new AbortController().signal, stallTimeoutMs: 30_000, onCpuSeconds: (s) => void reported.push(s) });
      // ffmpeg's own getrusage(RUSAGE_SELF) over its transcode: the whole process also starts
      // up (loads its libraries, opens the encoder: ~0.1 s here) and tears down.
      const bench = /bench: utime=([\d.]+)s stime=([\d.]+)s/.exec(stderrTail);
      assert.ok(bench, stderrTail);
      const own = Number(bench[1]) + Number(bench[2]);
      assert.equal(reported.length, 1);
      assert.ok(own > 0.2 && reported[0]! >= own - 0.011 && reported[0]! <= own + 0.25, `counted ${reported[0]} s, ffmpeg said ${own} s`);

      const probes: Array<number | null> = [];
      await runner.probe(buildProbeArgs(await media('clip20.mp4')), { signal: new AbortController().signal, timeoutMs: 30_000, onCpuSeconds: (s) => void probes.push(s) });
      await assert.rejects(runner.probe(buildProbeArgs(join(t.dir, 'missing.mp4')), { signal: new AbortController().signal, timeoutMs: 30_000, onCpuSeconds: (s) => void probes.push(s) }));
      assert.equal(probes.length, 2, 'one report per ffprobe, failed ones too');
      assert.ok(probes.every((s) => typeof s === 'number' && s >= 0 && s < 5), String(probes));
    });

    it('kills ffmpeg within a second of an abort', async () => {
      const controller = new AbortController();
      const started = Date.now();
      const run = runner.run(['-hide_banner', '-nostdin', '-y', '-progress', 'pipe:1', '-re', '-f', 'lavfi', '-i', 'testsrc2=size=160x120:rate=25', '-t', '60', '-f', 'null', '-'], {
        signal: controller.signal,
        stallTimeoutMs: 30_000,
      });
      setTimeout(() => controller.abort(), 300);
      await assert.rejects(run, (e: unknown) => e instanceof AbortedError);
      assert.ok(Date.now() - started < 1300, `took ${Date.now() - started} ms`);
    });

    it('kills an ffmpeg that makes no progress and says it stalled', async () => {
      const fifo = join(t.dir, `stall-${Date.now()}.fifo`);
      await promisify(execFile)('mkfifo', [fifo]);
      // Nobody ever writes to the FIFO: ffmpeg blocks opening it and prints nothing.
      await assert.rejects(
        runner.run(['-hide_banner', '-nostdin', '-y', '-progress', 'pipe:1', '-i', fifo, '-f', 'null', '-'], { signal: new AbortController().signal, stallTimeoutMs: 700 }),
        isCode('ffmpeg_stalled'),
      );
    });

    it('turns a failing ffmpeg into ffmpeg_failed with its last words', async () => {
      await assert.rejects(
        runner.run(['-hide_banner', '-nostdin', '-f', 'lavfi', '-i', 'nosuchfilter_xyz', '-f', 'null', '-'], { signal: new AbortController().signal, stallTimeoutMs: 30_000 }),
        (e: unknown) => isCode('ffmpeg_failed')(e) && /nosuchfilter_xyz|No such filter|Invalid argument/i.test((e as Error).message),
      );
    });
  });
}
