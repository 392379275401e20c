import { useEffect, useState } from 'preact/hooks';
import { api, ApiError } from './api.js';
import type { Job } from './types.js';
import { outputTypesOf, valueOf, type Field, type OutputType } from './schema.js';

interface Draft {
  key: number;
  type: string;
  values: Record<string, string | boolean>;
}

let nextKey = 1;

function FieldInput({ id, field, value, invalid, onChange }: { id: string; field: Field; value: string | boolean | undefined; invalid: boolean; onChange: (v: string | boolean) => void }) {
  const hint = [field.description, field.defaultValue !== undefined ? `default: ${JSON.stringify(field.defaultValue)}` : '', field.kind === 'list' ? 'comma-separated' : '', field.kind === 'json' ? 'JSON' : '']
    .filter(Boolean)
    .map((h) => String(h).replace(/\.$/, ''))
    .join('. ');
  const hintId = `${id}-hint`;
  const common = { id, name: field.name, 'aria-describedby': [hint ? hintId : '', invalid ? 'job-error' : ''].filter(Boolean).join(' ') || undefined, 'aria-invalid': invalid || undefined };
  let input;
  if (field.kind === 'checkbox') {
    const checked = value === undefined ? field.defaultValue === true : value === true;
    input = <input {...common} type="checkbox" checked={checked} onChange={(e) => onChange(e.currentTarget.checked)} />;
  } else if (field.kind === 'select') {
    input = (
      <select {...common} value={typeof value === 'string' ? value : ''} onChange={(e) => onChange(e.currentTarget.value)}>
        <option value="">{field.defaultValue !== undefined ? `(default: ${String(field.defaultValue)})` : '(not set)'}</option>
        {field.options!.map((o) => (
          <option value={o}>{o}</option>
        ))}
      </select>
    );
  } else if (field.kind === 'number') {
    input = <input {...common} type="number" inputMode="decimal" min={field.min} max={field.max} step={field.integer ? 1 : 'any'} value={typeof value === 'string' ? value : ''} onInput={(e) => onChange(e.currentTarget.value)} />;
  } else {
    input = <input {...common} type="text" value={typeof value === 'string' ? value : ''} onInput={(e) => onChange(e.currentTarget.value)} />;
  }
  return (
    <div class={`field${field.kind === 'checkbox' ? ' check' : ''}`}>
      <label for={id}>{field.name}</label>
      {input}
      {hint && (
        <small id={hintId} class="hint">
          {hint}
        </small>
      )}
    </div>
  );
}

/** POST /v1/jobs, its outputs' fields generated from the API's own schema (GET /v1/openapi.json). */
export function JobForm({ uploadId, onUploadId, onCreated }: { uploadId: string; onUploadId: (id: string) => void; onCreated: (job: Job) => void }) {
  const [types, setTypes] = useState<OutputType[]>([]);
  const [loadError, setLoadError] = useState('');
  const [adding, setAdding] = useState('');
  const [drafts, setDrafts] = useState<Draft[]>([]);
  const [error, setError] = useState<{ message: string; problems: Array<{ path: string; message: string }> } | null>(null);
  const [created, setCreated] = useState('');

  useEffect(() => {
    fetch('/v1/openapi.json')
      .then((r) => r.json())
      .then((doc) => {
        const t = outputTypesOf(doc);
        setTypes(t);
        setAdding(t[0]?.type ?? '');
        if (t.length === 0) setLoadError('the API document lists no output types');
      })
      .catch((err) => setLoadError(`the API document could not be read: ${err}`));
  }, []);

  /** The API names fields as `outputs[1].fps` (or a whole output, `outputs[1]`). */
  const invalidAt = (path: string) => error?.problems.some((p) => p.path === path) ?? false;
  const add = () => adding && setDrafts((d) => [...d, { key: nextKey++, type: adding, values: {} }]);
  const remove = (key: number) => setDrafts((d) => d.filter((x) => x.key !== key));
  const set = (key: number, name: string, v: string | boolean) => setDrafts((d) => d.map((x) => (x.key === key ? { ...x, values: { ...x.values, [name]: v } } : x)));

  const submit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setCreated('');
    const problems: Array<{ path: string; message: string }> = [];
    const outputs = drafts.map((d, i) => {
      const spec: Record<string, unknown> = { type: d.type };
      for (const field of types.find((t) => t.type === d.type)?.fields ?? []) {
        const r = valueOf(field, d.values[field.name]);
        if (r.error) problems.push({ path: `outputs[${i}].${field.name}`, message: r.error });
        else if (r.value !== undefined) spec[field.name] = r.value;
      }
      return spec;
    });
    if (problems.length) return setError({ message: 'Some fields are not valid', problems });
    try {
      const job = await api<Job>('POST', '/v1/jobs', { input: { uploadId: uploadId.trim() }, outputs });
      setCreated(job.id);
      onCreated(job);
    } catch (err) {
      if (err instanceof ApiError) setError({ message: `${err.message} (${err.status} ${err.code})`, problems: err.problems });
      else setError({ message: String(err), problems: [] });
    }
  };

  return (
    <section class="card" aria-labelledby="job-h">
      <h2 id="job-h">New job</h2>
      {loadError && (
        <p class="error" role="alert">
          {loadError}
        </p>
      )}
      <form onSubmit={submit}>
        <div class="field">
          <label for="upload-id">Upload id</label>
          <input id="upload-id" type="text" required placeholder="upl_…" value={uploadId} onInput={(e) => onUploadId(e.currentTarget.value)} />
        </div>
        <div class="add-output">
          <label for="output-type">Output type</label>
          <select id="output-type" value={adding} onChange={(e) => setAdding(e.currentTarget.value)}>
            {types.map((t) => (
              <option value={t.type}>{t.type}</option>
            ))}
          </select>
          <button type="button" id="add-output" onClick={add} disabled={!adding}>
            Add output
          </button>
        </div>
        {drafts.map((d, i) => (
          <fieldset class={`output${invalidAt(`outputs[${i}]`) ? ' invalid' : ''}`} key={d.key} data-output={d.type} aria-describedby={invalidAt(`outputs[${i}]`) ? 'job-error' : undefined}>
            <legend>
              Output {i + 1}: {d.type}
            </legend>
            <div class="fields">
              {(types.find((t) => t.type === d.type)?.fields ?? []).map((f) => (
                <FieldInput id={`o${d.key}-${f.name}`} field={f} value={d.values[f.name]} invalid={invalidAt(`outputs[${i}].${f.name}`)} onChange={(v) => set(d.key, f.name, v)} />
              ))}
            </div>
            <button type="button" onClick={() => remove(d.key)} aria-label={`Remove output ${i + 1} (${d.type})`}>
              Remove
            </button>
          </fieldset>
        ))}
        <button type="submit" id="submit-job">
          Create job
        </button>
        {created && (
          <p class="ok" role="status">
            Job {created} queued
          </p>
        )}
        {error && (
          <div class="error" role="alert" id="job-error">
            <p>{error.message}</p>
            {error.problems.length > 0 && (
              <ul>
                {error.problems.map((p) => (
                  <li>
                    <code>{p.path}</code>: {p.message}
                  </li>
                ))}
              </ul>
            )}
          </div>
        )}
      </form>
    </section>
  );
}
