import { describe, expect, it } from 'vitest';
import { crmMessageType, parseCrmEvent, parseWhatsAppPayload } from '../../../connector/payloads.js';
import { inboundPayload, statusPayload } from './helpers.js';

describe('reading webhook bodies', () => {
  it('reads inbound messages with the profile name and E.164 phone', () => {
    const b = parseWhatsAppPayload(
      inboundPayload([{ id: 'wamid.A', from: '886912345678', text: 'hi', name: '陳怡君' }]),
    );
    expect(b.messages).toEqual([
      {
        wamid: 'wamid.A',
        from: '886912345678',
        phone: '+886912345678',
        name: '陳怡君',
        timestampSec: 1_767_603_600,
        type: 'text',
        body: 'hi',
      },
    ]);
    expect(b.ignored).toBe(0);
  });

  it('reads statuses with their error', () => {
    const b = parseWhatsAppPayload(
      statusPayload([
        {
          id: 'wamid.B',
          status: 'failed',
          to: '15551234567',
          error: { code: 131026, title: 'Message undeliverable' },
        },
      ]),
    );
    expect(b.statuses).toEqual([
      {
        wamid: 'wamid.B',
        status: 'failed',
        timestampSec: 1_767_603_700,
        recipientId: '15551234567',
        error: { code: 131026, title: 'Message undeliverable' },
      },
    ]);
  });

  it('ignores unknown fields, unknown field values, unknown statuses and malformed items', () => {
    const body = {
      object: 'whatsapp_business_account',
      extra: { anything: true },
      entry: [
        {
          id: 'W',
          changes: [
            { field: 'message_template_status_update', value: { event: 'APPROVED' } },
            {
              field: 'messages',
              value: {
                new_thing: 1,
                statuses: [
                  { id: 'w1', status: 'played', timestamp: '1', recipient_id: '1' },
                  { id: 'w2', status: 'read', timestamp: '1', recipient_id: '1', brand_new: {} },
                ],
                messages: [{ id: 'w3', from: '1', type: 'text' }],
                errors: [{ code: 130429, title: 'Rate limit hit' }],
              },
            },
          ],
        },
      ],
    };
    const b = parseWhatsAppPayload(body);
    expect(b.statuses.map((s) => s.wamid)).toEqual(['w2']);
    expect(b.messages).toEqual([]);
    expect(b.systemErrors).toEqual([{ code: 130429, title: 'Rate limit hit' }]);
    expect(b.ignored).toBe(3);
    expect(parseWhatsAppPayload('nonsense').ignored).toBe(1);
    expect(parseWhatsAppPayload({}).messages).toEqual([]);
  });

  it('takes the text of buttons, interactive replies and captions', () => {
    const value = (m: Record<string, unknown>) => ({
      object: 'whatsapp_business_account',
      entry: [
        {
          changes: [
            { field: 'messages', value: { messages: [{ id: 'x', from: '1', timestamp: '1', ...m }] } },
          ],
        },
      ],
    });
    expect(
      parseWhatsAppPayload(value({ type: 'button', button: { text: 'Confirm my order', payload: 'P' } }))
        .messages[0]?.body,
    ).toBe('Confirm my order');
    expect(
      parseWhatsAppPayload(
        value({
          type: 'interactive',
          interactive: { type: 'list_reply', list_reply: { id: 'a', title: 'Refund' } },
        }),
      ).messages[0]?.body,
    ).toBe('Refund');
    expect(
      parseWhatsAppPayload(value({ type: 'image', image: { id: 'm', caption: 'terrible' } })).messages[0]
        ?.body,
    ).toBe('terrible');
    expect(
      parseWhatsAppPayload(value({ type: 'sticker', sticker: { id: 'm' } })).messages[0]?.body,
    ).toBeUndefined();
  });

  it('maps message types onto the CRM types', () => {
    expect(crmMessageType('text')).toBe('text');
    expect(crmMessageType('nfm_reply')).toBe('unknown');
  });

  it('needs an id on a CRM event', () => {
    expect(parseCrmEvent({ id: 'evt_1', type: 'order.created' })).toMatchObject({ ok: true });
    expect(parseCrmEvent({ type: 'x' })).toEqual({ ok: false, reason: "the event has no 'id'" });
    expect(parseCrmEvent([1])).toEqual({ ok: false, reason: 'the body is not a JSON object' });
  });
});
