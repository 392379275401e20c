import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import type { Delivery } from './account-types.js';
import { Alert, errorText, when } from './notice.js';

/** datetime-local's value for a moment, in this browser's time zone. */
const localInput = (ms: number) => {
  const d = new Date(ms - new Date(ms).getTimezoneOffset() * 60_000);
  return d.toISOString().slice(0, 16);
};

const POLL_MS = 1000;

function DeliveryRow({ d, onRetry }: { d: Delivery; onRetry: () => void }) {
  const last = d.attempts.at(-1);
  const answer = last ? (last.statusCode !== null ? `HTTP ${last.statusCode}` : `no answer: ${last.error ?? 'unknown'}`) : 'not tried yet';
  return (
    <li class="row" data-delivery={d.id} data-status={d.status} data-event={d.event.type}>
      <div class="row-head">
        <span class={`status ${d.status === 'succeeded' ? 'succeeded' : d.status === 'failed' ? 'failed' : ''}`}>{d.status === 'succeeded' ? 'delivered' : d.status}</span>
        <span>{d.event.type}</span>
        <span class="code">{answer}</span>
      </div>
      <small>
        {d.attemptCount} attempt{d.attemptCount === 1 ? '' : 's'} · {when(last?.at ?? d.createdAt)}
        {d.status === 'pending' && d.nextAttemptAt ? ` · next ${when(d.nextAttemptAt)}` : ''} · <code>{d.id}</code>
      </small>
      {d.attempts.length > 0 && (
        <details>
          <summary>Attempts</summary>
          <ol class="attempts">
            {d.attempts.map((a) => (
              <li>
                {when(a.at)}: {a.statusCode !== null ? `HTTP ${a.statusCode}` : 'no answer'} in {a.latencyMs} ms{a.error ? ` — ${a.error}` : ''}
                {a.responseBody ? (
                  <>
                    {' '}
                    <code>{a.responseBody.slice(0, 200)}</code>
                  </>
                ) : null}
              </li>
            ))}
          </ol>
        </details>
      )}
      <div class="actions">
        <button type="button" aria-label={`Retry delivery ${d.id}`} onClick={onRetry}>
          Retry
        </button>
      </div>
    </li>
  );
}

/**
 * An endpoint's delivery log (GET /v1/webhooks/{id}/deliveries, newest first): followed every
 * second while a delivery is pending; *Retry* one, *Replay* every event since a time.
 */
export function Deliveries({ endpointId, version }: { endpointId: string; version: number }) {
  const [list, setList] = useState<Delivery[] | null>(null);
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const [since, setSince] = useState(() => localInput(Date.now() - 3600_000));
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stale = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    api<{ deliveries: Delivery[] }>('GET', `/v1/webhooks/${endpointId}/deliveries?limit=20`)
      .then((r) => {
        if (stale) return;
        setList(r.deliveries);
        if (r.deliveries.some((d) => d.status === 'pending')) timer = setTimeout(() => setTick((t) => t + 1), POLL_MS);
      })
      .catch((err) => !stale && setError(errorText(err)));
    return () => {
      stale = true;
      clearTimeout(timer);
    };
  }, [endpointId, version, tick]);

  const act = async (fn: () => Promise<string>) => {
    setError('');
    setMessage('');
    try {
      setMessage(await fn());
      setTick((t) => t + 1);
    } catch (err) {
      setError(errorText(err));
    }
  };
  const retry = (d: Delivery) => act(async () => `Delivery ${d.id} sent again (${(await api<Delivery>('POST', `/v1/webhooks/${endpointId}/deliveries/${d.id}/retry`)).id}).`);
  const replay = (e: Event) => {
    e.preventDefault();
    const at = new Date(since);
    if (Number.isNaN(at.getTime())) return setError('Give the time to replay from.');
    return act(async () => {
      const r = await api<{ replayed: number; since: string }>('POST', `/v1/webhooks/${endpointId}/replay`, { since: at.toISOString() });
      return `Replayed ${r.replayed} event${r.replayed === 1 ? '' : 's'} since ${when(r.since)}.`;
    });
  };

  const fieldId = `replay-since-${endpointId}`;
  return (
    <div class="deliveries" id={`deliveries-${endpointId}`}>
      <h4>Deliveries</h4>
      <form class="actions" onSubmit={replay}>
        <label for={fieldId}>Replay events since</label>
        <input id={fieldId} type="datetime-local" required value={since} onInput={(e) => setSince(e.currentTarget.value)} />
        <button type="submit" aria-label={`Replay events to ${endpointId}`}>
          Replay
        </button>
        <button type="button" aria-label={`Refresh deliveries of ${endpointId}`} onClick={() => setTick((t) => t + 1)}>
          Refresh
        </button>
      </form>
      <Alert text={error} />
      {message && (
        <p class="ok" role="status">
          {message}
        </p>
      )}
      {list && list.length === 0 && <p>No deliveries yet.</p>}
      {list && (
        <ul class="rows" aria-label={`Deliveries of ${endpointId}`}>
          {list.map((d) => (
            <DeliveryRow key={d.id} d={d} onRetry={() => retry(d)} />
          ))}
        </ul>
      )}
    </div>
  );
}
