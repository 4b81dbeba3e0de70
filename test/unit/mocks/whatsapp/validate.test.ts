import { describe, expect, it } from 'vitest';
import { GraphError } from '../../../../mocks/whatsapp/errors.js';
import { validateSend } from '../../../../mocks/whatsapp/validate.js';
import { VALID_BODIES } from './helpers.js';

const base = { messaging_product: 'whatsapp', to: '16505551234' };

function failure(body: unknown): { code: number; details: string; message: string } {
  try {
    validateSend(body);
  } catch (e) {
    if (e instanceof GraphError) return { code: e.code, details: e.opts.details ?? '', message: e.message };
    throw e;
  }
  throw new Error('expected a GraphError');
}

const button = (id: string, title: string) => ({ type: 'reply', reply: { id, title } });

describe('send validation: accepted shapes', () => {
  it.each(Object.entries(VALID_BODIES))('accepts a valid %s message', (_name, body) => {
    const r = validateSend(body);
    expect(r.kind).toBe('message');
  });

  it('defaults the type to text and keeps biz_opaque_callback_data and the reply context', () => {
    const r = validateSend({
      ...base,
      text: { body: 'x' },
      biz_opaque_callback_data: 'crm:1',
      context: { message_id: 'wamid.A' },
    });
    expect(r).toMatchObject({
      kind: 'message',
      type: 'text',
      bizOpaque: 'crm:1',
      replyTo: 'wamid.A',
      summary: 'x',
    });
  });

  it('reads a mark-as-read with a typing indicator', () => {
    expect(
      validateSend({
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: 'wamid.X',
        typing_indicator: { type: 'text' },
      }),
    ).toEqual({ kind: 'read', messageId: 'wamid.X', typing: true });
  });
});

describe('send validation: errors as Meta gives them', () => {
  it('100 "The parameter messaging_product is required" when it is missing', () => {
    const f = failure({ to: '1', type: 'text', text: { body: 'x' } });
    expect(f.code).toBe(100);
    expect(f.message).toBe('(#100) The parameter messaging_product is required.');
    expect(failure(undefined).code).toBe(100);
    expect(failure('text').code).toBe(100);
    expect(failure({ ...base, messaging_product: 'sms', text: { body: 'x' } }).code).toBe(131009);
  });

  it('100 with "Unexpected key" for unknown fields at any depth', () => {
    expect(failure({ ...VALID_BODIES['text'], foo: 1 }).details).toBe(
      'Unexpected key "foo" on param "message".',
    );
    expect(failure({ ...base, type: 'text', text: { body: 'x', bold: true } }).details).toBe(
      'Unexpected key "bold" on param "text".',
    );
    expect(failure({ ...base, type: 'text', text: { body: 'x' }, image: { id: '1' } }).code).toBe(100);
  });

  it('100 for wrong types, 131008 for missing, 131009 for out-of-range values', () => {
    expect(failure({ ...base, type: 'text', text: { body: 5 } }).details).toBe(
      "Param text['body'] must be a string.",
    );
    expect(failure({ ...base, type: 'text', text: {} }).details).toBe(
      "The parameter text['body'] is required.",
    );
    expect(failure({ ...base, type: 'text', text: {} }).code).toBe(131008);
    expect(failure({ ...base, type: 'text' }).code).toBe(131008);
    expect(failure({ messaging_product: 'whatsapp', type: 'text', text: { body: 'x' } }).code).toBe(131008);
    expect(failure({ ...base, type: 'text', text: { body: 'x'.repeat(4097) } }).code).toBe(131009);
    expect(failure({ ...base, type: 'location', location: { latitude: 91, longitude: 0 } }).code).toBe(
      131009,
    );
    expect(
      failure({ ...base, type: 'text', text: { body: 'x' }, biz_opaque_callback_data: 'x'.repeat(513) }).code,
    ).toBe(131009);
  });

  it('one recipient per call: an array `to` is rejected', () => {
    expect(failure({ ...base, to: ['1', '2'], type: 'text', text: { body: 'x' } }).code).toBe(100);
  });

  it('131051 for a message type that does not exist', () => {
    expect(failure({ ...base, type: 'hologram', hologram: {} }).code).toBe(131051);
  });

  it('media: exactly one of id and link, links must be http(s), caption ≤ 1024', () => {
    expect(failure({ ...base, type: 'image', image: {} }).code).toBe(131008);
    expect(failure({ ...base, type: 'image', image: { id: '1', link: 'https://x.example/a' } }).code).toBe(
      131009,
    );
    expect(failure({ ...base, type: 'image', image: { link: 'ftp://x.example/a' } }).code).toBe(131009);
    expect(failure({ ...base, type: 'image', image: { id: 'abc' } }).code).toBe(131009);
    expect(failure({ ...base, type: 'image', image: { id: '1', caption: 'x'.repeat(1025) } }).code).toBe(
      131009,
    );
    expect(failure({ ...base, type: 'audio', audio: { id: '1', caption: 'no' } }).code).toBe(100);
  });

  it('interactive limits: 1-3 buttons, titles ≤ 20, unique ids; lists ≤ 10 rows; unsupported kinds named', () => {
    const ia = (interactive: unknown) => ({ ...base, type: 'interactive', interactive });
    const buttons = (b: unknown[]) => ia({ type: 'button', body: { text: 'x' }, action: { buttons: b } });
    expect(failure(buttons([])).code).toBe(131009);
    expect(
      failure(buttons([button('a', 'A'), button('b', 'B'), button('c', 'C'), button('d', 'D')])).code,
    ).toBe(131009);
    expect(failure(buttons([button('a', 'x'.repeat(21))])).code).toBe(131009);
    expect(failure(buttons([button('a', 'A'), button('a', 'B')])).code).toBe(131009);
    expect(failure(ia({ type: 'button', action: { buttons: [button('a', 'A')] } })).code).toBe(131008);
    const rows = Array.from({ length: 11 }, (_, i) => ({ id: `r${i}`, title: `Row ${i}` }));
    expect(
      failure(
        ia({
          type: 'list',
          body: { text: 'x' },
          action: {
            button: 'Go',
            sections: [
              { title: 'A', rows: rows.slice(0, 6) },
              { title: 'B', rows: rows.slice(6) },
            ],
          },
        }),
      ).details,
    ).toMatch(/at most 10 rows/);
    // A feature this number has no assets for is an invalid parameter, as Graph answers it.
    const flow = failure(ia({ type: 'flow', body: { text: 'x' }, action: {} }));
    expect(flow.code).toBe(100);
    expect(flow.details).toBe(`Invalid value "flow" for param interactive['type'].`);
  });

  it('contacts: 1-5 cards with name.formatted_name', () => {
    expect(failure({ ...base, type: 'contacts', contacts: [] }).code).toBe(131009);
    expect(failure({ ...base, type: 'contacts', contacts: [{ name: {} }] }).code).toBe(131008);
  });

  it('mark-as-read: status must be read and the id a wamid', () => {
    expect(failure({ messaging_product: 'whatsapp', status: 'delivered', message_id: 'wamid.X' }).code).toBe(
      131009,
    );
    expect(failure({ messaging_product: 'whatsapp', status: 'read', message_id: '123' }).code).toBe(131009);
    expect(failure({ messaging_product: 'whatsapp', status: 'read' }).code).toBe(131008);
    expect(
      failure({
        messaging_product: 'whatsapp',
        status: 'read',
        message_id: 'wamid.X',
        typing_indicator: { type: 'audio' },
      }).code,
    ).toBe(131009);
  });
});
