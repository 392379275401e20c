import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { creatorOf, LEGACY_OWNER, ownerOf, readableOwner, SYSTEM_PRINCIPAL, type Principal } from './principal.js';

describe('principal: owner and read scope', () => {
  const a: Principal = { accountId: 'acc_a', keyId: 'key_1', keyName: 'ci', scopes: ['jobs:read'], sees: 'account' };
  const b: Principal = { accountId: 'acc_b', keyId: 'key_2', keyName: 'team', scopes: ['admin'], sees: 'account' };

  it('writes rows with the account as their owner and the key as their creator', () => {
    assert.deepEqual([ownerOf(a), ownerOf(b)], ['acc_a', 'acc_b']);
    assert.deepEqual([creatorOf(a), creatorOf(b)], ['key_1', 'key_2']);
  });

  it("limits every request's reads to its own account, even an admin key's", () => {
    assert.deepEqual([readableOwner(a), readableOwner(b)], ['acc_a', 'acc_b']);
  });

  it('the system principal reads every account and cannot be changed; legacy rows have a fixed owner', () => {
    assert.equal(readableOwner(SYSTEM_PRINCIPAL), null);
    assert.ok(Object.isFrozen(SYSTEM_PRINCIPAL));
    assert.equal(LEGACY_OWNER, 'legacy');
  });
});
