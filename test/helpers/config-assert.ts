import assert from 'node:assert/strict';
import { ConfigError } from '../../src/main/config.js';

/** Expects a ConfigError whose message is one line and contains every fragment. */
export function assertConfigError(fn: () => unknown, ...fragments: string[]): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ConfigError, 'expected a ConfigError');
    assert.equal(err.name, 'ConfigError');
    assert.equal(err.message.includes('\n'), false, 'the message is a single line');
    for (const f of fragments) assert.ok(err.message.includes(f), `message ${JSON.stringify(err.message)} should mention ${JSON.stringify(f)}`);
    return true;
  });
}
