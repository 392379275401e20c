import assert from 'node:assert/strict';
import { resolve } from 'node:path';
import { describe, it } from 'node:test';
import { defaultConcurrency, loadConfig } from './config.js';
import { assertConfigError } from '../../test/helpers/config-assert.js';

describe('loadConfig: defaults', () => {
  it('an empty environment gives the documented defaults', () => {
    assert.deepEqual(loadConfig({}), {
      port: 3000,
      host: '127.0.0.1',
      dataDir: resolve('./data'),
      publicUrl: null,
      consoleDir: null,
      apiKey: null,
      signingSecret: null,
      logLevel: 'info',
      worker: {
        enabled: true,
        concurrency: defaultConcurrency(),
        leaseMs: 30_000,
        heartbeatMs: 2000,
        stallTimeoutMs: 120_000,
        retryBaseMs: 2000,
        maxAttempts: 3,
        shutdownGraceMs: 30_000,
        probeTimeoutMs: 60_000,
        progressIntervalMs: 500,
      },
      limits: { maxUploadBytes: 5 * 1024 ** 3, maxDurationSeconds: 4 * 3600, maxPixels: 7680 * 4320, maxFramesPerJob: 10_000, uploadIdleMs: 60_000, maxConcurrentUploads: 8, tusExpiryMs: 86_400_000 },
      encoding: { preset: 'veryfast', threads: 0, maxFps: 60, chunking: { mode: 'auto', minSeconds: 120 } },
      urlImport: { allowlist: [], maxBytes: 5 * 1024 ** 3, timeoutMs: 3_600_000, maxRedirects: 5, ytdlp: null },
      webhooks: { allowlist: [], retrySchedule: [0, 5000, 300_000, 1_800_000, 7_200_000, 18_000_000, 36_000_000, 50_400_000, 72_000_000, 86_400_000], disableAfterMs: 432_000_000 },
      email: { smtpUrl: null, from: 'mediaforge@localhost' },
      linkTtlSeconds: 86_400,
      costs: { perCpuHour: null, perGbMonth: null },
      rateLimit: { perMinute: 100 },
      trustProxy: false,
      registration: 'off',
      metrics: { enabled: true, port: null, token: null },
      tracing: { url: null, protocol: 'http/protobuf', serviceName: null, scheduleDelayMs: null, sampler: { name: 'parentbased_always_on', ratio: 1 } },
      quotas: { storageBytes: null, runningJobs: null, processingMinutesPerMonth: null, uploadBytes: null },
      retention: { sourceSeconds: 7 * 86_400, outputsSeconds: null, sweepMs: 300_000 },
      ffmpegPath: null,
      ffprobePath: null,
      ingestS3: null,
    });
  });

  it('reads the retention defaults (seconds or forever) and the sweep period, and refuses a bad one by name', () => {
    const c = loadConfig({ MEDIAFORGE_RETENTION_SOURCE_SECONDS: 'forever', MEDIAFORGE_RETENTION_OUTPUTS_SECONDS: '2592000', MEDIAFORGE_RETENTION_SWEEP_SECONDS: '0.5' });
    assert.deepEqual(c.retention, { sourceSeconds: null, outputsSeconds: 30 * 86_400, sweepMs: 500 });
    assert.deepEqual(loadConfig({ MEDIAFORGE_RETENTION_SOURCE_SECONDS: '0' }).retention.sourceSeconds, 0);
    assert.throws(() => loadConfig({ MEDIAFORGE_RETENTION_SOURCE_SECONDS: '7d' }), /MEDIAFORGE_RETENTION_SOURCE_SECONDS="7d" is not allowed; expected a whole number of seconds from 0 to \d+, or forever/);
    assert.throws(() => loadConfig({ MEDIAFORGE_RETENTION_SWEEP_SECONDS: '0' }), /MEDIAFORGE_RETENTION_SWEEP_SECONDS/);
  });

  it('reads the default quotas, and refuses a bad one by name', () => {
    const c = loadConfig({ MEDIAFORGE_QUOTA_STORAGE_BYTES: '10GiB', MEDIAFORGE_QUOTA_RUNNING_JOBS: '4', MEDIAFORGE_QUOTA_PROCESSING_MINUTES: '600', MEDIAFORGE_QUOTA_UPLOAD_BYTES: '500MB' });
    assert.deepEqual(c.quotas, { storageBytes: 10 * 1024 ** 3, runningJobs: 4, processingMinutesPerMonth: 600, uploadBytes: 500 * 1024 ** 2 });
    assert.throws(() => loadConfig({ MEDIAFORGE_QUOTA_RUNNING_JOBS: '0' }), /MEDIAFORGE_QUOTA_RUNNING_JOBS="0" is not allowed/);
    assert.throws(() => loadConfig({ MEDIAFORGE_QUOTA_STORAGE_BYTES: 'lots' }), /MEDIAFORGE_QUOTA_STORAGE_BYTES/);
  });

  it('reads the metrics switch, port and token, and refuses a short token or a bad port by name', () => {
    const c = loadConfig({ MEDIAFORGE_METRICS: 'off', MEDIAFORGE_METRICS_PORT: '9464', MEDIAFORGE_METRICS_TOKEN: 'a-scrape-token-of-24chars' });
    assert.deepEqual(c.metrics, { enabled: false, port: 9464, token: 'a-scrape-token-of-24chars' });
    assert.throws(() => loadConfig({ MEDIAFORGE_METRICS_TOKEN: 'short' }), /MEDIAFORGE_METRICS_TOKEN="short" is not allowed; expected at least 16 printable characters/);
    assert.throws(() => loadConfig({ MEDIAFORGE_METRICS_PORT: '70000' }), /MEDIAFORGE_METRICS_PORT/);
    assert.throws(() => loadConfig({ MEDIAFORGE_METRICS: 'maybe' }), /MEDIAFORGE_METRICS="maybe" is not allowed; expected on or off/);
  });

  it('defaultConcurrency is at least 1', () => {
    assert.ok(defaultConcurrency() >= 1);
  });

  it('an empty value means "not set"', () => {
    assert.equal(loadConfig({ PORT: '', MEDIAFORGE_API_KEY: '' }).port, 3000);
    assert.equal(loadConfig({ MEDIAFORGE_API_KEY: '' }).apiKey, null);
  });
});

describe('loadConfig: values from the environment', () => {
  it('reads and converts every kind of value', () => {
    const c = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      MEDIAFORGE_DATA_DIR: '/var/lib/mediaforge',
      MEDIAFORGE_PUBLIC_URL: 'https://media.example.com/base',
      MEDIAFORGE_API_KEY: 'k'.repeat(16),
      MEDIAFORGE_SIGNING_SECRET: 's'.repeat(32),
      LOG_LEVEL: 'debug',
      MEDIAFORGE_WORKER: 'off',
      MEDIAFORGE_WORKER_CONCURRENCY: '4',
      MEDIAFORGE_LEASE_SECONDS: '1.5',
      MEDIAFORGE_HEARTBEAT_SECONDS: '0.5',
      MEDIAFORGE_MAX_DURATION_SECONDS: '60',
      MEDIAFORGE_LINK_TTL_SECONDS: '600',
      FFMPEG_PATH: '/opt/ffmpeg/bin/ffmpeg',
    });
    assert.equal(c.port, 8080);
    assert.equal(c.host, '0.0.0.0');
    assert.equal(c.dataDir, '/var/lib/mediaforge');
    assert.equal(c.publicUrl, 'https://media.example.com/base');
    assert.equal(c.apiKey, 'kkkkkkkkkkkkkkkk');
    assert.equal(c.signingSecret, 's'.repeat(32));
    assert.equal(c.logLevel, 'debug');
    assert.equal(c.worker.enabled, false);
    assert.equal(c.worker.concurrency, 4);
    assert.equal(c.worker.leaseMs, 1500);
    assert.equal(c.worker.heartbeatMs, 500);
    assert.equal(c.limits.maxDurationSeconds, 60);
    assert.equal(c.linkTtlSeconds, 600);
    assert.equal(c.ffmpegPath, '/opt/ffmpeg/bin/ffmpeg');
    assert.equal(c.ffprobePath, null);
  });

  it('booleans accept the usual spellings', () => {
    for (const v of ['1', 'true', 'YES', 'on']) assert.equal(loadConfig({ MEDIAFORGE_WORKER: v }).worker.enabled, true, v);
    for (const v of ['0', 'false', 'No', 'off']) assert.equal(loadConfig({ MEDIAFORGE_WORKER: v }).worker.enabled, false, v);
  });

  it('byte sizes with units are binary multiples', () => {
    const bytes = (v: string) => loadConfig({ MEDIAFORGE_MAX_UPLOAD_BYTES: v }).limits.maxUploadBytes;
    assert.equal(bytes('1048576'), 1_048_576);
    assert.equal(bytes('500MB'), 500 * 1024 ** 2);
    assert.equal(bytes('10GiB'), 10 * 1024 ** 3);
    assert.equal(bytes('1.5k'), 1536);
    assert.equal(bytes(' 2 gb '), 2 * 1024 ** 3);
    assert.equal(bytes('1T'), 1024 ** 4);
    assert.equal(bytes('512b'), 512);
  });

  it('overrides win over the environment', () => {
    assert.equal(loadConfig({ PORT: '8080' }, { overrides: { PORT: '9090' } }).port, 9090);
  });
});

describe('loadConfig: prices', () => {
  it('unset gives no cost figure; a number, 0 included, is a price', () => {
    assert.deepEqual(loadConfig({ MEDIAFORGE_COST_PER_CPU_HOUR: '0.045', MEDIAFORGE_COST_PER_GB_MONTH: '0' }).costs, { perCpuHour: 0.045, perGbMonth: 0 });
    assert.deepEqual(loadConfig({ MEDIAFORGE_COST_PER_CPU_HOUR: ' 2 ' }).costs, { perCpuHour: 2, perGbMonth: null });
  });

  it('refuses what is not a plain non-negative number, naming the key', () => {
    for (const bad of ['-1', 'abc', '1e3', '0x10', '$0.05', '1,5', 'Infinity', '2e9']) {
      assertConfigError(() => loadConfig({ MEDIAFORGE_COST_PER_CPU_HOUR: bad }), 'MEDIAFORGE_COST_PER_CPU_HOUR', JSON.stringify(bad), 'a price');
    }
    assertConfigError(() => loadConfig({ MEDIAFORGE_COST_PER_GB_MONTH: '-0.01' }), 'MEDIAFORGE_COST_PER_GB_MONTH');
  });
});

describe('loadConfig: bad values', () => {
  it('encoder settings: an x264 preset name, whole thread and fps numbers', () => {
    assert.deepEqual(loadConfig({ MEDIAFORGE_ENCODER_PRESET: 'medium', MEDIAFORGE_ENCODER_THREADS: '2', MEDIAFORGE_HLS_MAX_FPS: '30' }).encoding, { preset: 'medium', threads: 2, maxFps: 30, chunking: { mode: 'auto', minSeconds: 120 } });
    assertConfigError(() => loadConfig({ MEDIAFORGE_ENCODER_PRESET: 'placebo' }), 'MEDIAFORGE_ENCODER_PRESET', '"placebo"', 'ultrafast … veryslow');
    assertConfigError(() => loadConfig({ MEDIAFORGE_HLS_MAX_FPS: '0' }), 'MEDIAFORGE_HLS_MAX_FPS');
  });

  it('chunking: MEDIAFORGE_CHUNKING auto or off, MEDIAFORGE_CHUNK_MIN_SECONDS whole seconds from 10', () => {
    assert.deepEqual(loadConfig({ MEDIAFORGE_CHUNKING: 'off', MEDIAFORGE_CHUNK_MIN_SECONDS: '300' }).encoding.chunking, { mode: 'off', minSeconds: 300 });
    assertConfigError(() => loadConfig({ MEDIAFORGE_CHUNKING: 'on' }), 'MEDIAFORGE_CHUNKING', '"on"', 'auto or off');
    assertConfigError(() => loadConfig({ MEDIAFORGE_CHUNK_MIN_SECONDS: '5' }), 'MEDIAFORGE_CHUNK_MIN_SECONDS', 'from 10 to 86400');
    assertConfigError(() => loadConfig({ MEDIAFORGE_CHUNK_MIN_SECONDS: '2.5' }), 'MEDIAFORGE_CHUNK_MIN_SECONDS');
  });

  it('MEDIAFORGE_RATE_LIMIT_PER_MINUTE: a whole number, 0 turns the limit off', () => {
    assert.equal(loadConfig({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '600' }).rateLimit.perMinute, 600);
    assert.equal(loadConfig({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '0' }).rateLimit.perMinute, 0);
    assertConfigError(() => loadConfig({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '-5' }), 'MEDIAFORGE_RATE_LIMIT_PER_MINUTE', '"-5"', 'from 0 to 1000000');
    assertConfigError(() => loadConfig({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: '1.5' }), 'MEDIAFORGE_RATE_LIMIT_PER_MINUTE');
    assertConfigError(() => loadConfig({ MEDIAFORGE_RATE_LIMIT_PER_MINUTE: 'off' }), 'MEDIAFORGE_RATE_LIMIT_PER_MINUTE');
  });

  it('MEDIAFORGE_REGISTRATION: off by default, open or off', () => {
    assert.equal(loadConfig({}).registration, 'off');
    assert.equal(loadConfig({ MEDIAFORGE_REGISTRATION: 'open' }).registration, 'open');
    assertConfigError(() => loadConfig({ MEDIAFORGE_REGISTRATION: 'yes' }), 'MEDIAFORGE_REGISTRATION', '"yes"', 'open or off');
  });

  it('PORT=abc names the key, the value and the allowed range', () => {
    assertConfigError(() => loadConfig({ PORT: 'abc' }), 'PORT', '"abc"', 'a whole number from 0 to 65535');
  });

  it('numbers out of range or not whole', () => {
    assertConfigError(() => loadConfig({ PORT: '70000' }), 'PORT', '"70000"', '0 to 65535');
    assertConfigError(() => loadConfig({ PORT: '-1' }), 'PORT');
    assertConfigError(() => loadConfig({ PORT: '80.5' }), 'PORT');
    assertConfigError(() => loadConfig({ MEDIAFORGE_WORKER_CONCURRENCY: '0' }), 'MEDIAFORGE_WORKER_CONCURRENCY', 'from 1 to 256');
    assertConfigError(() => loadConfig({ MEDIAFORGE_MAX_PIXELS: '0' }), 'MEDIAFORGE_MAX_PIXELS', 'from 1 to any size');
  });

  it('MEDIAFORGE_MAX_UPLOAD_BYTES=lots and other bad sizes', () => {
    assertConfigError(() => loadConfig({ MEDIAFORGE_MAX_UPLOAD_BYTES: 'lots' }), 'MEDIAFORGE_MAX_UPLOAD_BYTES', '"lots"', 'a size in bytes', '500MB');
    assertConfigError(() => loadConfig({ MEDIAFORGE_MAX_UPLOAD_BYTES: '0' }), 'MEDIAFORGE_MAX_UPLOAD_BYTES');
    assertConfigError(() => loadConfig({ MEDIAFORGE_MAX_UPLOAD_BYTES: '10 XB' }), 'MEDIAFORGE_MAX_UPLOAD_BYTES');
    assertConfigError(() => loadConfig({ MEDIAFORGE_MAX_UPLOAD_BYTES: '5i' }), 'MEDIAFORGE_MAX_UPLOAD_BYTES');
  });

  it('HOST with spaces', () => {
    assertConfigError(() => loadConfig({ HOST: 'my host' }), 'HOST', '"my host"', 'a host name or IP address');
  });

  it('seconds out of range', () => {
    assertConfigError(() => loadConfig({ MEDIAFORGE_LEASE_SECONDS: '0' }), 'MEDIAFORGE_LEASE_SECONDS', 'from 1 to 3600');
    assertConfigError(() => loadConfig({ MEDIAFORGE_HEARTBEAT_SECONDS: 'soon' }), 'MEDIAFORGE_HEARTBEAT_SECONDS', '"soon"');
    assertConfigError(() => loadConfig({ MEDIAFORGE_STALL_TIMEOUT_SECONDS: ' ' }), 'MEDIAFORGE_STALL_TIMEOUT_SECONDS');
  });

  it('strings that do not fit their pattern', () => {
    assertConfigError(() => loadConfig({ LOG_LEVEL: 'verbose' }), 'LOG_LEVEL', '"verbose"', 'fatal, error, warn, info, debug, trace or silent');
    assertConfigError(() => loadConfig({ MEDIAFORGE_WORKER: 'maybe' }), 'MEDIAFORGE_WORKER', 'true or false');
    assertConfigError(() => loadConfig({ MEDIAFORGE_PUBLIC_URL: 'media.example.com' }), 'MEDIAFORGE_PUBLIC_URL', 'an http(s) URL');
    assertConfigError(() => loadConfig({ MEDIAFORGE_API_KEY: 'short' }), 'MEDIAFORGE_API_KEY', 'at least 16');
    assertConfigError(() => loadConfig({ MEDIAFORGE_SIGNING_SECRET: 'x'.repeat(31) }), 'MEDIAFORGE_SIGNING_SECRET', 'at least 32');
    assertConfigError(() => loadConfig({ MEDIAFORGE_API_KEY: 'has a space in it ok' }), 'MEDIAFORGE_API_KEY');
  });

  it('URL allowlist entries: host:port accepted, an entry that could never match stops the start', () => {
    assert.deepEqual(loadConfig({ MEDIAFORGE_URL_ALLOWLIST: '127.0.0.1:3791,media.internal' }).urlImport.allowlist, [
      { host: '127.0.0.1', port: 3791 },
      { host: 'media.internal', port: null },
    ]);
    assertConfigError(() => loadConfig({ MEDIAFORGE_URL_ALLOWLIST: '127.0.0.1:99999' }), 'MEDIAFORGE_URL_ALLOWLIST', '"127.0.0.1:99999"', 'port');
    assertConfigError(() => loadConfig({ MEDIAFORGE_URL_ALLOWLIST: 'ok.example,https://media.internal' }), 'MEDIAFORGE_URL_ALLOWLIST', '"https://media.internal"');
    assertConfigError(() => loadConfig({ MEDIAFORGE_URL_ALLOWLIST: '*.example.com' }), 'MEDIAFORGE_URL_ALLOWLIST', 'wildcard');
  });

  it('webhooks: their own allowlist in the same format, and a retry schedule of waits', () => {
    const c = loadConfig({ MEDIAFORGE_WEBHOOK_ALLOWLIST: '127.0.0.1:4000,hooks.internal', MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE: '0,100ms,2s,1m' });
    assert.deepEqual(c.webhooks, { allowlist: [{ host: '127.0.0.1', port: 4000 }, { host: 'hooks.internal', port: null }], retrySchedule: [0, 100, 2000, 60_000], disableAfterMs: 432_000_000 });
    assert.deepEqual(c.urlImport.allowlist, [], 'the import allowlist is another setting');
    assertConfigError(() => loadConfig({ MEDIAFORGE_WEBHOOK_ALLOWLIST: 'https://hooks.internal' }), 'MEDIAFORGE_WEBHOOK_ALLOWLIST', '"https://hooks.internal"');
    assertConfigError(() => loadConfig({ MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE: '0,5 minutes' }), 'MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE', '"0,5 minutes"', 'the waits before each attempt');
    assertConfigError(() => loadConfig({ MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE: '0,30d' }), 'MEDIAFORGE_WEBHOOK_RETRY_SCHEDULE');
  });

  it('e-mail: an smtp(s) URL, a plain From address, and the disable period in seconds', () => {
    const c = loadConfig({ MEDIAFORGE_SMTP_URL: 'smtps://u:p@mail.example.com:465', MEDIAFORGE_SMTP_FROM: 'media@example.com', MEDIAFORGE_WEBHOOK_DISABLE_AFTER_SECONDS: '3600' });
    assert.deepEqual(c.email, { smtpUrl: 'smtps://u:p@mail.example.com:465', from: 'media@example.com' });
    assert.equal(c.webhooks.disableAfterMs, 3_600_000);
    assertConfigError(() => loadConfig({ MEDIAFORGE_SMTP_URL: 'http://mail.example.com' }), 'MEDIAFORGE_SMTP_URL', 'smtp://host:port');
    assertConfigError(() => loadConfig({ MEDIAFORGE_SMTP_FROM: 'Media <media@example.com>' }), 'MEDIAFORGE_SMTP_FROM', 'a plain address');
    assertConfigError(() => loadConfig({ MEDIAFORGE_WEBHOOK_DISABLE_AFTER_SECONDS: '0' }), 'MEDIAFORGE_WEBHOOK_DISABLE_AFTER_SECONDS');
  });

  it('a value with a newline still gives a one-line message', () => {
    assertConfigError(() => loadConfig({ HOST: 'a\nb' }), 'HOST', '"a\\nb"');
  });
});

describe('loadConfig: MEDIAFORGE_TRUST_PROXY', () => {
  it('is off by default; takes a hop count, or addresses, CIDRs and keywords', () => {
    assert.equal(loadConfig({}).trustProxy, false);
    assert.equal(loadConfig({ MEDIAFORGE_TRUST_PROXY: 'off' }).trustProxy, false);
    assert.equal(loadConfig({ MEDIAFORGE_TRUST_PROXY: '2' }).trustProxy, 2);
    assert.deepEqual(loadConfig({ MEDIAFORGE_TRUST_PROXY: '10.0.0.0/8, 192.168.1.10,loopback,fd00::/8' }).trustProxy, ['10.0.0.0/8', '192.168.1.10', 'loopback', 'fd00::/8']);
  });

  it('refuses what could not name a proxy, naming the key and what it takes', () => {
    for (const bad of ['on', 'true', '10.0.0.0/33', 'proxy.example.com', '99', '10.0.0.1/8/1', '::1/129']) {
      assertConfigError(() => loadConfig({ MEDIAFORGE_TRUST_PROXY: bad }), 'MEDIAFORGE_TRUST_PROXY', 'number of proxy hops');
    }
  });
});
