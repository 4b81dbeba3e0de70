import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { VirtualClock } from '../../../../kernel/clock.js';
import type { JournalEntry } from '../../../../mocks/shared/journal.js';
import {
  buildWhatsAppMock,
  type StatusTiming,
  type WhatsAppMockOptions,
} from '../../../../mocks/whatsapp/index.js';

/** Ids and credentials the WhatsApp mock tests use. */
export const T = {
  token: 'test-token',
  secret: 'test-app-secret',
  verify: 'test-verify',
  phoneId: '106540352242922',
  display: '15550783881',
  waba: '419561257915477',
  user: '16505551234',
} as const;

/** A mock on a VirtualClock with fixed, short status delays and generous limits unless overridden. */
/** The status timing of {@link makeMock}: fixed delays (100, 200, 300 ms), every message read. */
export const FIXED_TIMING: StatusTiming = {
  sent: { kind: 'fixed', ms: 100 },
  delivered: { kind: 'fixed', ms: 200 },
  read: { kind: 'fixed', ms: 300 },
  readProbability: 1,
  failureRate: 0,
};

export function makeMock(over: Partial<WhatsAppMockOptions> = {}): {
  app: FastifyInstance;
  clock: VirtualClock;
} {
  const clock = new VirtualClock();
  const app = buildWhatsAppMock({
    clock,
    seed: 7,
    accessToken: T.token,
    appSecret: T.secret,
    verifyToken: T.verify,
    phoneNumberId: T.phoneId,
    displayPhoneNumber: T.display,
    wabaId: T.waba,
    throughputPerSec: 1000,
    pairRate: { perSec: 100, burst: 100 },
    statusTiming: FIXED_TIMING,
    ...over,
  });
  return { app, clock };
}

/** The VirtualClock a mock from {@link makeMock} runs on. */
export function clockOf(app: FastifyInstance): VirtualClock {
  return app.whatsapp.clock as VirtualClock;
}

/** POSTs a send body with the right token. */
export function send(
  app: FastifyInstance,
  body: unknown,
  version = 'v23.0',
): Promise<LightMyRequestResponse> {
  return app.inject({
    method: 'POST',
    url: `/${version}/${T.phoneId}/messages`,
    headers: { authorization: `Bearer ${T.token}` },
    payload: body as Record<string, unknown>,
  });
}

/** A text send to `to`. */
export function text(to: string = T.user, body = 'hello'): Record<string, unknown> {
  return { messaging_product: 'whatsapp', to, type: 'text', text: { body } };
}

/** The Graph error object of a response (throws if the body is not a Graph error). */
export function graphError(res: LightMyRequestResponse): {
  message: string;
  type: string;
  code: number;
  error_subcode?: number;
  error_data?: { messaging_product: string; details: string };
  fbtrace_id: string;
} {
  const body = res.json() as { error?: unknown };
  if (!body.error) throw new Error(`not a Graph error: ${res.body}`);
  return body.error as ReturnType<typeof graphError>;
}

/** Journal entries of one kind. */
export function entries(app: FastifyInstance, kind: string): JournalEntry[] {
  return app.whatsapp.journal.query({ kind });
}

/** Opens the 24 h window of `from` with an inbound text. */
export function inbound(app: FastifyInstance, from: string = T.user, body = 'hi'): string {
  return app.whatsapp.sendInbound({ from, type: 'text', text: { body } }).wamid;
}

/** A send of order_confirmation (NAMED, with currency and phone_number) to `to`. */
export function orderConfirmation(
  to: string = T.user,
  over: { bodyParams?: unknown[] } = {},
): Record<string, unknown> {
  return {
    messaging_product: 'whatsapp',
    to,
    type: 'template',
    biz_opaque_callback_data: 'flow-42',
    template: {
      name: 'order_confirmation',
      language: { code: 'en_US', policy: 'deterministic' },
      components: [
        { type: 'header', parameters: [{ type: 'text', parameter_name: 'order_id', text: 'A-1001' }] },
        {
          type: 'body',
          parameters: over.bodyParams ?? [
            { type: 'text', parameter_name: 'customer_name', text: 'Ana' },
            { type: 'text', parameter_name: 'order_id', text: 'A-1001' },
            {
              type: 'currency',
              parameter_name: 'amount',
              currency: { fallback_value: '$42.50', code: 'USD', amount_1000: 42500 },
            },
            { type: 'text', parameter_name: 'phone_number', text: '+16505551234' },
          ],
        },
        { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A-1001' }] },
      ],
    },
  };
}

const base = { messaging_product: 'whatsapp', to: T.user };
const button = (id: string, title: string) => ({ type: 'reply', reply: { id, title } });

/** One valid body per message type the endpoint takes. */
export const VALID_BODIES: Record<string, Record<string, unknown>> = {
  text: { ...base, type: 'text', text: { body: 'Hi', preview_url: false } },
  image: { ...base, type: 'image', image: { link: 'https://cdn.example.com/a.jpg', caption: 'pic' } },
  audio: { ...base, type: 'audio', audio: { link: 'https://cdn.example.com/a.ogg' } },
  video: { ...base, type: 'video', video: { link: 'https://cdn.example.com/a.mp4' } },
  document: {
    ...base,
    type: 'document',
    document: { link: 'https://cdn.example.com/a.pdf', filename: 'a.pdf', caption: 'Invoice' },
  },
  sticker: { ...base, type: 'sticker', sticker: { link: 'https://cdn.example.com/s.webp' } },
  location: {
    ...base,
    type: 'location',
    location: { latitude: 37.48, longitude: '-122.14', name: 'HQ', address: '1 Hacker Way' },
  },
  contacts: {
    ...base,
    type: 'contacts',
    contacts: [
      { name: { formatted_name: 'Ana Lee', first_name: 'Ana' }, phones: [{ phone: '+16505551234' }] },
    ],
  },
  reaction: { ...base, type: 'reaction', reaction: { message_id: 'wamid.HBgL', emoji: '👍' } },
  interactive_button: {
    ...base,
    type: 'interactive',
    interactive: {
      type: 'button',
      header: { type: 'text', text: 'Pick' },
      body: { text: 'Choose' },
      footer: { text: 'f' },
      action: { buttons: [button('y', 'Yes'), button('n', 'No')] },
    },
  },
  interactive_list: {
    ...base,
    type: 'interactive',
    interactive: {
      type: 'list',
      body: { text: 'Menu' },
      action: {
        button: 'Open',
        sections: [
          { title: 'A', rows: [{ id: 'r1', title: 'One', description: 'first' }] },
          { title: 'B', rows: [{ id: 'r2', title: 'Two' }] },
        ],
      },
    },
  },
  interactive_cta: {
    ...base,
    type: 'interactive',
    interactive: {
      type: 'cta_url',
      body: { text: 'See' },
      action: { name: 'cta_url', parameters: { display_text: 'Open', url: 'https://shop.example.com' } },
    },
  },
  template: { ...base, type: 'template', template: { name: 'hello_world', language: { code: 'en_US' } } },
};

/** One part of a multipart/form-data body: a text field, or a file with its content type. */
export type FormPart =
  | { name: string; value: string }
  | { name: string; filename: string; contentType: string; data: Buffer };

/** A multipart/form-data body as curl and SDKs send it, with its content-type header. */
export function multipartBody(parts: FormPart[]): { payload: Buffer; contentType: string } {
  const boundary = '----formboundary7MA4YWxkTrZu0gW';
  const chunks: Buffer[] = [];
  for (const p of parts) {
    let head = `--${boundary}\r\nContent-Disposition: form-data; name="${p.name}"`;
    if ('filename' in p) head += `; filename="${p.filename}"\r\nContent-Type: ${p.contentType}`;
    chunks.push(
      Buffer.from(`${head}\r\n\r\n`),
      'data' in p ? p.data : Buffer.from(p.value),
      Buffer.from('\r\n'),
    );
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), contentType: `multipart/form-data; boundary=${boundary}` };
}
