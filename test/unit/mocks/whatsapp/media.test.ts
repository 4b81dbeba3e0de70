import { createHash } from 'node:crypto';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { parseFaultSpec } from '../../../../kernel/fault-spec.js';
import { generateContent, MEDIA_MAX_BYTES } from '../../../../mocks/whatsapp/media-store.js';
import {
  type clockOf,
  entries,
  type FormPart,
  graphError,
  inbound,
  makeMock,
  multipartBody,
  send,
  T,
} from './helpers.js';

const auth = { authorization: `Bearer ${T.token}` };
const JPEG = Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), Buffer.alloc(2000, 7)]);

let app: FastifyInstance;
afterEach(async () => {
  await app?.close();
});

function upload(parts: FormPart[], phoneId: string = T.phoneId): Promise<LightMyRequestResponse> {
  const { payload, contentType } = multipartBody(parts);
  return app.inject({
    method: 'POST',
    url: `/v23.0/${phoneId}/media`,
    headers: { ...auth, 'content-type': contentType },
    payload,
  });
}

function fileParts(data: Buffer, contentType: string, over: FormPart[] = []): FormPart[] {
  return [
    { name: 'messaging_product', value: 'whatsapp' },
    { name: 'type', value: contentType },
    { name: 'file', filename: 'f.bin', contentType, data },
    ...over,
  ];
}

async function uploadedId(data: Buffer = JPEG, contentType = 'image/jpeg'): Promise<string> {
  const res = await upload(fileParts(data, contentType));
  expect(res.statusCode, res.body).toBe(200);
  return (res.json() as { id: string }).id;
}

function lookup(id: string, query = ''): Promise<LightMyRequestResponse> {
  return app.inject({ method: 'GET', url: `/v23.0/${id}${query}`, headers: auth });
}

/** The path and query of a download URL the mock handed out (inject() needs no host). */
function pathOf(url: string): string {
  const u = new URL(url);
  return u.pathname + u.search;
}

describe('POST /{phone-number-id}/media', () => {
  it('stores a multipart upload and answers only its id', async () => {
    ({ app } = makeMock());
    const res = await upload(fileParts(JPEG, 'image/jpeg'));
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ id: expect.stringMatching(/^\d{16}$/) });
    expect(entries(app, 'media.uploaded')[0]?.data).toMatchObject({
      mimeType: 'image/jpeg',
      fileSize: JPEG.length,
    });
  });

  it('needs messaging_product=whatsapp and a file part', async () => {
    ({ app } = makeMock());
    let e = graphError(
      await upload([{ name: 'file', filename: 'a.jpg', contentType: 'image/jpeg', data: JPEG }]),
    );
    expect(e).toMatchObject({ code: 100, message: '(#100) The parameter messaging_product is required.' });
    e = graphError(
      await upload(
        fileParts(JPEG, 'image/jpeg').map((p) =>
          p.name === 'messaging_product' ? { name: p.name, value: 'sms' } : p,
        ),
      ),
    );
    expect(e.code).toBe(100);
    expect(e.message).toContain('messaging_product');
    e = graphError(await upload([{ name: 'messaging_product', value: 'whatsapp' }]));
    expect(e).toMatchObject({ code: 100, message: '(#100) The parameter file is required.' });
    // A JSON body cannot carry a file.
    const json = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.phoneId}/media`,
      headers: auth,
      payload: { messaging_product: 'whatsapp', file: '@/tmp/a.jpg' },
    });
    expect(json.statusCode).toBe(400);
    expect(graphError(json).message).toBe('(#100) The parameter file is required.');
  });

  it("refuses a type Meta does not take with Meta's list of types", async () => {
    ({ app } = makeMock());
    const res = await upload(fileParts(Buffer.from('GIF89a'), 'image/gif'));
    expect(res.statusCode).toBe(400);
    const e = graphError(res);
    expect(e.code).toBe(100);
    expect(e.message).toMatch(
      /^\(#100\) Param file must be a file with one of the following types: audio\/aac, /,
    );
    expect(e.message).toContain("Received file of type 'image/gif'.");
  });

  it('applies the size limit of each kind (131053) and refuses empty files', async () => {
    ({ app } = makeMock());
    const sticker = Buffer.alloc(MEDIA_MAX_BYTES.sticker + 1, 1);
    let res = await upload(fileParts(sticker, 'image/webp'));
    expect(res.statusCode).toBe(400);
    expect(graphError(res)).toMatchObject({ code: 131053, message: '(#131053) Media upload error' });
    expect(graphError(res).error_data?.details).toContain(`at most ${MEDIA_MAX_BYTES.sticker} bytes`);
    // The same bytes are a fine image (5 MB limit).
    res = await upload(fileParts(sticker, 'image/png'));
    expect(res.statusCode).toBe(200);
    const image = Buffer.alloc(MEDIA_MAX_BYTES.image + 1, 2);
    expect(graphError(await upload(fileParts(image, 'image/jpeg'))).code).toBe(131053);
    expect(graphError(await upload(fileParts(Buffer.alloc(0), 'application/pdf'))).error_data?.details).toBe(
      'The uploaded file is empty.',
    );
  });

  it('answers an unknown phone number id and a bad token as Graph does', async () => {
    ({ app } = makeMock());
    const other = graphError(await upload(fileParts(JPEG, 'image/jpeg'), '999'));
    expect(other).toMatchObject({ code: 100, error_subcode: 33 });
    const { payload, contentType } = multipartBody(fileParts(JPEG, 'image/jpeg'));
    const res = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.phoneId}/media`,
      headers: { authorization: 'Bearer wrong', 'content-type': contentType },
      payload,
    });
    expect(res.statusCode).toBe(401);
    expect(graphError(res).code).toBe(190);
  });

  it('answers a broken multipart body with 100, never a crash', async () => {
    ({ app } = makeMock());
    const res = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.phoneId}/media`,
      headers: { ...auth, 'content-type': 'multipart/form-data; boundary=xyz' },
      payload:
        '--xyz\r\nContent-Disposition: form-data; name="file"; filename="a"\r\nContent-Type: image/jpeg\r\n\r\nabc',
    });
    expect(res.statusCode).toBe(400);
    expect(graphError(res).code).toBe(100);
  });

  it('keeps sends multipart-free: /messages with a multipart body is still a Graph 100', async () => {
    ({ app } = makeMock());
    const { payload, contentType } = multipartBody([{ name: 'messaging_product', value: 'whatsapp' }]);
    const res = await app.inject({
      method: 'POST',
      url: `/v23.0/${T.phoneId}/messages`,
      headers: { ...auth, 'content-type': contentType },
      payload,
    });
    expect(res.statusCode).toBe(400);
    expect(graphError(res).code).toBe(100);
  });
});

describe('GET /{media-id} and the download URL', () => {
  it('gives metadata whose url serves exactly the bytes of the sha256, with the token only', async () => {
    ({ app } = makeMock());
    const id = await uploadedId();
    const res = await lookup(id);
    expect(res.statusCode).toBe(200);
    const meta = res.json() as Record<string, unknown>;
    expect(meta).toEqual({
      messaging_product: 'whatsapp',
      url: expect.stringMatching(
        /^http:\/\/[^/]+\/whatsapp_business\/attachments\/\?mid=\d+&ext=\d+&hash=AT[\w-]+$/,
      ),
      mime_type: 'image/jpeg',
      sha256: createHash('sha256').update(JPEG).digest('hex'),
      file_size: JPEG.length,
      id,
    });
    const url = pathOf(meta['url'] as string);
    const dl = await app.inject({ method: 'GET', url, headers: auth });
    expect(dl.statusCode).toBe(200);
    expect(dl.headers['content-type']).toBe('image/jpeg');
    expect(dl.rawPayload.equals(JPEG)).toBe(true);
    // Without the token: Graph's 190, as Meta's docs warn.
    const anon = await app.inject({ method: 'GET', url });
    expect(anon.statusCode).toBe(401);
    expect(graphError(anon).code).toBe(190);
  });

  it('expires the url after five minutes of mock time, and refuses a tampered one', async () => {
    let clock: ReturnType<typeof clockOf>;
    ({ app, clock } = makeMock());
    const id = await uploadedId();
    const url = pathOf((await lookup(id)).json().url as string);
    const tampered = await app.inject({
      method: 'GET',
      url: url.replace(/hash=AT./, 'hash=ATx'),
      headers: auth,
    });
    expect(tampered.statusCode).toBe(403);
    expect(tampered.body).toBe('URL signature mismatch');
    clock.advance(4 * 60_000);
    expect((await app.inject({ method: 'GET', url, headers: auth })).statusCode).toBe(200);
    clock.advance(61_000);
    const late = await app.inject({ method: 'GET', url, headers: auth });
    expect(late.statusCode).toBe(403);
    expect(late.body).toBe('URL signature expired');
    // A new lookup gives a fresh url.
    const fresh = pathOf((await lookup(id)).json().url as string);
    expect((await app.inject({ method: 'GET', url: fresh, headers: auth })).statusCode).toBe(200);
  });

  it('honours phone_number_id and answers unknown ids with 100/33', async () => {
    ({ app } = makeMock());
    const id = await uploadedId();
    expect((await lookup(id, `?phone_number_id=${T.phoneId}`)).statusCode).toBe(200);
    const wrong = graphError(await lookup(id, '?phone_number_id=123456'));
    expect(wrong).toMatchObject({ code: 100, error_subcode: 33 });
    const unknown = graphError(await lookup('1234567890123456'));
    expect(unknown).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    expect(unknown.message).toContain("Unsupported get request. Object with ID '1234567890123456'");
  });
});

describe('DELETE /{media-id}', () => {
  it('deletes once; afterwards lookup, download, delete and sends by id fail', async () => {
    ({ app } = makeMock());
    const id = await uploadedId();
    const url = pathOf((await lookup(id)).json().url as string);
    const del = await app.inject({ method: 'DELETE', url: `/v23.0/${id}`, headers: auth });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ success: true });
    expect(graphError(await lookup(id))).toMatchObject({ code: 100, error_subcode: 33 });
    expect((await app.inject({ method: 'GET', url, headers: auth })).statusCode).toBe(404);
    const again = graphError(await app.inject({ method: 'DELETE', url: `/v23.0/${id}`, headers: auth }));
    expect(again.message).toContain('Unsupported delete request');
    inbound(app);
    const sent = await send(app, { messaging_product: 'whatsapp', to: T.user, type: 'image', image: { id } });
    expect(graphError(sent).code).toBe(131053);
  });

  it('checks phone_number_id before deleting', async () => {
    ({ app } = makeMock());
    const id = await uploadedId();
    const res = await app.inject({ method: 'DELETE', url: `/v23.0/${id}?phone_number_id=42`, headers: auth });
    expect(graphError(res)).toMatchObject({ code: 100, error_subcode: 33 });
    expect((await lookup(id)).statusCode).toBe(200);
  });
});

describe('sends by media id', () => {
  it.each(['image', 'audio', 'video', 'document', 'sticker'])(
    '%s: a known id is accepted, an unknown one is 131053',
    async (type) => {
      ({ app } = makeMock());
      inbound(app);
      const mime = {
        image: 'image/jpeg',
        audio: 'audio/mpeg',
        video: 'video/mp4',
        document: 'application/pdf',
        sticker: 'image/webp',
      }[type] as string;
      const id = await uploadedId(Buffer.alloc(500, 3), mime);
      const ok = await send(app, { messaging_product: 'whatsapp', to: T.user, type, [type]: { id } });
      expect(ok.statusCode, ok.body).toBe(200);
      const bad = await send(app, {
        messaging_product: 'whatsapp',
        to: T.user,
        type,
        [type]: { id: '5555555555555555' },
      });
      expect(bad.statusCode).toBe(400);
      const e = graphError(bad);
      expect(e).toMatchObject({ code: 131053, message: '(#131053) Media upload error' });
      expect(e.error_data?.details).toContain('Media ID 5555555555555555 was not found');
      // Links are not checked: Meta fetches them later.
      const link = await send(app, {
        messaging_product: 'whatsapp',
        to: T.user,
        type,
        [type]: { link: 'https://cdn.example.com/x' },
      });
      expect(link.statusCode).toBe(200);
    },
  );
});

describe('inbound media', () => {
  it('resolves the id of an inbound photo to content of the right type and the sha256 of the webhook', async () => {
    ({ app } = makeMock());
    for (const [type, mime, magic] of [
      ['image', 'image/jpeg', 'ffd8ff'],
      ['audio', 'audio/ogg; codecs=opus', '4f676753'],
      ['video', 'video/mp4', '00000020'],
      ['document', 'application/pdf', '25504446'],
      ['sticker', 'image/webp', '52494646'],
    ] as const) {
      const { wamid } = app.whatsapp.sendInbound({ from: T.user, type, [type]: {} });
      const entry = entries(app, 'inbound.created').find((e) => e.data['wamid'] === wamid);
      const id = entry?.data['mediaId'] as string;
      expect(id).toMatch(/^\d{16}$/);
      const meta = (await lookup(id)).json() as Record<string, unknown>;
      expect(meta).toMatchObject({ id, mime_type: mime });
      const dl = await app.inject({ method: 'GET', url: pathOf(meta['url'] as string), headers: auth });
      expect(dl.statusCode).toBe(200);
      expect(dl.rawPayload.length).toBe(meta['file_size']);
      expect(dl.rawPayload.subarray(0, magic.length / 2).toString('hex')).toBe(magic);
      expect(createHash('sha256').update(dl.rawPayload).digest('hex')).toBe(meta['sha256']);
      // Sizes a phone produces: kilobytes to a few megabytes, never empty.
      expect(dl.rawPayload.length).toBeGreaterThan(4 * 1024);
      expect(dl.rawPayload.length).toBeLessThan(3 * 1024 * 1024);
      // A customer's media can be sent on by id.
      inbound(app);
      expect(
        (await send(app, { messaging_product: 'whatsapp', to: T.user, type, [type]: { id } })).statusCode,
      ).toBe(200);
    }
  });

  it('generates plausible, type-true, reproducible content', () => {
    const jpeg = generateContent('image/jpeg', 50_000, 9);
    expect(jpeg.subarray(0, 3).equals(Buffer.from([0xff, 0xd8, 0xff]))).toBe(true);
    expect(jpeg.equals(generateContent('image/jpeg', 50_000, 9))).toBe(true);
    expect(jpeg.equals(generateContent('image/jpeg', 50_000, 10))).toBe(false);
    expect(generateContent('audio/ogg; codecs=opus', 100, 1).subarray(0, 4).toString('latin1')).toBe('OggS');
    expect(generateContent('application/pdf', 100, 1).subarray(0, 5).toString('latin1')).toBe('%PDF-');
    expect(generateContent('image/webp', 100, 1).subarray(8, 12).toString('latin1')).toBe('WEBP');
    expect(generateContent('text/plain', 100, 1).toString('latin1')).toMatch(/^[a-z]{100}$/);
  });
});

describe('media-download faults', () => {
  it('fail answers 500, reset cuts the connection, and only while the rule is in force', async () => {
    ({ app } = makeMock());
    const id = await uploadedId();
    const url = pathOf((await lookup(id)).json().url as string);
    const rule = app.whatsapp.faults.add(parseFaultSpec('media-download=fail', 0));
    const failed = await app.inject({ method: 'GET', url, headers: auth });
    expect(failed.statusCode).toBe(500);
    // Lookups are not downloads: the fault leaves them alone.
    expect((await lookup(id)).statusCode).toBe(200);
    app.whatsapp.faults.clear(rule.id);
    expect((await app.inject({ method: 'GET', url, headers: auth })).statusCode).toBe(200);
    app.whatsapp.faults.add(parseFaultSpec('media-download=reset', 0));
    await expect(app.inject({ method: 'GET', url, headers: auth })).rejects.toThrow();
    expect(entries(app, 'fault.applied').map((e) => e.data['mode'])).toEqual(['fail', 'reset']);
  });
});

describe('memory bound', () => {
  it('evicts the oldest media past maxEntries and past maxBytes', async () => {
    ({ app } = makeMock({ media: { maxEntries: 2, maxBytes: 5000 } }));
    const a = await uploadedId(Buffer.alloc(2000, 1));
    const b = await uploadedId(Buffer.alloc(2000, 2));
    const c = await uploadedId(Buffer.alloc(2000, 3));
    expect((await lookup(a)).statusCode).toBe(400);
    expect((await lookup(b)).statusCode).toBe(200);
    // 2,000 + 2,000 + 2,000 > 5,000 bytes: b goes too once d arrives (entries cap 2 already drops b).
    const d = await uploadedId(Buffer.alloc(2000, 4));
    expect((await lookup(b)).statusCode).toBe(400);
    expect((await lookup(c)).statusCode).toBe(200);
    expect((await lookup(d)).statusCode).toBe(200);
    expect(app.whatsapp.stats()).toMatchObject({ mediaKept: 2, mediaBytes: 4000, mediaEvicted: 2 });
    // A file the store can never hold is refused rather than stored and dropped at once.
    const big = graphError(await upload(fileParts(Buffer.alloc(6000, 5), 'image/png')));
    expect(big.code).toBe(131053);
    expect(big.error_data?.details).toContain('more than this account');
  });

  it('reset() forgets media', async () => {
    ({ app } = makeMock());
    const id = await uploadedId();
    app.whatsapp.reset();
    expect((await lookup(id)).statusCode).toBe(400);
  });
});
