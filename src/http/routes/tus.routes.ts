import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { grants } from '../../domain/account.js';
import { DomainError } from '../../domain/errors.js';
import type { Principal } from '../../domain/principal.js';
import { baseUrlOf, principalOf, type HttpDeps } from '../http.types.js';
import { createTusServer, TUS_PATH, type TusCall } from '../tus-server.js';
import { guardUploadBody } from '../upload-body.js';

/**
 * tus 1.0 at /v1/uploads/tus (docs/tus.md): core, creation, creation-with-upload, termination
 * and expiration, through @tus/server. Creation takes the account key (scope uploads:write);
 * HEAD, PATCH and DELETE of one upload take the key or the capability token of that upload
 * (`?token=`, from `POST /v1/uploads {"method": "tus"}`). Every request is checked against the
 * upload's row first: another account's upload is a 404, an expired one a 410. The bodies
 * reach @tus/server unread: the app's catch-all content-type parser hands the stream on.
 */
export async function tusRoutes(app: FastifyInstance, deps: HttpDeps) {
  const tus = deps.tus;
  if (!tus) return;
  const { handle } = createTusServer(tus, { maxUploadBytes: deps.maxUploadBytes, logger: deps.logger });

  const handOver = async (request: FastifyRequest, reply: FastifyReply, call: TusCall) => {
    reply.hijack();
    // A body that goes silent is cut off, as other uploads are (MEDIAFORGE_UPLOAD_IDLE_TIMEOUT_SECONDS):
    // what arrived stays stored, and the client resumes from the offset a HEAD tells it.
    const guard = request.method === 'PATCH' || request.method === 'POST' ? guardUploadBody(request, { idleMs: deps.uploadIdleMs }) : null;
    try {
      await handle(request.raw, reply.raw, call);
    } catch (err) {
      deps.logger.error({ err }, 'tus handler failed');
      if (!reply.raw.headersSent) reply.raw.writeHead(500, { 'content-type': 'application/json' });
      reply.raw.end(JSON.stringify({ error: { code: 'internal', message: 'internal error; the server log has the details' } }));
    } finally {
      guard?.release();
    }
  };

  // The answers given here rather than by @tus/server (refusals, a finished upload's HEAD) carry
  // the same CORS and Tus-Resumable headers, so a console on another origin can read them.
  const onSend = async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    reply.headers({ 'tus-resumable': '1.0.0', ...corsOf(request) });
    return payload;
  };

  app.post(TUS_PATH, { config: { scope: 'uploads:write' }, onSend }, async (request, reply) => {
    const principal = principalOf(request);
    const length = request.headers['upload-length'];
    if (typeof length !== 'string' || !/^\d{1,16}$/.test(length)) {
      throw new DomainError('validation_failed', 'send the size of the file in Upload-Length (deferred lengths are not taken)', { path: 'Upload-Length' });
    }
    if (Number(length) === 0) throw new DomainError('upload_empty', 'the file is empty (Upload-Length: 0)');
    // Refused before anything is stored: the server's limit, the account's size and storage quotas.
    await tus.service.allow(principal, Number(length));
    await handOver(request, reply, { principal, base: baseUrlOf(request) });
  });

  const perUpload = async (request: FastifyRequest, reply: FastifyReply) => {
    const { id } = request.params as { id: string };
    const { token } = request.query as { token?: string };
    const principal = await callerOf(request, id, token);
    const upload = await tus.service.access(principal, id);
    const call: TusCall = { principal, base: baseUrlOf(request), token };
    // A ready row carries no status (src/adapters/sql/rows.ts); expired and deleted ones were refused above.
    if (upload.status !== 'pending') {
      // Finished: its bytes left the tus store for the blob store; answer for them.
      if (request.method === 'HEAD') {
        return reply.status(200).headers({ 'upload-offset': String(upload.size), 'upload-length': String(upload.size), 'cache-control': 'no-store' }).send();
      }
      if (request.method === 'DELETE') {
        await deps.deletion.deleteUpload(principal, id);
        return reply.status(204).send();
      }
      throw new DomainError('upload_complete', `tus upload ${id} is complete; nothing more can be sent to it`);
    }
    // Termination: the row goes first, so the upload is gone for the API even if the store's removal fails (its expiry removes it then).
    if (request.method === 'DELETE') await deps.deletion.deleteUpload(principal, id);
    await handOver(request, reply, call);
  };

  /** The account key (with uploads:write), or the capability token of this one upload. */
  const callerOf = async (request: FastifyRequest, id: string, token: string | undefined): Promise<Principal> => {
    if (token !== undefined && request.headers.authorization === undefined) return tus.service.principalFor(id, token);
    const principal = await deps.auth.verify(request.headers.authorization);
    if (!grants(principal.scopes, 'uploads:write')) {
      throw new DomainError('forbidden', `this key lacks the scope \`uploads:write\` that tus uploads need; its scopes are ${principal.scopes.join(', ') || 'none'}`, { scope: 'uploads:write' });
    }
    return principal;
  };

  // Public at the router: the key or the token is checked above, for the one upload named.
  app.route({ method: ['HEAD', 'PATCH', 'DELETE'], url: `${TUS_PATH}/:id`, config: { public: true }, onSend, handler: perUpload });
  // CORS preflights and the server's capabilities (Tus-Version, Tus-Extension, Tus-Max-Size).
  for (const url of [TUS_PATH, `${TUS_PATH}/:id`]) {
    app.options(url, { config: { public: true } }, async (request, reply) => {
      const anonymous: Principal = { accountId: 'none', keyId: 'none', keyName: 'preflight', scopes: [], sees: 'account' };
      await handOver(request, reply, { principal: anonymous, base: baseUrlOf(request) });
    });
  }
}

/** The CORS headers @tus/server gives its own answers, for the ones answered here. */
function corsOf(request: FastifyRequest): Record<string, string> {
  const origin = request.headers.origin;
  return origin ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': 'Location, Upload-Offset, Upload-Length, Tus-Resumable, Upload-Expires' } : {};
}
