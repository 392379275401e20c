import type { Principal } from './principal.js';

/**
 * Bucket events (docs/lifecycle.md "Bucket events"): which objects of which buckets become
 * uploads of which account, processed with which preset, and how an S3 event notification
 * (AWS S3's JSON, as an HTTP subscription or MinIO's webhook target delivers it) is read. Pure.
 */
export interface S3IngestPrefix {
  bucket: string;
  /** Keys starting with this (may be '' for the whole bucket). */
  prefix: string;
  accountId: string;
  preset: string;
}

export interface S3IngestSettings {
  /** The bearer token the event sender presents (MEDIAFORGE_INGEST_S3_SECRET). */
  secret: string;
  prefixes: S3IngestPrefix[];
}

const ENTRY = /^([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/([^=,]*)=(acc_[A-Za-z0-9_]+):([a-z0-9][a-z0-9._-]{0,63})$/;

/**
 * `bucket/prefix/=acc_id:preset`, comma-separated, e.g.
 * `media/incoming/=acc_x:lms-hls,media/other/=acc_y:web-mp4-720`. A prefix is matched as
 * the start of the key (end it with `/` to mean a folder). Throws naming the bad entry.
 */
export function parseIngestPrefixes(text: string | undefined): S3IngestPrefix[] {
  if (!text || !text.trim()) return [];
  const out: S3IngestPrefix[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    const m = ENTRY.exec(entry);
    if (!m) throw new Error(`"${entry}" is not bucket/prefix=acc_id:preset (for example media/incoming/=acc_01abc:lms-hls)`);
    const [, bucket, prefix, accountId, preset] = m;
    const clash = out.find((p) => p.bucket === bucket && (p.prefix.startsWith(prefix) || prefix.startsWith(p.prefix)));
    if (clash) throw new Error(`"${entry}" overlaps ${clash.bucket}/${clash.prefix}: an object must belong to one prefix`);
    out.push({ bucket, prefix, accountId, preset });
  }
  return out;
}

export function prefixFor(prefixes: readonly S3IngestPrefix[], bucket: string, key: string): S3IngestPrefix | null {
  return prefixes.find((p) => p.bucket === bucket && key.startsWith(p.prefix)) ?? null;
}

export interface S3EventRecord {
  eventName: string;
  bucket: string;
  /** Decoded (S3 sends keys URL-encoded, spaces as `+`). */
  key: string;
  size: number | null;
  /** Without the quotes some senders put around it. */
  etag: string;
}

/** The records of an S3 event notification; throws a message naming what is missing. */
export function parseS3Event(body: unknown): S3EventRecord[] {
  const records = (body as { Records?: unknown })?.Records;
  if (!Array.isArray(records)) throw new Error('the body is not an S3 event notification: it has no `Records` array');
  type Raw = { eventName?: unknown; s3?: { bucket?: { name?: unknown }; object?: { key?: unknown; size?: unknown; eTag?: unknown; etag?: unknown } } };
  return (records as Raw[]).map((r, i) => {
    const bucket = r?.s3?.bucket?.name;
    const key = r?.s3?.object?.key;
    if (typeof r?.eventName !== 'string' || typeof bucket !== 'string' || typeof key !== 'string') {
      throw new Error(`Records[${i}] lacks eventName, s3.bucket.name or s3.object.key`);
    }
    let decoded: string;
    try {
      decoded = decodeURIComponent(key.replace(/\+/g, ' '));
    } catch {
      throw new Error(`Records[${i}].s3.object.key is not URL-encoded properly`);
    }
    const o = r.s3?.object ?? {};
    const etag = typeof o.eTag === 'string' ? o.eTag : typeof o.etag === 'string' ? o.etag : '';
    return { eventName: r.eventName, bucket, key: decoded, size: typeof o.size === 'number' ? o.size : null, etag: etag.replace(/^"|"$/g, '') };
  });
}

export const isObjectCreated = (r: S3EventRecord) => /^(s3:)?ObjectCreated:/.test(r.eventName);

/** The caller an event's upload and job are made as: the prefix's account, no key of its own. */
export function ingestPrincipal(accountId: string): Principal {
  return { accountId, keyId: 'ingest-s3', keyName: 'S3 bucket events', scopes: ['uploads:write', 'jobs:write', 'jobs:read'], sees: 'account' };
}

/** The filename an object's upload shows: the last part of its key. */
export const objectFilename = (key: string) => key.split('/').filter(Boolean).pop() ?? 'object';
