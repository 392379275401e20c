import type { ApiJob } from '../client.js';
import { printTable } from '../table.js';
import { clientFrom, type ConnectionOptions } from './connection.js';

export async function jobsCommand(opts: ConnectionOptions & { status?: string; limit: string; json?: boolean }): Promise<void> {
  const client = clientFrom(opts);
  const qs = new URLSearchParams({ limit: opts.limit, ...(opts.status ? { status: opts.status } : {}) });
  const page = await client.request<{ jobs: ApiJob[]; nextCursor: string | null }>('GET', `/v1/jobs?${qs}`);
  if (opts.json) {
    console.log(JSON.stringify(page, null, 2));
    return;
  }
  const rows: string[][] = page.jobs.map((j) => [
    j.id,
    j.status,
    `${Math.round(j.progress)}%`,
    j.outputs.map((o) => o.type).join(',') || 'metadata',
    j.createdAt,
    j.error ? `${j.error.code}` : '',
  ]);
  printTable(['ID', 'STATUS', 'PROGRESS', 'OUTPUTS', 'CREATED', 'ERROR'], rows);
  if (page.nextCursor) console.log(`(more: --cursor ${page.nextCursor})`);
}
