import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DbJobQueue } from '../../src/adapters/db-queue/db.job-queue.js';
import { FsBlobStore } from '../../src/adapters/fs/fs.blob-store.js';
import { MemoryEventBus } from '../../src/adapters/memory/memory.event-bus.js';
import { sqliteCapabilities } from '../../src/adapters/sql/dialect.js';
import { openSqliteDatabase, type SqliteHandle } from '../../src/adapters/sqlite/sqlite.database.js';
import { newId } from '../../src/domain/ids.js';
import { decideCancel, decideCreate } from '../../src/domain/job-lifecycle.js';
import type { JobEvent, JobRecord } from '../../src/domain/job.js';
import { keys } from '../../src/domain/keys.js';
import { createLogger } from '../../src/main/logger.js';
import type { Clock } from '../../src/ports/clock.port.js';
import { Attempt } from '../../src/worker/attempt.js';
import type { AttemptDeps, AttemptSettings } from '../../src/worker/attempt-context.js';
import type { QueueMessages } from '../../src/worker/queue-messages.js';
import { ScriptedRunner } from './scripted-runner.js';
import { tempDir } from './temp.js';
import { ADMIN } from './principals.js';

/** Time that moves only when a test says so. */
export class TestClock implements Clock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

export const THUMBNAIL = { type: 'thumbnail' as const, format: 'jpg' as const, deinterlace: 'auto' as const };

export const SETTINGS: AttemptSettings = {
  // Heartbeats and progress timers never fire on their own in a test: tests call heartbeat().
  leaseMs: 30_000, heartbeatMs: 3_600_000, stallTimeoutMs: 10_000, retryBaseMs: 1_000, probeTimeoutMs: 10_000, progressIntervalMs: 0,
  urlImport: { maxBytes: 1e6, timeoutMs: 60_000 },
  limits: { maxDurationSeconds: 3600, maxPixels: 1e8, maxFramesPerJob: 1000 },
};

/**
 * An attempt's world for unit tests: the real SQLite adapter and folder store in a temp dir,
 * an in-memory clock, in-process events (every one recorded), a scripted media runner, and
 * the sends the settle step asks for (recorded instead of sent; the outbox rows are real).
 */
export class AttemptRig {
  readonly clock = new TestClock();
  readonly runner = new ScriptedRunner();
  readonly events = new MemoryEventBus();
  readonly published: JobEvent[] = [];
  readonly sent: Array<{ jobId: string }> = [];
  readonly messages: QueueMessages = {
    send: async (job) => void this.sent.push({ jobId: job.id }),
    resendUndispatched: async () => undefined,
  };
  private constructor(readonly dir: string, readonly db: SqliteHandle, readonly blobs: FsBlobStore, readonly cleanup: () => Promise<void>) {
    this.events.subscribe('*', (e) => this.published.push(e));
  }

  static async open(): Promise<AttemptRig> {
    const t = await tempDir('mf-attempt-');
    const db = await openSqliteDatabase(join(t.dir, 'jobs.db'));
    return new AttemptRig(t.dir, db, new FsBlobStore(join(t.dir, 'blobs')), t.cleanup);
  }

  get scratch(): string {
    return join(this.dir, 'scratch');
  }

  /** A real queue on the same database, on this rig's clock (for the worker loop's tests). */
  queue(name: string): DbJobQueue {
    return new DbJobQueue(this.db.kysely, { queue: name, owner: 'w', clock: this.clock, caps: sqliteCapabilities });
  }

  /** A queued job on a stored upload (or on `inputUrl`), `outputs` thumbnails. */
  async job(opts: { outputs?: number; maxAttempts?: number; inputUrl?: string; /** Another job on this job's upload. */ sameUploadAs?: JobRecord } = {}): Promise<JobRecord> {
    const now = this.clock.now();
    const uploadId = opts.sameUploadAs?.uploadId ?? newId('upl', now);
    if (!opts.sameUploadAs) {
      const key = keys.uploadSource(ADMIN.accountId, uploadId);
      const file = join(this.dir, `${uploadId}.mp4`);
      await writeFile(file, Buffer.alloc(2048));
      const { size } = await this.blobs.putFile(key, file);
      await this.db.uploads.create(ADMIN, { id: uploadId, filename: 'in.mp4', size, contentType: 'video/mp4', sha256: '', key, createdAt: now });
    }
    const id = newId('job', now);
    const outputs = Array.from({ length: opts.outputs ?? 1 }, () => ({ spec: THUMBNAIL, status: 'pending' as const, files: [] }));
    const { job } = await this.db.jobs.create(ADMIN, {
      id, uploadId, inputUrl: opts.inputUrl ?? null, outputs, userMetadata: null, maxAttempts: opts.maxAttempts ?? 3, createdAt: now, initial: decideCreate(id, now).write,
    });
    return job;
  }

  async claim(id: string, owner = 'w1'): Promise<JobRecord> {
    const job = await this.db.jobs.claim(id, owner, this.clock.now(), SETTINGS.leaseMs);
    if (!job) throw new Error(`job ${id} could not be claimed`);
    return job;
  }

  attempt(job: JobRecord, deps: Partial<AttemptDeps> = {}, settings: Partial<AttemptSettings> = {}): Attempt {
    const logger = createLogger(process.env.LOG_LEVEL ?? 'silent');
    return new Attempt({ db: this.db, blobs: this.blobs, runner: this.runner, events: this.events, clock: this.clock, logger, messages: this.messages, ...deps }, { ...SETTINGS, ...settings }, job, this.scratch);
  }

  /** What the jobs service does on POST /v1/jobs/:id/cancel: the guarded write, then (unless `announce` is false) its event. */
  async cancel(id: string, announce = true): Promise<JobRecord> {
    const job = await this.db.jobs.get(ADMIN, id);
    const decision = decideCancel(job!, this.clock.now());
    if (!(await this.db.jobs.transition(id, decision))) throw new Error(`job ${id} could not be canceled`);
    if (announce) for (const e of decision.events) await this.events.publish(e);
    return (await this.db.jobs.get(ADMIN, id))!;
  }

  async close(): Promise<void> {
    await this.db.close();
    await this.cleanup();
  }
}
