import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from './api.js';
import type { Account, Me } from './account-types.js';
import { Keys } from './keys.js';
import { Alert, errorText } from './notice.js';
import { Usage } from './usage.js';
import { Webhooks } from './webhooks.js';

/** `#/account`: who the caller is, the account's usage, its keys and webhooks (issue 13). */
export function AccountPage() {
  const [me, setMe] = useState<Me | null>(null);
  const [account, setAccount] = useState<Account | null>(null);
  const [error, setError] = useState('');
  const heading = useRef<HTMLHeadingElement>(null);

  useEffect(() => {
    heading.current?.focus();
    Promise.all([api<Me>('GET', '/v1/me'), api<Account>('GET', '/v1/account')])
      .then(([m, a]) => {
        setMe(m);
        setAccount(a);
      })
      .catch((err) => setError(errorText(err)));
  }, []);

  return (
    <>
      <section class="card" aria-labelledby="account-h" id="account">
        <h2 id="account-h" ref={heading} tabIndex={-1}>
          Account
        </h2>
        <p>
          <a href="#/">← Back to the jobs</a>
        </p>
        <Alert text={error} id="account-error" />
        {me && account && (
          <dl class="facts">
            <dt>Account</dt>
            <dd id="account-name">
              {account.name} <code>{account.id}</code>
            </dd>
            <dt>Signed in as</dt>
            <dd id="account-who">{me.kind === 'user' && me.user ? `${me.user.email}, role ${me.user.role}` : `key ${me.key?.name ?? ''} (${me.key?.id ?? ''})`}</dd>
            <dt>Scopes</dt>
            <dd id="account-scopes">{me.scopes.join(', ')}</dd>
          </dl>
        )}
      </section>
      {account && <Usage account={account} />}
      {me && <Keys accountId={me.accountId} ownKeyId={me.key?.id} />}
      {me && <Webhooks />}
    </>
  );
}
