import { describe, expect, it } from 'vitest';
import { createRng } from '../../../../kernel/random.js';
import { buildInbound, INBOUND_TYPES, InboundError } from '../../../../mocks/whatsapp/inbound.js';

/** One valid inbound body per type (CONTRACT §3). */
const SAMPLES: Record<string, Record<string, unknown>> = {
  text: { text: { body: 'hi' } },
  image: { image: { caption: 'look' } },
  video: { video: {} },
  audio: { audio: { voice: true } },
  document: { document: { filename: 'a.pdf', caption: 'doc' } },
  sticker: { sticker: { animated: false } },
  location: { location: { latitude: 1.5, longitude: 2.5, name: 'Here' } },
  contacts: {
    contacts: [
      { name: { formatted_name: 'Ana' }, phones: [{ phone: '+1 650', wa_id: '1650', type: 'CELL' }] },
    ],
  },
  reaction: { reaction: { message_id: 'wamid.X', emoji: '❤️' } },
  button: {
    button: { payload: 'STOP', text: 'Stop promotions' },
    context: { from: '15550783881', id: 'wamid.T' },
  },
  interactive: {
    interactive: { type: 'list_reply', list_reply: { id: 'r1', title: 'One', description: 'first' } },
  },
  order: {
    order: {
      catalog_id: 'c1',
      product_items: [{ product_retailer_id: 'sku', quantity: 2, item_price: 9.5, currency: 'USD' }],
    },
  },
  system: { system: { body: 'User changed number', new_wa_id: '16505550000' } },
  unsupported: {},
};

describe('inbound messages', () => {
  it.each(INBOUND_TYPES)('builds a %s message', (type) => {
    const m = buildInbound({ from: '+16505551234', type, ...SAMPLES[type] }, createRng(1));
    expect(m.waId).toBe('16505551234');
    expect(m.type).toBe(type);
    expect(m.message['from']).toBe('16505551234');
    if (type === 'system') expect(m.profileName).toBeUndefined();
    else expect(m.profileName).toMatch(/\S/);
  });

  it('fills media id, mime type and sha256, keeps captions', () => {
    const m = buildInbound({ from: '16505551234', type: 'image', image: { caption: 'look' } }, createRng(1));
    expect(m.message['image']).toMatchObject({ mime_type: 'image/jpeg', caption: 'look' });
    expect((m.message['image'] as { id: string }).id).toMatch(/^\d{16}$/);
    // Webhooks carry the hash in base64, as Meta's examples do.
    expect((m.message['image'] as { sha256: string }).sha256).toMatch(/^[A-Za-z0-9+/]{43}=$/);
    expect(m.text).toBe('look');
  });

  it('asks the media hook for id and sha256 when the message names no id, and refuses a lone sha256', () => {
    const asked: string[] = [];
    const hook = (kind: string, mime: string) => {
      asked.push(`${kind} ${mime}`);
      return { id: '4242', sha256: 'aGFzaA==' };
    };
    const m = buildInbound(
      { from: '16505551234', type: 'audio', audio: { voice: true } },
      createRng(1),
      hook,
    );
    expect(m.message['audio']).toEqual({
      mime_type: 'audio/ogg; codecs=opus',
      sha256: 'aGFzaA==',
      id: '4242',
      voice: true,
    });
    expect(asked).toEqual(['audio audio/ogg; codecs=opus']);
    // An explicit id is the caller's own: the hook is not asked.
    const own = buildInbound({ from: '16505551234', type: 'image', image: { id: '77' } }, createRng(1), hook);
    expect((own.message['image'] as { id: string }).id).toBe('77');
    expect(asked).toHaveLength(1);
    expect(() =>
      buildInbound({ from: '16505551234', type: 'image', image: { sha256: 'x' } }, createRng(1), hook),
    ).toThrow(/image.sha256 is only taken together with image.id/);
  });

  it('gives unsupported messages the 131051 error and takes a profile name', () => {
    const m = buildInbound(
      { from: '16505551234', type: 'unsupported', profile: { name: 'Zoë' } },
      createRng(1),
    );
    expect((m.message['errors'] as Array<{ code: number }>)[0]?.code).toBe(131051);
    expect(m.profileName).toBe('Zoë');
  });

  it('names the bad field', () => {
    const bad = (body: unknown): string => {
      try {
        buildInbound(body, createRng(1));
      } catch (e) {
        if (e instanceof InboundError) return e.path;
        throw e;
      }
      return 'accepted';
    };
    expect(bad({ from: 'abc', type: 'text', text: { body: 'x' } })).toBe('from');
    expect(bad({ from: '16505551234', type: 'fax' })).toBe('type');
    expect(bad({ from: '16505551234', type: 'text', text: { body: 1 } })).toBe('text.body');
    expect(bad({ from: '16505551234', type: 'text', text: { body: 'x' }, surprise: 1 })).toBe('surprise');
    expect(bad({ from: '16505551234', type: 'location', location: { latitude: 'n', longitude: 0 } })).toBe(
      'location.latitude',
    );
    expect(bad({ from: '16505551234', type: 'interactive', interactive: { type: 'nope' } })).toBe(
      'interactive.type',
    );
    expect(bad(null)).toBe('body');
  });
});
