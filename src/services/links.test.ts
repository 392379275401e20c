import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DomainError } from '../domain/errors.js';
import { LinkSigner, scopeOf } from './links.js';

const SECRET = 'a-signing-secret-of-at-least-32-characters';
const NOW = 1_700_000_000_250; // ms; not on a whole second on purpose
const TTL = 3600;
const SCOPE = 'jobs/job_01hx7k/';

function assertCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof DomainError, 'expected a DomainError');
    assert.equal(err.code, code);
    return true;
  });
}

/** Replaces the character at `i` with a different one from the base64url alphabet. */
function flip(token: string, i: number): string {
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

describe('LinkSigner', () => {
  const signer = new LinkSigner(SECRET, TTL);

  it('a token is <expiry in seconds>.<32 url-safe characters>', () => {
    const token = signer.token(SCOPE, NOW);
    assert.match(token, /^\d+\.[A-Za-z0-9_-]{32}$/);
    assert.equal(token.split('.')[0], String(1_700_000_000 + TTL));
  });

  it('the same scope and time always give the same token; another scope another one', () => {
    assert.equal(signer.token(SCOPE, NOW), signer.token(SCOPE, NOW));
    assert.notEqual(signer.token(SCOPE, NOW), signer.token('jobs/job_other/', NOW));
  });

  it('round trip: a fresh token verifies', () => {
    assert.doesNotThrow(() => signer.verify(signer.token(SCOPE, NOW), SCOPE, NOW));
  });

  it('verify answers when the link expires (epoch ms)', () => {
    assert.equal(signer.verify(signer.token(SCOPE, NOW), SCOPE, NOW), (1_700_000_000 + TTL) * 1000);
  });

  it('a token is valid until its expiry second, inclusive', () => {
    const token = signer.token(SCOPE, NOW);
    const expiresMs = (1_700_000_000 + TTL) * 1000;
    assert.doesNotThrow(() => signer.verify(token, SCOPE, expiresMs));
    assertCode(() => signer.verify(token, SCOPE, expiresMs + 1), 'link_expired');
  });

  it('expired: link_expired', () => {
    assertCode(() => signer.verify(signer.token(SCOPE, NOW), SCOPE, NOW + (TTL + 60) * 1000), 'link_expired');
  });

  it('a tampered signature: link_invalid', () => {
    const token = signer.token(SCOPE, NOW);
    const dot = token.indexOf('.');
    assertCode(() => signer.verify(flip(token, dot + 1), SCOPE, NOW), 'link_invalid');
    assertCode(() => signer.verify(flip(token, token.length - 1), SCOPE, NOW), 'link_invalid');
  });

  it('a later expiry with the old signature: link_invalid, not accepted', () => {
    const [, mac] = signer.token(SCOPE, NOW).split('.');
    assertCode(() => signer.verify(`${1_700_000_000 + TTL * 100}.${mac}`, SCOPE, NOW), 'link_invalid');
  });

  it('another scope: link_invalid', () => {
    assertCode(() => signer.verify(signer.token(SCOPE, NOW), 'jobs/job_other/', NOW), 'link_invalid');
  });

  it('another secret: link_invalid', () => {
    const other = new LinkSigner('another-signing-secret-of-32-characters!', TTL);
    assertCode(() => other.verify(signer.token(SCOPE, NOW), SCOPE, NOW), 'link_invalid');
  });

  it('an invalid signature wins over expiry', () => {
    const token = flip(signer.token(SCOPE, NOW), 12);
    assertCode(() => signer.verify(token, SCOPE, NOW + TTL * 10_000), 'link_invalid');
  });

  it('malformed tokens: link_invalid', () => {
    for (const t of ['', 'abc', '123.', '.abc', `x.${'A'.repeat(32)}`, `1.${'A'.repeat(31)}`, `1.${'A'.repeat(33)}`, `1.${'A'.repeat(31)}=`, `${'9'.repeat(13)}.${'A'.repeat(32)}`]) {
      assertCode(() => signer.verify(t, SCOPE, NOW), 'link_invalid');
    }
  });
});

describe('scopeOf', () => {
  it("the output folder of a key: account, job and output", () => {
    assert.equal(scopeOf('acc_admin/jobs/job_x/00-frames/frames.zip'), 'acc_admin/jobs/job_x/00-frames/');
    assert.equal(scopeOf('acc_01hx/jobs/job_01HX-7k/01-hls/720p/seg_00001.m4s'), 'acc_01hx/jobs/job_01HX-7k/01-hls/');
    assert.equal(scopeOf('jobs/job_x/00-frames/frames.zip'), 'jobs/job_x/00-frames/', 'files stored before accounts');
  });

  it('keys outside an output have no scope', () => {
    for (const key of ['uploads/upl_x/source', 'acc_a/uploads/upl_x/source', 'jobs/', 'jobs/job_x', 'jobs/job_x/00-frames/', 'jobs/job_x/file.zip', 'jobs/a.b/00-x/y', '/jobs/job_x/00-a/b', 'acc_a/jobs/job_x/frames.zip', 'evil/jobs/job_x/00-a/b']) {
      assert.equal(scopeOf(key), null, key);
    }
  });
});
