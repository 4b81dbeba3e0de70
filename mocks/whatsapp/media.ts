import multipart from '@fastify/multipart';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { WhatsAppCore } from './core.js';
import { GraphError } from './errors.js';
import { checkVersion } from './graph.js';
import type { InboundMediaResolver } from './inbound.js';
import {
  baseMime,
  MEDIA_KINDS,
  MEDIA_MAX_BYTES,
  type MediaKind,
  type MediaRecord,
  type MediaStore,
  UPLOAD_MIME_TYPES,
} from './media-store.js';

/** Where the mock serves media downloads: the path of Meta's lookaside URLs. */
export const MEDIA_DOWNLOAD_PATH = '/whatsapp_business/attachments/';

const MEDIA_KIND_SET: ReadonlySet<string> = new Set(MEDIA_KINDS);
const ACCEPTED_TYPES_TEXT = [...UPLOAD_MIME_TYPES.keys()].join(', ');
/** The largest file any kind allows: what the multipart reader counts up to before it stops. */
const LARGEST_BYTES = Math.max(...Object.values(MEDIA_MAX_BYTES));

interface NodeParams {
  version: string;
  nodeId: string;
}

/** What an upload request carried: its form fields and its `file` part (bytes kept only when they can be stored). */
interface UploadForm {
  fields: Map<string, string>;
  file?: { mimeType: string; size: number; bytes: Buffer | undefined };
}

function missing(name: string): GraphError {
  return new GraphError(100, { message: `(#100) The parameter ${name} is required.` });
}

/**
 * A send by media `id` must name media this number has (uploaded, or sent by a customer, and not
 * deleted or evicted): otherwise 131053. Meta's exact answer to an unknown id is not documented;
 * the mock answers synchronously (docs/whatsapp-mock.md#media says so).
 */
export function checkMediaId(store: MediaStore, type: string, content: unknown): void {
  if (!MEDIA_KIND_SET.has(type) || typeof content !== 'object' || content === null) return;
  const id = (content as Record<string, unknown>)['id'];
  if (typeof id !== 'string' || store.get(id)) return;
  throw new GraphError(131053, {
    details: `Media ID ${id.slice(0, 64)} was not found: upload the file to /{phone-number-id}/media first; deleted and expired media cannot be sent.`,
  });
}

/** The inbound builder's hook: media a customer sends get content in the store, and the webhook its id and base64 sha256. */
export function inboundMediaResolver(store: MediaStore): InboundMediaResolver {
  return (kind, mimeType) => {
    const rec = store.generate(kind, mimeType);
    return { id: rec.id, sha256: Buffer.from(rec.sha256Hex, 'hex').toString('base64') };
  };
}

/** The record `id` names, if `phone_number_id` (when given) is the number it belongs to; Graph's unknown-object error otherwise. */
function ownedMedia(
  core: WhatsAppCore,
  method: string,
  id: string,
  query: Record<string, unknown>,
): MediaRecord | undefined {
  const rec = core.media.get(id);
  if (!rec) return undefined;
  const pn = query['phone_number_id'];
  if (pn !== undefined && pn !== rec.phoneNumberId) throw core.unknownObject(method, id);
  return rec;
}

/**
 * `GET /{version}/{media-id}`: the media's metadata and a download URL valid for the store's
 * `urlTtlMs`, or undefined when `id` is no media (the node route then tries other objects).
 */
export function mediaNode(
  core: WhatsAppCore,
  request: FastifyRequest,
  id: string,
): Record<string, unknown> | undefined {
  const rec = ownedMedia(core, 'get', id, (request.query ?? {}) as Record<string, unknown>);
  if (!rec) return undefined;
  const { mid, ext, hash } = core.media.signUrl(rec.id);
  return {
    messaging_product: 'whatsapp',
    url: `${request.protocol}://${request.host}${MEDIA_DOWNLOAD_PATH}?mid=${mid}&ext=${ext}&hash=${hash}`,
    mime_type: rec.mimeType,
    sha256: rec.sha256Hex,
    file_size: rec.fileSize,
    id: rec.id,
  };
}

/** Reads a multipart upload: fields as text, the first `file` part counted fully but kept only up to what could be stored. */
async function readMultipart(request: FastifyRequest, keepAtMostBytes: number): Promise<UploadForm> {
  const form: UploadForm = { fields: new Map() };
  try {
    for await (const part of request.parts()) {
      if (part.type === 'field') {
        if (!form.fields.has(part.fieldname)) form.fields.set(part.fieldname, String(part.value));
        continue;
      }
      if (part.fieldname !== 'file' || form.file) {
        part.file.resume();
        continue;
      }
      const kind = UPLOAD_MIME_TYPES.get(baseMime(part.mimetype));
      const keep = kind === undefined ? 0 : Math.min(MEDIA_MAX_BYTES[kind], keepAtMostBytes);
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of part.file as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size <= keep) chunks.push(chunk);
      }
      // Past the reader's own cap the stream stops early: count it as one byte over the largest limit.
      if (part.file.truncated) size = Math.max(size, LARGEST_BYTES + 1);
      form.file = { mimeType: part.mimetype, size, bytes: size <= keep ? Buffer.concat(chunks) : undefined };
    }
  } catch (err) {
    if (err instanceof GraphError) throw err;
    throw new GraphError(100, {
      details: `The request body is not valid multipart/form-data (${String((err as Error).message).slice(0, 120)}).`,
    });
  }
  return form;
}

/** A JSON or form-encoded upload has fields but never a file part. */
function plainForm(body: unknown): UploadForm {
  const form: UploadForm = { fields: new Map() };
  if (typeof body === 'object' && body !== null && !Array.isArray(body)) {
    for (const [k, v] of Object.entries(body)) if (typeof v === 'string') form.fields.set(k, v);
  }
  return form;
}

/** Checks an upload as Graph does (product, file, type, size) and stores it. Throws GraphError. */
function acceptUpload(store: MediaStore, form: UploadForm): MediaRecord {
  const product = form.fields.get('messaging_product');
  if (product === undefined) throw missing('messaging_product');
  if (product !== 'whatsapp') {
    throw new GraphError(100, {
      message: `(#100) Param messaging_product must be one of {WHATSAPP} - got "${product.slice(0, 40)}".`,
    });
  }
  const file = form.file;
  if (!file) throw missing('file');
  const kind: MediaKind | undefined = UPLOAD_MIME_TYPES.get(baseMime(file.mimeType));
  if (kind === undefined) {
    throw new GraphError(100, {
      message: `(#100) Param file must be a file with one of the following types: ${ACCEPTED_TYPES_TEXT}. Received file of type '${file.mimeType.slice(0, 100)}'.`,
    });
  }
  if (file.size === 0) throw new GraphError(131053, { details: 'The uploaded file is empty.' });
  const limit = MEDIA_MAX_BYTES[kind];
  if (file.size > limit) {
    throw new GraphError(131053, {
      details: `The file is ${file.size} bytes; ${kind} files (${baseMime(file.mimeType)}) may be at most ${limit} bytes.`,
    });
  }
  if (!file.bytes) {
    throw new GraphError(131053, {
      details: `The file is ${file.size} bytes, more than this account's media storage holds (${store.limits.maxBytes} bytes).`,
    });
  }
  return store.upload(file.mimeType, kind, file.bytes);
}

/**
 * Registers the media routes: `POST /{version}/{phone-number-id}/media` (multipart upload, in a
 * scope of its own so only it parses multipart), `DELETE /{version}/{media-id}`, and the download
 * URL `GET /whatsapp_business/attachments/?mid&ext&hash`. `GET /{version}/{media-id}` is answered
 * by the node route through {@link mediaNode}.
 */
export function registerMediaRoutes(app: FastifyInstance, core: WhatsAppCore): void {
  app.register(async (scope) => {
    await scope.register(multipart, {
      throwFileSizeLimit: false,
      limits: { fileSize: LARGEST_BYTES + 1, files: 4, fields: 32, fieldSize: 64 * 1024, parts: 40 },
    });
    scope.post<{ Params: NodeParams }>('/:version/:nodeId/media', async (request, reply) => {
      if (!request.wa) return reply.callNotFound();
      checkVersion(request.params.version);
      const { nodeId } = request.params;
      if (nodeId !== core.cfg.phoneNumberId) throw core.unknownObject('post', nodeId);
      const form = request.isMultipart()
        ? await readMultipart(request, core.media.limits.maxBytes)
        : plainForm(request.body);
      const rec = acceptUpload(core.media, form);
      core.journal.append('media.uploaded', {
        mediaId: rec.id,
        mimeType: rec.mimeType,
        fileSize: rec.fileSize,
      });
      return { id: rec.id };
    });
  });

  app.delete<{ Params: NodeParams; Querystring: Record<string, unknown> }>(
    '/:version/:nodeId',
    async (request, reply) => {
      if (!request.wa) return reply.callNotFound();
      checkVersion(request.params.version);
      const { nodeId } = request.params;
      const rec = ownedMedia(core, 'delete', nodeId, request.query);
      if (!rec) throw core.unknownObject('delete', nodeId);
      core.media.delete(rec.id);
      core.journal.append('media.deleted', { mediaId: rec.id });
      return { success: true };
    },
  );

  // Downloads a `media-download=hang` fault holds open; released when the app closes.
  const hung = new Set<() => void>();
  app.addHook('preClose', (done) => {
    for (const end of hung) end();
    hung.clear();
    done();
  });

  app.get<{ Querystring: Record<string, unknown> }>(MEDIA_DOWNLOAD_PATH, (request, reply) => {
    if (!request.wa) return reply.callNotFound();
    const q = request.query;
    const text = (k: string): string => (typeof q[k] === 'string' ? (q[k] as string) : '');
    const check = core.media.checkUrl(text('mid'), text('ext'), text('hash'));
    // The CDN's own plain-text answers to a tampered or stale URL.
    if (check !== 'ok') {
      return reply
        .code(403)
        .type('text/plain; charset=utf-8')
        .send(check === 'expired' ? 'URL signature expired' : 'URL signature mismatch');
    }
    const rec = core.media.get(text('mid'));
    if (!rec) return reply.code(404).type('text/plain; charset=utf-8').send('Not Found');
    const fault = core.faults.mediaDownload(MEDIA_DOWNLOAD_PATH);
    if (fault === 'fail') {
      return reply.code(500).type('text/plain; charset=utf-8').send('Internal Server Error');
    }
    if (fault === 'reset' || fault === 'hang') return cutOrHold(request, reply, fault, hung);
    const bytes = core.media.content(rec);
    return reply.code(200).type(rec.mimeType).header('content-length', String(bytes.length)).send(bytes);
  });
}

/** A download that resets (socket destroyed now) or hangs (never answered, destroyed at close or when the client leaves). */
function cutOrHold(
  request: FastifyRequest,
  reply: FastifyReply,
  mode: 'reset' | 'hang',
  hung: Set<() => void>,
): FastifyReply {
  reply.hijack();
  const socket = request.raw.socket;
  const end = (): void => {
    if (socket && typeof socket.destroy === 'function') socket.destroy();
    else reply.raw.destroy();
  };
  if (mode === 'reset') {
    end();
    return reply;
  }
  hung.add(end);
  reply.raw.once('close', () => hung.delete(end));
  return reply;
}
