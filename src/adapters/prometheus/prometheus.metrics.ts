import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { ROUTES, type Route } from '../../domain/routes.js';
import type { AttemptOutcome, JobGaugeSource, Metrics } from '../../ports/metrics.port.js';
import type { OutputType } from '../../domain/job-spec.js';

export interface PrometheusMetricsOptions {
  /** Where the queue-depth and running gauges come from (the database); absent: those gauges are not exported. */
  gauges?: JobGaugeSource;
  /** How long one reading of `gauges` serves scrapes (default 5 s), so a scrape storm costs one query. */
  gaugeCacheMs?: number;
  /** Clock of the cache (tests). */
  now?: () => number;
}

const HTTP_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS']);
const HTTP_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30];
// Jobs run from a second (a thumbnail) to hours (an HLS ladder of a film).
const JOB_BUCKETS = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600, 7200];
const WAIT_BUCKETS = [0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 3600];
// Media seconds per wall second: below 1 is slower than real time.
const SPEED_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64, 128];

/**
 * The Metrics port on prom-client, in a registry of its own (never prom-client's global one,
 * so two platforms in one test process do not mix their counts). Embedded `start` gives the
 * API and the worker the same instance: one endpoint shows both.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  private readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  private readonly httpDuration: Histogram<'method' | 'route' | 'status'>;
  private readonly jobs: Counter<'route' | 'status'>;
  private readonly jobDuration: Histogram<'route'>;
  private readonly queueWait: Histogram<'route'>;
  private readonly outputs: Counter<'type' | 'status'>;
  private readonly speed: Histogram<'type'>;
  private readonly frames: Counter;
  private readonly uploads: Counter;
  private readonly cpu: Counter<'route'>;
  private readonly webhooks: Counter<'status'>;
  private readonly slots = new Set<{ total: number; busy: () => number }>();
  private cached: { at: number; value: Promise<Awaited<ReturnType<JobGaugeSource['activeCounts']>>> } | null = null;

  constructor(private readonly opts: PrometheusMetricsOptions = {}) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = new Counter({ name: 'http_requests_total', help: 'HTTP requests answered, by method, route template and status', labelNames: ['method', 'route', 'status'], registers });
    this.httpDuration = new Histogram({ name: 'http_request_duration_seconds', help: 'Time to answer an HTTP request (to the last byte of a streamed body)', labelNames: ['method', 'route', 'status'], buckets: HTTP_BUCKETS, registers });
    this.jobs = new Counter({ name: 'mediaforge_jobs_total', help: 'Job attempts settled, by queue route and outcome (succeeded, failed, retrying, canceled, handed_back, lost)', labelNames: ['route', 'status'], registers });
    this.jobDuration = new Histogram({ name: 'mediaforge_job_duration_seconds', help: 'Wall time of one job attempt, claim to settle', labelNames: ['route'], buckets: JOB_BUCKETS, registers });
    this.queueWait = new Histogram({ name: 'mediaforge_job_queue_wait_seconds', help: 'Time a job waited between being due and being claimed', labelNames: ['route'], buckets: WAIT_BUCKETS, registers });
    this.outputs = new Counter({ name: 'mediaforge_outputs_total', help: 'Outputs finished, by output type and status', labelNames: ['type', 'status'], registers });
    this.speed = new Histogram({ name: 'mediaforge_ffmpeg_speed_ratio', help: 'Media seconds produced per wall second, one observation per ffmpeg run', labelNames: ['type'], buckets: SPEED_BUCKETS, registers });
    this.frames = new Counter({ name: 'mediaforge_frames_extracted_total', help: 'Frames extracted by frames outputs that succeeded', registers });
    this.uploads = new Counter({ name: 'mediaforge_upload_bytes_total', help: 'Bytes of sources that became ready uploads', registers });
    this.cpu = new Counter({ name: 'mediaforge_job_cpu_seconds_total', help: 'CPU seconds (user + system) of the processes of job attempts (ffprobe, ffmpeg, yt-dlp), by route', labelNames: ['route'], registers });
    this.webhooks = new Counter({ name: 'mediaforge_webhook_deliveries_total', help: 'Webhook delivery attempts recorded, by what they came to', labelNames: ['status'], registers });
    const slots = this.slots;
    new Gauge({ name: 'mediaforge_worker_slots', help: 'Jobs this process\'s workers may run at once (their concurrency)', registers, collect() {
      this.set([...slots].reduce((n, s) => n + s.total, 0));
    } });
    new Gauge({ name: 'mediaforge_worker_busy_slots', help: 'Jobs this process\'s workers are running now', registers, collect() {
      this.set([...slots].reduce((n, s) => n + s.busy(), 0));
    } });
    if (opts.gauges) {
      const read = () => this.activeCounts();
      new Gauge({ name: 'mediaforge_queue_depth', help: 'Jobs queued per route, from the database (the same in every process: aggregate with max)', labelNames: ['route'], registers, async collect() {
        const { queued } = await read();
        for (const route of ROUTES) this.set({ route }, queued[route] ?? 0);
      } });
      new Gauge({ name: 'mediaforge_jobs_running', help: 'Jobs running, from the database (the same in every process: aggregate with max)', registers, async collect() {
        this.set((await read()).running);
      } });
    }
  }

  /** One database reading per cache period; a failed reading is not kept. */
  private activeCounts() {
    const now = (this.opts.now ?? Date.now)();
    if (this.cached && now - this.cached.at < (this.opts.gaugeCacheMs ?? 5000)) return this.cached.value;
    const value = this.opts.gauges!.activeCounts();
    const entry = { at: now, value };
    this.cached = entry;
    value.catch(() => {
      if (this.cached === entry) this.cached = null;
    });
    return value;
  }

  request(r: { method: string; route: string; status: number; seconds: number }): void {
    const labels = { method: HTTP_METHODS.has(r.method) ? r.method : 'other', route: r.route, status: String(r.status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, r.seconds);
  }

  attemptStarted(r: { route: Route; queueWaitSeconds: number }): void {
    this.queueWait.observe({ route: r.route }, Math.max(0, r.queueWaitSeconds));
  }

  attemptEnded(r: { route: Route; outcome: AttemptOutcome; seconds: number; cpuSeconds: number | null }): void {
    this.jobs.inc({ route: r.route, status: r.outcome });
    this.jobDuration.observe({ route: r.route }, r.seconds);
    if (r.cpuSeconds !== null && r.cpuSeconds > 0) this.cpu.inc({ route: r.route }, r.cpuSeconds);
  }

  outputEnded(r: { type: OutputType; status: 'succeeded' | 'failed'; frames?: number }): void {
    this.outputs.inc({ type: r.type, status: r.status });
    if (r.frames) this.frames.inc(r.frames);
  }

  ffmpegRun(r: { type: OutputType; mediaSeconds: number; wallSeconds: number }): void {
    if (r.mediaSeconds > 0 && r.wallSeconds > 0) this.speed.observe({ type: r.type }, r.mediaSeconds / r.wallSeconds);
  }

  workerSlots(r: { total: number; busy: () => number }): () => void {
    const entry = { ...r };
    this.slots.add(entry);
    return () => void this.slots.delete(entry);
  }

  uploadBytes(bytes: number): void {
    if (bytes > 0) this.uploads.inc(bytes);
  }

  webhookDelivery(status: 'succeeded' | 'retrying' | 'failed'): void {
    this.webhooks.inc({ status });
  }

  async render(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
