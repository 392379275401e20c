import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import type { Endpoint } from './account-types.js';
import { choicesOf, type Choices } from './choices.js';
import { Alert, errorText } from './notice.js';
import { SecretOnce } from './secret-once.js';
import { WebhookEndpoint } from './webhook-endpoint.js';

/**
 * The account's webhook endpoints (GET /v1/webhooks, `webhooks:manage`; docs/notifications.md):
 * add one (its signing secret shown once), and each endpoint's actions and deliveries.
 */
export function Webhooks() {
  const [list, setList] = useState<Endpoint[] | null>(null);
  const [listError, setListError] = useState('');
  const [events, setEvents] = useState<Choices | null>(null);
  const [url, setUrl] = useState('');
  const [description, setDescription] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState('');
  const [fresh, setFresh] = useState<{ url: string; secret: string } | null>(null);
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stale = false;
    api<{ webhooks: Endpoint[] }>('GET', '/v1/webhooks')
      .then((r) => !stale && (setList(r.webhooks), setListError('')))
      .catch((err) => !stale && (setList(null), setListError(errorText(err))));
    return () => {
      stale = true;
    };
  }, [tick]);
  useEffect(() => {
    choicesOf('/v1/webhooks', 'post', 'events').then(setEvents, (err) => setError(String(err)));
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    setError('');
    try {
      const body = { url: url.trim(), ...(description.trim() ? { description: description.trim() } : {}), ...(picked.length ? { events: picked } : {}) };
      const made = await api<Endpoint & { secret: string }>('POST', '/v1/webhooks', body);
      setFresh({ url: made.url, secret: made.secret });
      setUrl('');
      setDescription('');
      setPicked([]);
      setTick((t) => t + 1);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const refused = listError !== '' && list === null;
  return (
    <section class="card" aria-labelledby="webhooks-h" id="webhooks">
      <h2 id="webhooks-h">Webhooks</h2>
      {refused && <Alert text={listError} id="webhooks-error" />}
      {refused && listError.startsWith('403') && <p class="hint">Managing webhooks needs the webhooks:manage scope (an owner's role has it).</p>}
      {list && (
        <ul class="rows" aria-label="Webhook endpoints">
          {list.length === 0 && <li>No endpoints.</li>}
          {list.map((e) => (
            <WebhookEndpoint key={e.id} endpoint={e} onChanged={() => setTick((t) => t + 1)} />
          ))}
        </ul>
      )}
      {fresh && <SecretOnce id="new-webhook-secret" label={`Signing secret of ${fresh.url} (shown once)`} value={fresh.secret} onDone={() => setFresh(null)} />}
      {!refused && (
        <form onSubmit={create} class="sub" aria-labelledby="webhook-new-h">
          <h3 id="webhook-new-h">New endpoint</h3>
          <div class="field">
            <label for="webhook-url">URL</label>
            <input id="webhook-url" type="url" required maxLength={2000} placeholder="https://example.com/hooks/mediaforge" aria-describedby="webhook-url-hint" value={url} onInput={(e) => setUrl(e.currentTarget.value)} />
            <small id="webhook-url-hint">http(s); private, loopback and metadata addresses are refused unless the operator allows them (MEDIAFORGE_WEBHOOK_ALLOWLIST).</small>
          </div>
          <div class="field">
            <label for="webhook-description">Description</label>
            <input id="webhook-description" maxLength={500} value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
          </div>
          {events && (
            <fieldset class="choices">
              <legend>Events</legend>
              {events.options.map((t) => (
                <label class="check">
                  <input type="checkbox" name="event" value={t} checked={picked.includes(t)} onChange={(e) => setPicked(e.currentTarget.checked ? [...picked, t] : picked.filter((x) => x !== t))} /> {t}
                </label>
              ))}
              <small>None ticked: the API's {events.hint || 'default'}.</small>
            </fieldset>
          )}
          <button type="submit">Add endpoint</button>
          <Alert text={error} id="webhook-error" />
        </form>
      )}
    </section>
  );
}
