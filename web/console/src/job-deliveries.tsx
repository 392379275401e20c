import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import type { Delivery } from './types.js';

/** GET /v1/jobs/{id}/deliveries: this job's webhook deliveries to the account's endpoints. */
export function JobDeliveries({ jobId, version }: { jobId: string; version: string }) {
  const [list, setList] = useState<Delivery[] | null>(null);
  const [error, setError] = useState('');

  useEffect(() => {
    let gone = false;
    api<{ deliveries: Delivery[] }>('GET', `/v1/jobs/${jobId}/deliveries?limit=50`)
      .then((page) => !gone && (setList(page.deliveries), setError('')))
      .catch((err) => {
        if (gone) return;
        if (err instanceof ApiError && err.status === 403) setError(`Webhook deliveries need a key with the webhooks:manage scope (${err.code}).`);
        else setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err));
      });
    return () => {
      gone = true;
    };
  }, [jobId, version]);

  return (
    <section class="card" aria-labelledby="deliveries-h">
      <h2 id="deliveries-h">Webhook deliveries</h2>
      {error && <p class="error">{error}</p>}
      {list && list.length === 0 && <p id="no-deliveries">No webhook deliveries for this job (the account has no endpoint, or none subscribes to its events).</p>}
      {list && list.length > 0 && (
        <div class="table-wrap">
          <table class="deliveries">
            <thead>
              <tr>
                <th scope="col">Event</th>
                <th scope="col">Endpoint</th>
                <th scope="col">Status</th>
                <th scope="col">Attempts</th>
                <th scope="col">Last answer</th>
              </tr>
            </thead>
            <tbody>
              {list.map((d) => {
                const last = d.attempts.at(-1);
                return (
                  <tr key={d.id} data-delivery={d.id}>
                    <td>{d.event.type}</td>
                    <td>
                      <code>{d.endpointId}</code>
                    </td>
                    <td class={`status ${d.status}`}>{d.status}</td>
                    <td>{d.attemptCount}</td>
                    <td>{last ? `${last.statusCode ?? last.error ?? '—'} in ${last.latencyMs} ms` : d.nextAttemptAt ? `next at ${new Date(d.nextAttemptAt).toLocaleTimeString()}` : '—'}</td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
