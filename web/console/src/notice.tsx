import { ApiError } from './api.js';

/** A refusal as the API gave it: status, stable code and message (`403 forbidden: this route needs …`). */
export const errorText = (err: unknown): string => (err instanceof ApiError ? `${err.status} ${err.code}: ${err.message}` : String(err));

/** An alert (live region) when there is something to say; nothing otherwise. */
export function Alert({ text, id }: { text: string; id?: string }) {
  return text ? (
    <p class="error" role="alert" id={id}>
      {text}
    </p>
  ) : null;
}

export const when = (iso: string | null | undefined): string => (iso ? new Date(iso).toLocaleString() : '—');

export function bytes(n: number | null | undefined): string {
  if (n == null) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${i === 0 ? v : v.toFixed(1)} ${units[i]}`;
}
