import type { JobEvent } from '../domain/job.js';

/** Live job events. In-process for the embedded mode; a broker carries them when distributed. */
export type { JobEvent };

export interface EventBus {
  publish(event: JobEvent): Promise<void>;
  /** `jobId = '*'` listens to every job. Returns the unsubscribe function. */
  subscribe(jobId: string, listener: (event: JobEvent) => void): () => void;
  close(): Promise<void>;
}
