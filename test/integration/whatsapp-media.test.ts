import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  admin,
  closesAfter,
  type LooseJson,
  sendMessage,
  startMock,
  startReceiver,
  W,
} from './whatsapp-helpers.js';

// Media over real sockets, the way SDKs do it: fetch's own multipart encoder for uploads, the
// URL from the lookup fetched with the bearer token, webhooks received and signature-checked.

const open = closesAfter('each');

const auth = { authorization: `Bearer ${W.token}` };

async function graph(
  base: string,
  method: string,
  path: string,
): Promise<{ status: number; json: LooseJson }> {
  const res = await fetch(`${base}/v23.0/${path}`, { method, headers: auth });
  return { status: res.status, json: await res.json() };
}

async function uploadFile(base: string, bytes: Buffer, type: string, name: string): Promise<LooseJson> {
  const form = new FormData();
  form.append('messaging_product', 'whatsapp');
  form.append('type', type);
  form.append('file', new Blob([bytes], { type }), name);
  const res = await fetch(`${base}/v23.0/${W.phoneId}/media`, { method: 'POST', headers: auth, body: form });
  return { status: res.status, ...((await res.json()) as object) };
}

const sha256 = (b: Buffer | Uint8Array, enc: 'hex' | 'base64') => createHash('sha256').update(b).digest(enc);

describe('media over a real socket', () => {
  it('upload → lookup → download (sha256) → send by id → delete → lookup error', async () => {
    const { app, base } = await startMock();
    open.push(app);
    const pdf = Buffer.concat([
      Buffer.from('%PDF-1.7\n'),
      Buffer.alloc(300_000, 0x41),
      Buffer.from('\n%%EOF\n'),
    ]);
    const up = await uploadFile(base, pdf, 'application/pdf', 'invoice.pdf');
    expect(up.status).toBe(200);
    const id = up.id as string;
    expect(id).toMatch(/^\d{16}$/);

    const meta = await graph(base, 'GET', `${id}?phone_number_id=${W.phoneId}`);
    expect(meta.status).toBe(200);
    expect(meta.json).toMatchObject({
      messaging_product: 'whatsapp',
      mime_type: 'application/pdf',
      sha256: sha256(pdf, 'hex'),
      file_size: pdf.length,
      id,
    });
    // The URL points at this server, as a lookaside URL points at Meta's CDN.
    const url = new URL(meta.json.url as string);
    expect(url.origin).toBe(base);
    const dl = await fetch(url, { headers: auth });
    expect(dl.status).toBe(200);
    expect(dl.headers.get('content-type')).toBe('application/pdf');
    const got = Buffer.from(await dl.arrayBuffer());
    expect(sha256(got, 'hex')).toBe(meta.json.sha256);
    expect((await fetch(url)).status).toBe(401);

    await app.whatsapp.sendInbound({ from: W.user, type: 'text', text: { body: 'send the invoice' } });
    const sent = await sendMessage(base, {
      messaging_product: 'whatsapp',
      to: W.user,
      type: 'document',
      document: { id, filename: 'invoice.pdf', caption: 'Your invoice' },
    });
    expect(sent.status).toBe(200);
    expect(sent.json.messages[0].id).toMatch(/^wamid\./);

    const del = await graph(base, 'DELETE', id);
    expect(del).toEqual({ status: 200, json: { success: true } });
    const gone = await graph(base, 'GET', id);
    expect(gone.status).toBe(400);
    expect(gone.json.error).toMatchObject({ code: 100, error_subcode: 33, type: 'GraphMethodException' });
    expect((await fetch(url, { headers: auth })).status).toBe(404);
    const again = await sendMessage(base, {
      messaging_product: 'whatsapp',
      to: W.user,
      type: 'document',
      document: { id },
    });
    expect(again.status).toBe(400);
    expect(again.json.error.code).toBe(131053);
  });

  it('inbound media from POST /_mock/inbound → webhook id → lookup → download matching the webhook sha256', async () => {
    const receiver = await startReceiver();
    const { app, base } = await startMock({ webhookUrl: receiver.url });
    open.push(receiver, app);
    const posted = await admin(base, 'POST', '/_mock/inbound', {
      from: W.user,
      type: 'audio',
      audio: { voice: true },
    });
    expect(posted.status).toBe(200);
    await receiver.waitFor(() => receiver.received.length >= 1);
    const hook = receiver.received[0];
    expect(hook?.signatureOk).toBe(true);
    const message = hook?.body.entry[0]?.changes[0]?.value.messages?.[0] as LooseJson;
    expect(message.type).toBe('audio');
    expect(message.audio).toMatchObject({ mime_type: 'audio/ogg; codecs=opus', voice: true });

    const meta = await graph(base, 'GET', message.audio.id);
    expect(meta.status).toBe(200);
    expect(meta.json.mime_type).toBe('audio/ogg; codecs=opus');
    const dl = await fetch(meta.json.url as string, { headers: auth });
    expect(dl.status).toBe(200);
    const bytes = Buffer.from(await dl.arrayBuffer());
    expect(bytes.length).toBe(meta.json.file_size);
    expect(bytes.subarray(0, 4).toString('latin1')).toBe('OggS');
    // The webhook's hash is base64 (as in Meta's examples), the lookup's hex: both of these bytes.
    expect(sha256(bytes, 'base64')).toBe(message.audio.sha256);
    expect(sha256(bytes, 'hex')).toBe(meta.json.sha256);
  });

  it('media-download=hang holds the download until the client gives up, and the mock still closes', async () => {
    const { app, base } = await startMock();
    open.push(app);
    const id = (await uploadFile(base, Buffer.from([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]), 'image/png', 'a.png'))
      .id;
    const { url } = (await graph(base, 'GET', id)).json;
    const set = await admin(base, 'POST', '/_mock/faults', { spec: 'media-download=hang' });
    expect(set.status).toBeLessThan(300);
    const t0 = performance.now();
    await expect(fetch(url, { headers: auth, signal: AbortSignal.timeout(300) })).rejects.toThrow();
    expect(performance.now() - t0).toBeGreaterThanOrEqual(250);
    // Lookups still answer; only the download hangs.
    expect((await graph(base, 'GET', id)).status).toBe(200);
    // A second hung download is cut when the app closes instead of keeping it open.
    const pending = fetch(url, { headers: auth }).then(
      () => 'answered',
      () => 'cut',
    );
    await new Promise((r) => setTimeout(r, 50));
    const closeStart = performance.now();
    await app.close();
    expect(performance.now() - closeStart).toBeLessThan(2000);
    expect(await pending).toBe('cut');
    open.length = 0;
  });

  it('refuses over-size uploads from a real multipart encoder without storing them', async () => {
    const { app, base } = await startMock();
    open.push(app);
    const big = Buffer.alloc(5 * 1024 * 1024 + 10, 1);
    const res = await uploadFile(base, big, 'image/jpeg', 'big.jpg');
    expect(res.status).toBe(400);
    expect((res as LooseJson).error.code).toBe(131053);
    expect(app.whatsapp.stats()['mediaKept']).toBe(0);
  });
});
