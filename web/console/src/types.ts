// The parts of the API's answers the console reads (docs/api.md; GET /v1/openapi.json has them all).

export interface JobFile {
  name: string;
  url: string;
  size?: number;
  contentType?: string;
}

export interface JobOutput {
  type: string;
  status?: string;
  files?: JobFile[];
  /** Each output type's own (docs/api.md, docs/hls.md, docs/clips-and-renditions.md). */
  result?: Record<string, unknown> | null;
}

export interface Job {
  id: string;
  status: string;
  progress?: number;
  stage?: string | null;
  etaSeconds?: number | null;
  outputs?: JobOutput[];
  error?: { code: string; message: string } | null;
  attempts?: number;
  maxAttempts?: number;
  input?: { uploadId?: string; url?: string; metadata?: Record<string, unknown> | null };
  warnings?: Array<{ code: string; message: string; output?: number }>;
  usage?: { inputSeconds?: number | null; cpuSeconds?: number | null; storageBytes?: number } | null;
  createdAt?: string;
  startedAt?: string | null;
  finishedAt?: string | null;
}

/** GET /v1/jobs/{id}/deliveries (docs/notifications.md). */
export interface Delivery {
  id: string;
  endpointId: string;
  event: { id: string; type: string; timestamp: string };
  status: string;
  attemptCount: number;
  nextAttemptAt: string | null;
  attempts: Array<{ at: string; statusCode: number | null; latencyMs: number; error: string | null }>;
}

/** GET /v1/jobs/{id}/events: `status` events carry the whole job, `progress` events part of it. */
export type JobUpdate = Partial<Job> & { id?: string };
