// The parts of the API's answers the console reads (docs/api.md; GET /v1/openapi.json has them all).

export interface JobFile {
  name: string;
  url: string;
  size?: number;
  contentType?: string;
}

export interface JobOutput {
  type: string;
  files?: JobFile[];
}

export interface Job {
  id: string;
  status: string;
  progress?: number;
  stage?: string | null;
  etaSeconds?: number | null;
  outputs?: JobOutput[];
  error?: { code: string; message: string } | null;
}

/** GET /v1/jobs/{id}/events: `status` events carry the whole job, `progress` events part of it. */
export type JobUpdate = Partial<Job> & { id?: string };
