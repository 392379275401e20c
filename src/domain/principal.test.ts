import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LEGACY_OWNER, ownerOf, readableOwner, SYSTEM_PRINCIPAL, type Principal } from './principal.js';

describe('principal: owner and read scope', () => {
  const admin: Principal = { keyId: 'key_1', keyName: 'admin', sees: 'all' };
  const scoped: Principal = { keyId: 'key_2', keyName: 'team', sees: 'own' };

  it('writes rows with the key id as their owner', () => {
    assert.deepEqual([ownerOf(admin), ownerOf(scoped)], ['key_1', 'key_2']);
  });

  it('limits reads to the own key only for a principal that sees its own rows', () => {
    assert.deepEqual([readableOwner(admin), readableOwner(scoped)], [null, 'key_2']);
  });

  it('the system principal reads every owner and cannot be changed; legacy rows have a fixed owner', () => {
    assert.deepEqual(SYSTEM_PRINCIPAL, { keyId: 'system', keyName: 'system', sees: 'all' });
    assert.equal(readableOwner(SYSTEM_PRINCIPAL), null);
    assert.ok(Object.isFrozen(SYSTEM_PRINCIPAL));
    assert.equal(LEGACY_OWNER, 'legacy');
  });
});
