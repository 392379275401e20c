import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jobRequestSchema, outputSpecSchema } from '../../src/domain/job-spec.js';
import { buildOpenApi } from '../../src/http/openapi.js';
import { fieldOf, outputTypesOf, valueOf } from '../../web/console/src/schema.js';

// The console's job form is generated from the OpenAPI document (docs/console.md): these
// check it against the same document the API serves, so a new output type or field shows
// up in the form without a change to the console.
describe('console: the job form read from the OpenAPI document', () => {
  const types = outputTypesOf(JSON.parse(JSON.stringify(buildOpenApi())));

  it('has every output type the API validates, with every field of each', () => {
    const variants = outputSpecSchema.options.map((o) => o.shape.type.value as string);
    assert.deepEqual(types.map((t) => t.type), variants);
    for (const variant of outputSpecSchema.options) {
      const type = variant.shape.type.value as string;
      const fields = Object.keys(variant.shape).filter((k) => k !== 'type');
      assert.deepEqual(types.find((t) => t.type === type)!.fields.map((f) => f.name), fields, type);
    }
  });

  it('maps JSON schema to controls: enum → select, number → min/max, boolean → checkbox, string → text', () => {
    const frames = types.find((t) => t.type === 'frames')!.fields;
    assert.deepEqual(frames.find((f) => f.name === 'format'), { name: 'format', kind: 'select', options: ['jpg', 'png', 'webp'], description: undefined, defaultValue: 'jpg' });
    assert.deepEqual(frames.find((f) => f.name === 'quality'), { name: 'quality', kind: 'number', integer: true, min: 1, max: 100, description: '1 (smallest) to 100 (best).', defaultValue: undefined });
    assert.equal(frames.find((f) => f.name === 'fps')!.min, 0, 'exclusiveMinimum is the bound');
    assert.equal(frames.find((f) => f.name === 'times')!.kind, 'list');
    const hls = types.find((t) => t.type === 'hls')!.fields;
    assert.equal(hls.find((f) => f.name === 'storyboard')!.kind, 'checkbox');
    assert.equal(hls.find((f) => f.name === 'renditions')!.kind, 'json', 'anyOf: JSON text');
    assert.equal(fieldOf('label', { type: 'string' }).kind, 'text');
  });

  it("turns what was typed into the API's JSON; empty fields are left out", () => {
    const num = fieldOf('n', { type: 'integer', minimum: 1 });
    assert.deepEqual(valueOf(num, ''), {});
    assert.deepEqual(valueOf(num, '12'), { value: 12 });
    assert.deepEqual(valueOf(num, 'x'), { error: 'not a number' });
    assert.deepEqual(valueOf(fieldOf('t', { type: 'array', items: { type: 'number' } }), '1, 2.5,3'), { value: [1, 2.5, 3] });
    assert.deepEqual(valueOf(fieldOf('r', {}), '[720, 360]'), { value: [720, 360] });
    assert.deepEqual(valueOf(fieldOf('s', {}), '00:01:05'), { value: '00:01:05' }, 'not JSON: the text itself');
    const onByDefault = fieldOf('b', { type: 'boolean', default: true });
    assert.deepEqual(valueOf(onByDefault, true), {}, 'as the default: left out');
    assert.deepEqual(valueOf(onByDefault, false), { value: false });
    assert.deepEqual(valueOf(onByDefault, undefined), {}, 'untouched (shown checked): left out, not false');
    assert.deepEqual(valueOf(fieldOf('b', { type: 'boolean' }), true), { value: true });
  });

  it('a job of every type with its fields left empty is a request the API takes, or refuses with a path', () => {
    for (const t of types) {
      const spec: Record<string, unknown> = { type: t.type };
      for (const f of t.fields) {
        const v = valueOf(f, f.kind === 'checkbox' ? f.defaultValue === true : '');
        if (v.value !== undefined) spec[f.name] = v.value;
      }
      const res = jobRequestSchema.safeParse({ input: { uploadId: 'upl_x' }, outputs: [spec] });
      if (!res.success) assert.ok(res.error.issues.every((i) => i.path.length > 0), `${t.type}: ${JSON.stringify(res.error.issues)}`);
    }
  });
});
