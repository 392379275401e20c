// The console's one way to the API: the credential from sessionStorage as a bearer token,
// the API's error shape ({ error: { code, message, details } }) turned into ApiError.

export type Credential =
  | { kind: 'key'; token: string }
  | { kind: 'user'; token: string; refreshToken: string; email: string };

const STORE = 'mediaforge.console.credential';

export function loadCredential(): Credential | null {
  try {
    const raw = sessionStorage.getItem(STORE);
    return raw ? (JSON.parse(raw) as Credential) : null;
  } catch {
    return null;
  }
}

export function saveCredential(c: Credential | null): void {
  if (c) sessionStorage.setItem(STORE, JSON.stringify(c));
  else sessionStorage.removeItem(STORE);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown> | undefined,
  ) {
    super(message);
  }
  /** The request fields the API named, with what is wrong with each (details.problems, or details.path). */
  get problems(): Array<{ path: string; message: string }> {
    const list = this.details?.problems;
    if (Array.isArray(list)) return list.filter((p) => typeof p?.path === 'string').map((p) => ({ path: p.path, message: String(p.message ?? '') }));
    const p = this.details?.path;
    return typeof p === 'string' ? [{ path: p, message: this.message }] : [];
  }
}

let listener: ((c: Credential | null) => void) | null = null;
/** Told when a refresh renews the credential, or when it is found dead (signed out). */
export function onCredentialChange(fn: (c: Credential | null) => void): void {
  listener = fn;
}

async function errorOf(res: Response): Promise<ApiError> {
  const body = await res.json().catch(() => null);
  const e = body?.error;
  return new ApiError(res.status, e?.code ?? `http_${res.status}`, e?.message ?? `${res.status} ${res.statusText}`, e?.details);
}

/** A user's access token lives 15 minutes: one refresh, then the request again. */
async function refresh(c: Extract<Credential, { kind: 'user' }>): Promise<Credential | null> {
  const res = await fetch('/v1/auth/refresh', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: c.refreshToken }) });
  if (!res.ok) return null;
  const grant = await res.json();
  return { ...c, token: grant.accessToken, refreshToken: grant.refreshToken };
}

/** fetch() with the credential; answers the Response of a 2xx, throws ApiError otherwise. */
export async function request(path: string, init: RequestInit = {}): Promise<Response> {
  const send = (c: Credential | null) => fetch(path, { ...init, headers: { ...(init.headers as Record<string, string>), ...(c ? { authorization: `Bearer ${c.token}` } : {}) } });
  let c = loadCredential();
  let res = await send(c);
  if (res.status === 401 && c?.kind === 'user') {
    c = await refresh(c);
    saveCredential(c);
    listener?.(c);
    if (c) res = await send(c);
  }
  if (!res.ok) throw await errorOf(res);
  return res;
}

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await request(path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.status === 204 ? (undefined as T) : ((await res.json()) as T);
}

/** Sign-in without a credential yet: the login route. */
export async function login(email: string, password: string): Promise<Credential> {
  const res = await fetch('/v1/auth/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ email, password }) });
  if (!res.ok) throw await errorOf(res);
  const grant = await res.json();
  return { kind: 'user', token: grant.accessToken, refreshToken: grant.refreshToken, email: grant.user.email };
}

export async function logout(c: Credential): Promise<void> {
  if (c.kind === 'user') await fetch('/v1/auth/logout', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ refreshToken: c.refreshToken }) }).catch(() => undefined);
}
