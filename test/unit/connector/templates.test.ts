import { describe, expect, it } from 'vitest';
import { buildTemplateComponents, cleanParamText, resolvePath } from '../../../connector/templates.js';

const event = {
  id: 'evt_1',
  contact: { id: 'ctc_1', name: 'Ana Souza', phone: '0912-345-678', country: 'TW' },
  data: {
    order_id: 'A-1001',
    total: 42.5,
    currency: 'eur',
    total_text: '€42.50',
    eta: 'January 8, 2026',
    items: [{ sku: 'SKU-9' }],
    empty: '  ',
    banner: 'https://example.com/b.jpg',
  },
};

describe('template components from a CRM event', () => {
  it('resolves dot paths, array indices and missing fields', () => {
    expect(resolvePath(event, 'contact.name')).toBe('Ana Souza');
    expect(resolvePath(event, 'data.items.0.sku')).toBe('SKU-9');
    expect(resolvePath(event, 'data.nope')).toBeUndefined();
    expect(resolvePath(event, 'data.order_id.length')).toBeUndefined();
  });

  it('builds positional header and body parameters in order', () => {
    const r = buildTemplateComponents(event, {
      header: ['data.order_id'],
      body: ['contact.name', 'data.order_id', 'data.total'],
    });
    expect(r).toEqual({
      ok: true,
      components: [
        { type: 'header', parameters: [{ type: 'text', text: 'A-1001' }] },
        {
          type: 'body',
          parameters: [
            { type: 'text', text: 'Ana Souza' },
            { type: 'text', text: 'A-1001' },
            { type: 'text', text: '42.5' },
          ],
        },
      ],
      recorded: { header: ['A-1001'], body: ['Ana Souza', 'A-1001', '42.5'] },
    });
  });

  it('builds named parameters with parameter_name', () => {
    const r = buildTemplateComponents(event, {
      body: { customer_name: 'contact.name', order_id: 'data.order_id' },
    });
    expect(r.ok && r.components).toEqual([
      {
        type: 'body',
        parameters: [
          { type: 'text', text: 'Ana Souza', parameter_name: 'customer_name' },
          { type: 'text', text: 'A-1001', parameter_name: 'order_id' },
        ],
      },
    ]);
    expect(r.ok && r.recorded).toEqual({ body: { customer_name: 'Ana Souza', order_id: 'A-1001' } });
  });

  it('builds a currency parameter with amount_1000, upper-case code and the fallback field', () => {
    const r = buildTemplateComponents(event, {
      body: [{ type: 'currency', amount: 'data.total', code: 'data.currency', fallback: 'data.total_text' }],
    });
    expect(r.ok && r.components[0]?.parameters[0]).toEqual({
      type: 'currency',
      currency: { fallback_value: '€42.50', code: 'EUR', amount_1000: 42500 },
    });
    expect(r.ok && r.recorded.body).toEqual(['€42.50']);
  });

  it('formats a fallback when the event has no fallback field', () => {
    const r = buildTemplateComponents(event, {
      body: [{ type: 'currency', amount: 'data.total', code: 'data.currency', fallback: 'data.absent' }],
    });
    expect(r.ok && r.components[0]?.parameters[0]).toMatchObject({
      currency: { fallback_value: '€42.50', amount_1000: 42500 },
    });
  });

  it('builds url and quick-reply buttons with a string index', () => {
    const r = buildTemplateComponents(event, {
      body: ['contact.name'],
      buttons: [
        { index: 0, sub_type: 'url', ref: 'data.order_id' },
        { index: 1, sub_type: 'quick_reply', ref: 'data.order_id' },
      ],
    });
    expect(r.ok && r.components.slice(1)).toEqual([
      { type: 'button', sub_type: 'url', index: '0', parameters: [{ type: 'text', text: 'A-1001' }] },
      {
        type: 'button',
        sub_type: 'quick_reply',
        index: '1',
        parameters: [{ type: 'payload', payload: 'A-1001' }],
      },
    ]);
    expect(r.ok && r.recorded.buttons).toEqual(['A-1001', 'A-1001']);
  });

  it('builds a copy-code button with a coupon_code parameter', () => {
    const ev = { ...event, data: { ...event.data, coupon: 'SAVE10' } };
    for (const ref of [{ type: 'coupon_code' as const, value: 'data.coupon' }, 'data.coupon']) {
      const r = buildTemplateComponents(ev, { buttons: [{ index: 2, sub_type: 'copy_code', ref }] });
      expect(r.ok && r.components).toEqual([
        {
          type: 'button',
          sub_type: 'copy_code',
          index: '2',
          parameters: [{ type: 'coupon_code', coupon_code: 'SAVE10' }],
        },
      ]);
    }
  });

  it('flattens new lines, tabs and long space runs that WhatsApp refuses in text parameters', () => {
    expect(cleanParamText('line one\nline two\t\tend')).toBe('line one line two end');
    expect(cleanParamText('a        b')).toBe('a    b');
    const ev = { ...event, data: { ...event.data, note: 'Deliver\r\nto door' } };
    const r = buildTemplateComponents(ev, { body: ['data.note'] });
    expect(r.ok && r.components[0]?.parameters[0]).toEqual({ type: 'text', text: 'Deliver to door' });
  });

  it('supports media headers and date_time parameters', () => {
    const r = buildTemplateComponents(event, {
      header: [{ type: 'image', link: 'data.banner' }],
      body: [{ type: 'date_time', value: 'data.eta' }],
    });
    expect(r.ok && r.components).toEqual([
      { type: 'header', parameters: [{ type: 'image', image: { link: 'https://example.com/b.jpg' } }] },
      { type: 'body', parameters: [{ type: 'date_time', date_time: { fallback_value: 'January 8, 2026' } }] },
    ]);
  });

  it('gives contact.phone the normalised E.164 number, never the raw CRM value', () => {
    const r = buildTemplateComponents(
      event,
      { body: { phone_number: 'contact.phone' } },
      { phoneE164: '+886912345678' },
    );
    expect(r.ok && r.components[0]?.parameters[0]).toEqual({
      type: 'text',
      text: '+886912345678',
      parameter_name: 'phone_number',
    });
  });

  it('names the path of a parameter it cannot fill', () => {
    expect(buildTemplateComponents(event, { body: ['contact.name', 'data.missing'] })).toEqual({
      ok: false,
      path: 'action.parameters.body.1',
      reason: "field 'data.missing' is missing",
    });
    expect(buildTemplateComponents(event, { body: ['data.empty'] })).toMatchObject({
      ok: false,
      reason: "field 'data.empty' is empty",
    });
    expect(buildTemplateComponents(event, { body: ['data.items'] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('not a text'),
    });
    expect(
      buildTemplateComponents(event, {
        body: [{ type: 'currency', amount: 'contact.name', code: 'data.currency' }],
      }),
    ).toMatchObject({ ok: false, path: 'action.parameters.body.0.amount' });
    expect(buildTemplateComponents(event, { body: [{ type: 'bogus' } as never] })).toMatchObject({
      ok: false,
      reason: expect.stringContaining('bogus'),
    });
    expect(
      buildTemplateComponents(event, { buttons: [{ index: 12, sub_type: 'url', ref: 'data.order_id' }] }),
    ).toMatchObject({
      ok: false,
      path: 'action.parameters.buttons.0.index',
    });
  });

  it('sends no components for a template without parameters', () => {
    expect(buildTemplateComponents(event, undefined)).toEqual({ ok: true, components: [], recorded: {} });
  });

  it('wrong-params fault: mangles exactly one text parameter, recorded values stay right', () => {
    const r = buildTemplateComponents(
      event,
      { body: ['contact.name', 'data.order_id'] },
      { mangleOne: true },
    );
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const texts = r.components[0]?.parameters.map((p) => p['text']);
    expect(texts?.[0]).not.toBe('Ana Souza');
    expect(texts?.[1]).toBe('A-1001');
    expect(r.recorded.body).toEqual(['Ana Souza', 'A-1001']);
  });
});
