import { useEffect, useState } from 'preact/hooks';
import { api } from './api.js';
import type { ApiKey } from './account-types.js';
import { choicesOf, type Choices } from './choices.js';
import { ConfirmButton } from './confirm-button.js';
import { Alert, errorText, when } from './notice.js';
import { SecretOnce } from './secret-once.js';

/**
 * The account's API keys (GET /v1/accounts/{id}/keys, `keys:manage`): create one (its secret
 * shown once), revoke one. A caller without the scope sees the API's 403 instead of the list.
 */
export function Keys({ accountId, ownKeyId }: { accountId: string; ownKeyId?: string }) {
  const [keys, setKeys] = useState<ApiKey[] | null>(null);
  const [listError, setListError] = useState('');
  const [scopes, setScopes] = useState<Choices | null>(null);
  const [name, setName] = useState('');
  const [picked, setPicked] = useState<string[]>([]);
  const [error, setError] = useState('');
  const [fresh, setFresh] = useState<{ id: string; name: string; secret: string } | null>(null);
  const [message, setMessage] = useState('');
  const [tick, setTick] = useState(0);

  useEffect(() => {
    let stale = false;
    api<{ keys: ApiKey[] }>('GET', `/v1/accounts/${accountId}/keys`)
      .then((r) => !stale && (setKeys(r.keys), setListError('')))
      .catch((err) => !stale && (setKeys(null), setListError(errorText(err))));
    return () => {
      stale = true;
    };
  }, [accountId, tick]);
  useEffect(() => {
    choicesOf('/v1/accounts/{id}/keys', 'post', 'scopes').then(setScopes, (err) => setError(String(err)));
  }, []);

  const create = async (e: Event) => {
    e.preventDefault();
    setError('');
    setMessage('');
    try {
      const made = await api<ApiKey & { key: string }>('POST', `/v1/accounts/${accountId}/keys`, { name: name.trim(), ...(picked.length ? { scopes: picked } : {}) });
      setFresh({ id: made.id, name: made.name, secret: made.key });
      setName('');
      setPicked([]);
      setTick((t) => t + 1);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const revoke = async (k: ApiKey) => {
    setError('');
    setMessage('');
    try {
      await api('DELETE', `/v1/keys/${k.id}`);
      setMessage(`Key ${k.name} (${k.id}) is revoked: the API refuses it from now on.`);
      setTick((t) => t + 1);
    } catch (err) {
      setError(errorText(err));
    }
  };

  const refused = listError !== '' && keys === null;
  return (
    <section class="card" aria-labelledby="keys-h" id="keys">
      <h2 id="keys-h">API keys</h2>
      {refused && <Alert text={listError} id="keys-error" />}
      {refused && listError.startsWith('403') && <p class="hint">Managing keys needs the keys:manage scope (an owner's role has it).</p>}
      {keys && (
        <ul class="rows" aria-label="Keys">
          {keys.length === 0 && <li>No keys.</li>}
          {keys.map((k) => (
            <li class="row" data-key={k.id} data-revoked={k.revokedAt ? 'true' : 'false'}>
              <div class="row-head">
                <strong>{k.name}</strong> <code>{k.id}</code>
                {k.id === ownKeyId && <span class="badge">this key</span>}
                {k.revokedAt && <span class="badge bad">revoked {when(k.revokedAt)}</span>}
              </div>
              <small>
                {k.scopes.join(', ')} · created {when(k.createdAt)} · last used {when(k.lastUsedAt)}
              </small>
              {!k.revokedAt && (
                <div class="actions">
                  <ConfirmButton
                    label="Revoke"
                    name={`key ${k.name}`}
                    question={`Revoke ${k.name}? Everything using it is refused at once${k.id === ownKeyId ? ', this console too' : ''}.`}
                    onConfirm={() => revoke(k)}
                  />
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
      {fresh && <SecretOnce id="new-key" label={`New key ${fresh.name} (shown once)`} value={fresh.secret} onDone={() => setFresh(null)} />}
      {!refused && (
        <form onSubmit={create} class="sub" aria-labelledby="key-new-h">
          <h3 id="key-new-h">New key</h3>
          <div class="field">
            <label for="key-name">Name</label>
            <input id="key-name" required maxLength={100} value={name} onInput={(e) => setName(e.currentTarget.value)} />
          </div>
          {scopes && (
            <fieldset class="choices">
              <legend>Scopes</legend>
              {scopes.options.map((s) => (
                <label class="check">
                  <input
                    type="checkbox"
                    name="scope"
                    value={s}
                    checked={picked.includes(s)}
                    onChange={(e) => setPicked(e.currentTarget.checked ? [...picked, s] : picked.filter((x) => x !== s))}
                  />{' '}
                  {s}
                </label>
              ))}
              <small>None ticked: the API's {scopes.hint || 'default'}. A key gives only scopes it holds itself.</small>
            </fieldset>
          )}
          <button type="submit">Create key</button>
        </form>
      )}
      <Alert text={error} id="keys-action-error" />
      {message && (
        <p class="ok" role="status">
          {message}
        </p>
      )}
    </section>
  );
}
