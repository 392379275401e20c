// The job form's model, read from the API's own OpenAPI document (GET /v1/openapi.json):
// POST /v1/jobs' request schema, its `outputs` items (a oneOf keyed by `type`), each
// property a field. Nothing here names an output type or a field.

export type FieldKind = 'select' | 'number' | 'checkbox' | 'text' | 'list' | 'json';

export interface Field {
  name: string;
  kind: FieldKind;
  description?: string;
  options?: string[];
  min?: number;
  max?: number;
  integer?: boolean;
  defaultValue?: unknown;
}

export interface OutputType {
  type: string;
  description?: string;
  fields: Field[];
}

/** The parts of a JSON Schema (2020-12, as zod writes it) the form reads. */
interface Schema {
  type?: string;
  enum?: unknown[];
  const?: unknown;
  default?: unknown;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  items?: Schema & { oneOf?: Schema[]; anyOf?: Schema[] };
  properties?: Record<string, Schema>;
}

interface OpenApi {
  paths?: Record<string, Record<string, { requestBody?: { content?: Record<string, { schema?: Schema }> } }>>;
}

/** A JSON schema property as one form field. */
export function fieldOf(name: string, s: Schema): Field {
  const base = { name, description: s.description, defaultValue: s.default };
  if (Array.isArray(s.enum)) return { ...base, kind: 'select', options: s.enum.map(String) };
  if (s.type === 'number' || s.type === 'integer') {
    return { ...base, kind: 'number', integer: s.type === 'integer', min: s.minimum ?? s.exclusiveMinimum, max: s.maximum ?? s.exclusiveMaximum };
  }
  if (s.type === 'boolean') return { ...base, kind: 'checkbox' };
  if (s.type === 'string') return { ...base, kind: 'text' };
  if (s.type === 'array' && (s.items?.type === 'number' || s.items?.type === 'integer' || s.items?.type === 'string')) return { ...base, kind: 'list' };
  // Anything else (anyOf, objects, arrays of objects): JSON text.
  return { ...base, kind: 'json' };
}

export function outputTypesOf(openapi: OpenApi): OutputType[] {
  const body = openapi?.paths?.['/v1/jobs']?.post?.requestBody?.content?.['application/json']?.schema;
  const items = body?.properties?.outputs?.items;
  const variants: Schema[] = items?.oneOf ?? items?.anyOf ?? [];
  return variants
    .filter((v) => typeof v?.properties?.type?.const === 'string')
    .map((v) => ({
      type: v.properties!.type.const as string,
      description: v.description,
      fields: Object.entries(v.properties!)
        .filter(([name]) => name !== 'type')
        .map(([name, s]) => fieldOf(name, s)),
    }));
}

/** What the person typed, as the API's JSON: empty fields left out (the API's defaults apply). */
export function valueOf(field: Field, raw: string | boolean | undefined): { value?: unknown; error?: string } {
  if (field.kind === 'checkbox') {
    // Untouched (undefined): the box shows its default, and the API's default applies.
    if (raw === undefined) return {};
    const on = raw === true;
    return on === (field.defaultValue === true) ? {} : { value: on };
  }
  const text = typeof raw === 'string' ? raw.trim() : '';
  if (text === '') return {};
  switch (field.kind) {
    case 'number': {
      const n = Number(text);
      return Number.isFinite(n) ? { value: n } : { error: 'not a number' };
    }
    case 'list': {
      const parts = text.split(',').map((p) => p.trim()).filter(Boolean);
      const nums = parts.map(Number);
      return { value: nums.every(Number.isFinite) ? nums : parts };
    }
    case 'json':
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { value: text };
      }
    default:
      return { value: text };
  }
}
