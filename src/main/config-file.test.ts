import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { loadConfig } from './config.js';
import { assertConfigError } from '../../test/helpers/config-assert.js';

describe('loadConfig: config file', () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'mediaforge-config-test-'));
  });
  after(() => {
    rmSync(dir, { recursive: true, force: true });
  });
  const write = (name: string, content: string) => {
    const path = join(dir, name);
    writeFileSync(path, content);
    return path;
  };

  it('values from the file, numbers and booleans as JSON', () => {
    const file = write('ok.json', JSON.stringify({ PORT: 8081, HOST: '0.0.0.0', MEDIAFORGE_WORKER: false, MEDIAFORGE_MAX_UPLOAD_BYTES: '2GB', FFMPEG_PATH: null }));
    const c = loadConfig({}, { configFile: file });
    assert.equal(c.port, 8081);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.worker.enabled, false);
    assert.equal(c.limits.maxUploadBytes, 2 * 1024 ** 3);
    assert.equal(c.ffmpegPath, null);
  });

  it('the environment overrides the file, overrides override both', () => {
    const file = write('layered.json', JSON.stringify({ PORT: 8081, HOST: '10.0.0.1', LOG_LEVEL: 'warn' }));
    const c = loadConfig({ PORT: '8082', LOG_LEVEL: 'error' }, { configFile: file, overrides: { LOG_LEVEL: 'trace' } });
    assert.equal(c.port, 8082);
    assert.equal(c.host, '10.0.0.1');
    assert.equal(c.logLevel, 'trace');
  });

  it('MEDIAFORGE_CONFIG in the environment names the file', () => {
    const file = write('from-env.json', JSON.stringify({ PORT: 8083 }));
    assert.equal(loadConfig({ MEDIAFORGE_CONFIG: file }).port, 8083);
  });

  it('a bad value in the file is reported like one from the environment', () => {
    const file = write('bad-value.json', JSON.stringify({ PORT: 'abc' }));
    assertConfigError(() => loadConfig({}, { configFile: file }), 'PORT', '"abc"');
  });

  it('a missing file', () => {
    const missing = join(dir, 'nope.json');
    assertConfigError(() => loadConfig({}, { configFile: missing }), 'cannot read config file', missing);
  });

  it('a file that is not JSON', () => {
    const file = write('broken.json', '{ PORT: 8080, }');
    assertConfigError(() => loadConfig({}, { configFile: file }), 'cannot read config file', file);
  });

  it('JSON that is not an object', () => {
    for (const [name, text] of [['array.json', '[1,2]'], ['null.json', 'null'], ['string.json', '"PORT=1"']]) {
      const file = write(name, text);
      assertConfigError(() => loadConfig({}, { configFile: file }), file, 'JSON object');
    }
  });
});

describe('loadConfig: bucket events', () => {
  it('reads the secret and prefixes together, and names what is wrong', () => {
    const ok = loadConfig({}, { overrides: { MEDIAFORGE_INGEST_S3_SECRET: 'x'.repeat(16), MEDIAFORGE_INGEST_S3_PREFIXES: 'media/in/=acc_x:lms-hls' } });
    assert.deepEqual(ok.ingestS3, { secret: 'x'.repeat(16), prefixes: [{ bucket: 'media', prefix: 'in/', accountId: 'acc_x', preset: 'lms-hls' }] });
    assert.throws(() => loadConfig({}, { overrides: { MEDIAFORGE_INGEST_S3_PREFIXES: 'media/in/=acc_x:lms-hls' } }), /MEDIAFORGE_INGEST_S3_PREFIXES needs MEDIAFORGE_INGEST_S3_SECRET/);
    assert.throws(() => loadConfig({}, { overrides: { MEDIAFORGE_INGEST_S3_SECRET: 'x'.repeat(16) } }), /MEDIAFORGE_INGEST_S3_SECRET needs MEDIAFORGE_INGEST_S3_PREFIXES/);
    assert.throws(() => loadConfig({}, { overrides: { MEDIAFORGE_INGEST_S3_SECRET: 'short', MEDIAFORGE_INGEST_S3_PREFIXES: 'media/in/=acc_x:p' } }), /MEDIAFORGE_INGEST_S3_SECRET="short" is not allowed/);
    assert.throws(() => loadConfig({}, { overrides: { MEDIAFORGE_INGEST_S3_SECRET: 'x'.repeat(16), MEDIAFORGE_INGEST_S3_PREFIXES: 'media=acc_x' } }), /MEDIAFORGE_INGEST_S3_PREFIXES: "media=acc_x" is not bucket\/prefix=acc_id:preset/);
  });
});
