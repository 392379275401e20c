import type { z } from 'zod';
import { DomainError } from '../domain/errors.js';

export interface ValidationProblem {
  path: string;
  message: string;
}

/** `outputs[0].fps` style paths, the way a person reads JSON. */
export function jsonPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out ? `.${String(part)}` : String(part);
  return out || '(root)';
}

/** Parses with zod; on failure throws `validation_failed` listing every problem with its JSON path. */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const res = schema.safeParse(value);
  if (res.success) return res.data;
  const problems: ValidationProblem[] = res.error.issues.map((issue) => {
    const base = [...issue.path];
    if (issue.code === 'unrecognized_keys') {
      return { path: jsonPath([...base, issue.keys[0]]), message: `unknown field${issue.keys.length > 1 ? 's' : ''}: ${issue.keys.join(', ')}` };
    }
    return { path: jsonPath(base), message: issue.message };
  });
  const first = problems[0];
  throw new DomainError('validation_failed', `invalid ${what}: ${first.path}: ${first.message}`, { problems });
}
