import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import type { MediaRunner } from '../ports/media-runner.port.js';
import { probeUpload, reusableProbe, STORED_PROBE_VERSION, type StoredProbe } from './probe-reuse.js';

const FFPROBE_JSON = {
  streams: [{ codec_type: 'video', codec_name: 'h264', width: 320, height: 240, field_order: 'progressive', avg_frame_rate: '30/1', r_frame_rate: '30/1' }],
  format: { format_name: 'mov,mp4,m4a,3gp,3g2,mj2', duration: '100.000000', bit_rate: '400000' },
};
const LIMITS = { maxDurationSeconds: 3600, maxPixels: 1e8 };

/** A scripted runner: answers every probe with FFPROBE_JSON (or fails), counting them. */
function scriptedRunner(fail = false) {
  const calls = { probes: 0 };
  const runner = {
    caps: {},
    probe: async () => {
      calls.probes++;
      if (fail) throw new DomainError('input_invalid', 'ffmpeg cannot read this file as media');
      return FFPROBE_JSON;
    },
    run: async () => ({ stderrTail: '' }),
  } as unknown as MediaRunner;
  return { runner, calls };
}

describe('the probe of an upload is measured once and reused', () => {
  let dir = '';
  let input = '';
  const opts = () => ({ signal: new AbortController().signal, timeoutMs: 5000, limits: LIMITS });
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'probe-reuse-'));
    input = join(dir, 'upload.bin');
    await writeFile(input, Buffer.from(Array.from({ length: 64 }, (_, i) => i)));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('the first job probes and stores; the next one runs no ffprobe and gets the same facts', async () => {
    const { runner, calls } = scriptedRunner();
    const box = { saved: null as StoredProbe | null };
    const first = await probeUpload(runner, input, opts(), { probe: null, save: async (p) => void (box.saved = p) });
    assert.equal(first.reused, false);
    assert.equal(calls.probes, 1);
    assert.ok(box.saved);
    assert.equal(box.saved!.version, STORED_PROBE_VERSION);
    assert.equal(box.saved!.bytes, 64);
    // As the database would keep it: JSON.
    const stored = JSON.parse(JSON.stringify(box.saved));
    const second = await probeUpload(runner, input, opts(), { probe: stored, save: async () => assert.fail('nothing new to store') });
    assert.equal(second.reused, true);
    assert.equal(calls.probes, 1);
    assert.deepEqual(second.meta, first.meta);
    assert.deepEqual(second.truncation, first.truncation);
  });

  it('the limits are checked again on reuse (they are configuration, not facts of the file)', async () => {
    const { runner, calls } = scriptedRunner();
    const box = { saved: null as StoredProbe | null };
    await probeUpload(runner, input, opts(), { probe: null, save: async (p) => void (box.saved = p) });
    await assert.rejects(
      probeUpload(runner, input, { ...opts(), limits: { ...LIMITS, maxDurationSeconds: 50 } }, { probe: box.saved, save: async () => undefined }),
      (err: unknown) => err instanceof DomainError && err.code === 'limit_exceeded',
    );
    assert.equal(calls.probes, 1);
  });

  it('a probe of another version or of a file of another size is measured again', async () => {
    const { runner, calls } = scriptedRunner();
    const box = { saved: null as StoredProbe | null };
    await probeUpload(runner, input, opts(), { probe: null, save: async (p) => void (box.saved = p) });
    assert.equal(reusableProbe({ ...box.saved!, version: STORED_PROBE_VERSION - 1 }, 64), null);
    assert.equal(reusableProbe({ ...box.saved!, bytes: 65 }, 64), null);
    assert.equal(reusableProbe('not a probe', 64), null);
    const again = await probeUpload(runner, input, opts(), { probe: { ...box.saved!, bytes: 999 }, save: async () => undefined });
    assert.equal(again.reused, false);
    assert.equal(calls.probes, 2);
  });

  it('an input ffprobe cannot read stores nothing, so every job is refused the same way', async () => {
    const { runner, calls } = scriptedRunner(true);
    let saves = 0;
    for (let i = 0; i < 2; i++) {
      await assert.rejects(
        probeUpload(runner, input, opts(), { probe: null, save: async () => void saves++ }),
        (err: unknown) => err instanceof DomainError && err.code === 'input_invalid',
      );
    }
    assert.equal(saves, 0);
    assert.equal(calls.probes, 2);
  });
});
