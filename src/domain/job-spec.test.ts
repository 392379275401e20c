import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jsonPath, parseOrThrow, type ValidationProblem } from '../services/validation.js';
import { DomainError } from './errors.js';
import { jobRequestSchema } from './job-spec.js';

const parse = (body: unknown) => parseOrThrow(jobRequestSchema, body, 'job request');
const input = { uploadId: 'upl_01hx' };

/** Runs the parse, expects `validation_failed`, returns the problems. */
function problems(body: unknown): ValidationProblem[] {
  let caught: unknown;
  assert.throws(() => parse(body), (err: unknown) => {
    caught = err;
    return err instanceof DomainError && err.code === 'validation_failed';
  });
  const err = caught as DomainError;
  const list = (err.details as { problems: ValidationProblem[] }).problems;
  assert.ok(list.length >= 1);
  assert.equal(err.message, `invalid job request: ${list[0].path}: ${list[0].message}`);
  return list;
}

describe('job request: valid bodies', () => {
  it('input only: outputs default to []', () => {
    assert.deepEqual(parse({ input }), { input, outputs: [] });
  });

  it('input.onDamage: fail or warn, and absent stays absent (so earlier request hashes do not change)', () => {
    assert.deepEqual(parse({ input: { ...input, onDamage: 'warn' } }).input, { ...input, onDamage: 'warn' });
    assert.deepEqual(parse({ input: { url: 'https://example.com/a.mp4', onDamage: 'fail' } }).input, { url: 'https://example.com/a.mp4', onDamage: 'fail' });
    assert.equal('onDamage' in parse({ input }).input, false);
    assert.equal(problems({ input: { ...input, onDamage: 'ignore' } })[0].path, 'input.onDamage');
  });

  it('frames and thumbnail get their defaults filled', () => {
    assert.deepEqual(parse({ input, outputs: [{ type: 'frames', fps: 1 }, { type: 'thumbnail' }] }), {
      input,
      outputs: [
        { type: 'frames', fps: 1, format: 'jpg', mode: 'accurate', deinterlace: 'auto' },
        { type: 'thumbnail', format: 'jpg', deinterlace: 'auto' },
      ],
    });
  });

  it('every frames option given explicitly is kept', () => {
    const frames = { type: 'frames', times: [0, 1.5, 3], format: 'webp', width: 640, quality: 70, mode: 'fast', deinterlace: 'off' };
    assert.deepEqual(parse({ input, outputs: [frames] }), { input, outputs: [frames] });
  });

  it('each of interval and count on its own', () => {
    assert.deepEqual(parse({ input, outputs: [{ type: 'frames', interval: 10 }] }).outputs, [{ type: 'frames', interval: 10, format: 'jpg', mode: 'accurate', deinterlace: 'auto' }]);
    assert.deepEqual(parse({ input, outputs: [{ type: 'frames', count: 12, format: 'png' }] }).outputs, [{ type: 'frames', count: 12, format: 'png', mode: 'accurate', deinterlace: 'auto' }]);
  });

  it('thumbnail with time, width and quality; metadata and maxAttempts', () => {
    const body = { input, outputs: [{ type: 'thumbnail', time: 12.5, width: 320, quality: 80, format: 'png', deinterlace: 'on' }], metadata: { ref: 'abc', n: 1, ok: true, none: null }, maxAttempts: 5 };
    assert.deepEqual(parse(body), body);
  });

  it('metadata: up to 50 keys; 51 keys, an empty key or a long value are refused with their path', () => {
    const keys = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, i]));
    assert.equal(Object.keys(parse({ input, metadata: keys(50) }).metadata!).length, 50);
    for (const metadata of [keys(51), keys(20_000), { '': 1 }, { ref: 'x'.repeat(1025) }, { ['k'.repeat(65)]: 1 }]) {
      const r = jobRequestSchema.safeParse({ input, metadata });
      assert.equal(r.success, false, JSON.stringify(metadata).slice(0, 80));
      assert.equal(r.error!.issues[0].path[0], 'metadata');
    }
    assert.match(jobRequestSchema.safeParse({ input, metadata: keys(51) }).error!.issues[0].message, /at most 50 metadata keys/);
  });

  it('exactly 20 outputs is allowed', () => {
    assert.equal(parse({ input, outputs: Array.from({ length: 20 }, () => ({ type: 'thumbnail' })) }).outputs.length, 20);
  });
});

describe('job request: invalid bodies', () => {
  it('an unknown field at the top level names the field', () => {
    assert.deepEqual(problems({ input, bogus: 1 }), [{ path: 'bogus', message: 'unknown field: bogus' }]);
  });

  it('an unknown field inside an output names its JSON path', () => {
    assert.deepEqual(problems({ input, outputs: [{ type: 'frames', fps: 1, bogus: 2 }] })[0], { path: 'outputs[0].bogus', message: 'unknown field: bogus' });
    assert.equal(problems({ input, outputs: [{ type: 'thumbnail' }, { type: 'thumbnail', fps: 1 }] })[0].path, 'outputs[1].fps');
  });

  it('an unknown field inside input', () => {
    assert.equal(problems({ input: { ...input, path: '/etc/passwd' } })[0].path, 'input.path');
  });

  it('several unknown fields are listed in one message', () => {
    assert.deepEqual(problems({ input, a: 1, b: 2 })[0], { path: 'a', message: 'unknown fields: a, b' });
  });

  it('a wrong type names the field', () => {
    const [first] = problems({ input, outputs: [{ type: 'frames', fps: '2' }] });
    assert.equal(first.path, 'outputs[0].fps');
    assert.match(first.message, /expected number/);
  });

  it('no sampling option is refused', () => {
    const [first] = problems({ input, outputs: [{ type: 'frames' }] });
    assert.equal(first.path, 'outputs[0]');
    assert.match(first.message, /exactly one of fps, interval, count or times \(got none\)/);
  });

  it('two sampling options are refused, naming both', () => {
    const [first] = problems({ input, outputs: [{ type: 'frames', fps: 1, count: 3 }] });
    assert.equal(first.path, 'outputs[0]');
    assert.match(first.message, /\(got fps, count\)/);
    assert.match(problems({ input, outputs: [{ type: 'frames', interval: 1, times: [1] }] })[0].message, /\(got interval, times\)/);
  });

  it('an unknown output type points at type', () => {
    const [first] = problems({ input, outputs: [{ type: 'sparkles' }] });
    assert.equal(first.path, 'outputs[0].type');
    assert.match(first.message, /frames/);
  });

  it('more than 20 outputs', () => {
    assert.equal(problems({ input, outputs: Array.from({ length: 21 }, () => ({ type: 'thumbnail' })) })[0].path, 'outputs');
  });

  it('a missing or empty uploadId', () => {
    assert.equal(problems({ input: {} })[0].path, 'input.uploadId');
    assert.equal(problems({ input: { uploadId: '' } })[0].path, 'input.uploadId');
    assert.equal(problems({ outputs: [] })[0].path, 'input');
  });

  it('out-of-range numbers', () => {
    assert.equal(problems({ input, outputs: [{ type: 'frames', fps: 0 }] })[0].path, 'outputs[0].fps');
    assert.equal(problems({ input, outputs: [{ type: 'frames', fps: 121 }] })[0].path, 'outputs[0].fps');
    assert.equal(problems({ input, outputs: [{ type: 'frames', count: 2.5 }] })[0].path, 'outputs[0].count');
    assert.equal(problems({ input, outputs: [{ type: 'frames', fps: 1, width: 8 }] })[0].path, 'outputs[0].width');
    assert.equal(problems({ input, outputs: [{ type: 'frames', fps: 1, quality: 101 }] })[0].path, 'outputs[0].quality');
    assert.equal(problems({ input, outputs: [{ type: 'frames', times: [1, -1] }] })[0].path, 'outputs[0].times[1]');
    assert.equal(problems({ input, outputs: [{ type: 'thumbnail', time: 86_400 * 8 }] })[0].path, 'outputs[0].time');
    assert.equal(problems({ input, maxAttempts: 11 })[0].path, 'maxAttempts');
  });

  it('bad enum values', () => {
    assert.equal(problems({ input, outputs: [{ type: 'frames', fps: 1, format: 'gif' }] })[0].path, 'outputs[0].format');
    assert.equal(problems({ input, outputs: [{ type: 'frames', fps: 1, mode: 'slow' }] })[0].path, 'outputs[0].mode');
  });

  it('an empty times list', () => {
    assert.equal(problems({ input, outputs: [{ type: 'frames', times: [] }] })[0].path, 'outputs[0].times');
  });

  it('not an object at all', () => {
    assert.equal(problems('x')[0].path, '(root)');
    assert.equal(problems(null)[0].path, '(root)');
  });

  it('every problem is listed, not only the first', () => {
    const list = problems({ input: {}, outputs: [{ type: 'frames', fps: 'x' }], bogus: true });
    assert.deepEqual(list.map((p) => p.path).sort(), ['bogus', 'input.uploadId', 'outputs[0].fps']);
  });
});

describe('jsonPath', () => {
  it('reads the way a person writes JSON paths', () => {
    assert.equal(jsonPath(['outputs', 0, 'fps']), 'outputs[0].fps');
    assert.equal(jsonPath(['outputs', 2, 'times', 1]), 'outputs[2].times[1]');
    assert.equal(jsonPath([0, 'a']), '[0].a');
    assert.equal(jsonPath([]), '(root)');
  });
});
