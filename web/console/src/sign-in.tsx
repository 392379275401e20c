import { useState } from 'preact/hooks';
import { ApiError, login, type Credential } from './api.js';

/** An API key (checked with GET /v1/me) or e-mail + password (POST /v1/auth/login, docs/login.md). */
export function SignIn({ onSignedIn }: { onSignedIn: (c: Credential) => void }) {
  const [mode, setMode] = useState<'key' | 'password'>('key');
  const [key, setKey] = useState('');
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);

  const submit = async (e: Event) => {
    e.preventDefault();
    setError('');
    setBusy(true);
    try {
      if (mode === 'key') {
        const token = key.trim();
        const res = await fetch('/v1/me', { headers: { authorization: `Bearer ${token}` } });
        if (!res.ok) {
          const body = await res.json().catch(() => null);
          throw new ApiError(res.status, body?.error?.code ?? 'unauthorized', body?.error?.message ?? 'the key was refused', body?.error?.details);
        }
        onSignedIn({ kind: 'key', token });
      } else {
        onSignedIn(await login(email.trim(), password));
      }
    } catch (err) {
      setError(err instanceof ApiError ? `${err.message} (${err.code})` : String(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="card" aria-labelledby="signin-h">
      <h2 id="signin-h">Sign in</h2>
      <fieldset class="tabs">
        <legend>Sign in with</legend>
        <label>
          <input type="radio" name="mode" checked={mode === 'key'} onChange={() => setMode('key')} /> a key
        </label>
        <label>
          <input type="radio" name="mode" checked={mode === 'password'} onChange={() => setMode('password')} /> e-mail and password
        </label>
      </fieldset>
      <form onSubmit={submit}>
        {mode === 'key' ? (
          <div class="field">
            <label for="api-key">API key</label>
            <input id="api-key" type="password" autocomplete="off" required aria-describedby="api-key-hint" value={key} onInput={(e) => setKey(e.currentTarget.value)} />
            <small id="api-key-hint">The admin key is printed at first start and saved in data/admin.key. It is kept in this tab only (sessionStorage).</small>
          </div>
        ) : (
          <>
            <div class="field">
              <label for="email">E-mail</label>
              <input id="email" type="email" autocomplete="username" required value={email} onInput={(e) => setEmail(e.currentTarget.value)} />
            </div>
            <div class="field">
              <label for="password">Password</label>
              <input id="password" type="password" autocomplete="current-password" required value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
            </div>
          </>
        )}
        <button type="submit" disabled={busy}>
          Sign in
        </button>
        {error && (
          <p class="error" role="alert">
            {error}
          </p>
        )}
      </form>
    </section>
  );
}
