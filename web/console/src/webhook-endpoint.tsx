import { useState } from 'preact/hooks';
import { api } from './api.js';
import type { Delivery, Endpoint } from './account-types.js';
import { ConfirmButton } from './confirm-button.js';
import { Deliveries } from './deliveries.js';
import { Alert, errorText, when } from './notice.js';
import { SecretOnce } from './secret-once.js';

/** One webhook endpoint: send a test event, rotate its secret, disable or enable it, delete it, and its deliveries. */
export function WebhookEndpoint({ endpoint, onChanged }: { endpoint: Endpoint; onChanged: () => void }) {
  const [open, setOpen] = useState(false);
  const [version, setVersion] = useState(0);
  const [secret, setSecret] = useState('');
  const [error, setError] = useState('');
  const [message, setMessage] = useState('');
  const e = endpoint;

  const act = async (fn: () => Promise<void>) => {
    setError('');
    setMessage('');
    try {
      await fn();
    } catch (err) {
      setError(errorText(err));
    }
  };
  const test = () =>
    act(async () => {
      const d = await api<Delivery>('POST', `/v1/webhooks/${e.id}/test`);
      setMessage(`Test event sent: delivery ${d.id}.`);
      setOpen(true);
      setVersion((v) => v + 1);
    });
  const rotate = () =>
    act(async () => {
      const r = await api<Endpoint & { secret: string }>('POST', `/v1/webhooks/${e.id}/rotate-secret`);
      setSecret(r.secret);
      setMessage('The old secret keeps signing beside the new one for 24 hours.');
    });
  const toggle = () =>
    act(async () => {
      await api('PATCH', `/v1/webhooks/${e.id}`, { disabled: e.disabledAt === null });
      onChanged();
    });
  const remove = () =>
    act(async () => {
      await api('DELETE', `/v1/webhooks/${e.id}`);
      onChanged();
    });

  const enabled = e.disabledAt === null;
  return (
    <li class="row" data-webhook={e.id} data-enabled={String(enabled)}>
      <div class="row-head">
        <code class="url">{e.url}</code>
        <span class={`badge${enabled ? '' : ' bad'}`}>{enabled ? 'enabled' : 'disabled'}</span>
      </div>
      <small>
        {e.description ? `${e.description} · ` : ''}
        {e.events.join(', ')} · created {when(e.createdAt)} · <code>{e.id}</code>
      </small>
      {!enabled && e.disabledReason && <p class="error">Disabled: {e.disabledReason}</p>}
      {e.failingSince && <p class="error">Every attempt has failed since {when(e.failingSince)}.</p>}
      <div class="actions">
        <button type="button" aria-label={`Send test event to ${e.url}`} onClick={test}>
          Send test event
        </button>
        <button type="button" aria-label={`Rotate secret of ${e.url}`} onClick={rotate}>
          Rotate secret
        </button>
        <button type="button" aria-label={`${enabled ? 'Disable' : 'Enable'} ${e.url}`} onClick={toggle}>
          {enabled ? 'Disable' : 'Enable'}
        </button>
        <ConfirmButton label="Delete" name={e.url} question="Delete this endpoint with its delivery log?" onConfirm={remove} />
        <button type="button" aria-expanded={open} aria-controls={`deliveries-${e.id}`} aria-label={`Deliveries of ${e.url}`} onClick={() => setOpen(!open)}>
          {open ? 'Hide deliveries' : 'Deliveries'}
        </button>
      </div>
      {secret && <SecretOnce id={`secret-${e.id}`} label={`New signing secret of ${e.url} (shown once)`} value={secret} onDone={() => setSecret('')} />}
      <Alert text={error} />
      {message && (
        <p class="ok" role="status">
          {message}
        </p>
      )}
      {open && <Deliveries endpointId={e.id} version={version} />}
    </li>
  );
}
