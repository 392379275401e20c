import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERRORS, EVENTS, Server, type DataStore, type Locker, type Upload } from '@tus/server';
import type { Logger } from 'pino';
import { DomainError, isDomainError } from '../domain/errors.js';
import type { Principal } from '../domain/principal.js';
import { parseRetention } from '../services/retention.service.js';
import type { TusUploadMeta, TusUploadsService } from '../services/tus-uploads.service.js';
import { statusFor } from './error-mapping.js';

export const TUS_PATH = '/v1/uploads/tus';

/** What the tus routes need: the service, the store @tus/server writes to, and its locker. */
export interface TusHttp {
  service: TusUploadsService;
  datastore: DataStore;
  /** Absent: @tus/server's in-memory locker (one API process). */
  locker?: Locker;
  /** Browser origins allowed to send tus requests (absent: any, as the capability token is what authorizes). */
  allowedOrigins?: string[];
}

/** Who sent a request handed to @tus/server, and the base of the URLs it answers with. */
export interface TusCall {
  principal: Principal;
  base: string;
  /** The capability token the request came with, kept in the Location URL. */
  token?: string;
}

type TusRequest = { url: string; runtime?: { node?: { req: IncomingMessage } } };

/**
 * @tus/server over the platform's rules. Fastify authenticates the request and sets its
 * `TusCall` on the raw request; the hooks read it there: creation writes the pending row
 * (the id is the `upl_…` id, from the naming function), the last byte makes it ready, and
 * errors answer in the API's JSON shape with its stable codes.
 */
export function createTusServer(tus: TusHttp, opts: { maxUploadBytes: number; logger: Logger }) {
  const calls = new WeakMap<IncomingMessage, TusCall>();
  const callOf = (req: TusRequest): TusCall => {
    const node = req.runtime?.node?.req;
    const call = node ? calls.get(node) : undefined;
    if (!call) throw new Error('tus request without its caller (not handed over by the Fastify route)');
    return call;
  };
  const server = new Server({
    path: TUS_PATH,
    datastore: tus.datastore,
    locker: tus.locker,
    maxSize: opts.maxUploadBytes,
    allowedOrigins: tus.allowedOrigins,
    namingFunction: () => tus.service.newId(),
    getFileIdFromRequest: (req) => new URL(req.url).pathname.split('/').pop() || undefined,
    generateUrl: (req, { id }) => {
      const call = callOf(req as unknown as TusRequest);
      return `${call.base}${TUS_PATH}/${id}${call.token ? `?token=${encodeURIComponent(call.token)}` : ''}`;
    },
    onUploadCreate: async (req, upload) => {
      const { principal } = callOf(req as unknown as TusRequest);
      const meta = await tus.service.checkMeta(principal, metaOf(upload));
      await tus.service.begin(principal, upload.id, upload.size ?? 0, meta);
      return {};
    },
    onUploadFinish: async (req, upload) => {
      const { principal } = callOf(req as unknown as TusRequest);
      await tus.service.finish(principal, upload.id);
      return {};
    },
    onResponseError: (_req, err) => {
      if (isDomainError(err)) return asTus(err);
      if ('status_code' in err && err.status_code === 410) {
        return asTus(new DomainError('upload_expired', 'this tus upload was not finished in time and was removed; start a new upload'));
      }
      if ('status_code' in err && err.status_code === 413) {
        return asTus(new DomainError('upload_too_large', `the file is larger than the limit of ${opts.maxUploadBytes} bytes`, { limitBytes: opts.maxUploadBytes }));
      }
      if (err === ERRORS.ERR_LOCK_TIMEOUT || ('body' in err && err.body === ERRORS.ERR_LOCK_TIMEOUT.body)) {
        return asTus(new DomainError('upload_locked', 'another request is writing this upload; wait for it to end (or end it), then HEAD the upload for its offset and resume'));
      }
      if (!('status_code' in err)) opts.logger.error({ err }, 'tus request failed');
      return undefined;
    },
  });
  // The bytes are in the blob store now; the tus store's copy goes once the answer is sent.
  server.on(EVENTS.POST_FINISH, (_req, _res, upload: Upload) => {
    tus.service.release(upload.id).catch((err: unknown) => opts.logger.warn({ err: (err as Error).message, uploadId: upload.id }, 'could not remove a finished tus upload from the tus store; its expiry removes it'));
  });
  return {
    server,
    /** Hands one authenticated request to @tus/server, which answers it. */
    async handle(raw: IncomingMessage, res: ServerResponse, call: TusCall): Promise<void> {
      calls.set(raw, call);
      await server.handle(raw, res);
    },
  };
}

/** A domain error in the API's JSON error shape, as @tus/server sends it. */
function asTus(err: DomainError): { status_code: number; body: string } {
  return {
    status_code: statusFor(err.code),
    body: JSON.stringify({ error: { code: err.code, message: err.message, ...(err.details !== undefined ? { details: err.details } : {}) } }),
  };
}

/**
 * Upload-Metadata as tus clients send it: `filename`, `filetype` (or `contentType`), and the
 * platform's own `sha256`, `retention` and `process` (JSON text).
 */
function metaOf(upload: Upload): TusUploadMeta {
  const m = upload.metadata ?? {};
  const text = (k: string): string | undefined => {
    const v = m[k];
    return typeof v === 'string' && v !== '' ? v : undefined;
  };
  const process = text('process');
  let parsed: unknown;
  if (process !== undefined) {
    try {
      parsed = JSON.parse(process);
    } catch (err) {
      throw new DomainError('validation_failed', `the process metadata is not valid JSON (${(err as Error).message})`, { path: 'process' });
    }
  }
  return {
    filename: text('filename') ?? text('name'),
    contentType: text('filetype') ?? text('contentType'),
    sha256: text('sha256'),
    retention: parseRetention(text('retention'), 'retention metadata'),
    ...(parsed !== undefined ? { process: parsed as TusUploadMeta['process'] } : {}),
  };
}
