import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../kernel/clock.js';
import { createRng } from '../../../../kernel/random.js';
import { GraphError } from '../../../../mocks/whatsapp/errors.js';
import { renderTemplate, resolveTemplate } from '../../../../mocks/whatsapp/render.js';
import { SEED_TEMPLATES } from '../../../../mocks/whatsapp/seed-templates.js';
import { TemplateStore } from '../../../../mocks/whatsapp/templates.js';

const store = new TemplateStore({
  clock: new VirtualClock(),
  rng: createRng(1),
  seeds: SEED_TEMPLATES,
  approval: { approveProbability: 1, delay: { kind: 'fixed', ms: 1 } },
  onStatus: () => undefined,
});

function render(name: string, language: string, components?: unknown) {
  const t = resolveTemplate(store, {
    name,
    language: { code: language },
    ...(components ? { components } : {}),
  });
  return renderTemplate(t, components);
}

function failure(fn: () => unknown): { code: number; details: string } {
  try {
    fn();
  } catch (e) {
    if (e instanceof GraphError) return { code: e.code, details: e.opts.details ?? '' };
    throw e;
  }
  throw new Error('expected a GraphError');
}

const text = (t: string, parameter_name?: string) => ({
  type: 'text',
  text: t,
  ...(parameter_name ? { parameter_name } : {}),
});

describe('template rendering', () => {
  it('renders a NAMED template with header, currency fallback, phone number and url button', () => {
    const r = render('order_confirmation', 'en_US', [
      { type: 'header', parameters: [text('A-7', 'order_id')] },
      {
        type: 'body',
        parameters: [
          text('+447700900123', 'phone_number'),
          text('Ana', 'customer_name'),
          {
            type: 'currency',
            parameter_name: 'amount',
            currency: { fallback_value: '€9.99', code: 'EUR', amount_1000: 9990 },
          },
          text('A-7', 'order_id'),
        ],
      },
      { type: 'button', sub_type: 'url', index: 0, parameters: [text('A-7')] },
    ]);
    expect(r.header).toEqual({ format: 'TEXT', text: 'Order A-7 confirmed' });
    expect(r.body).toBe(
      "Hi Ana, thanks for your order A-7. Total: €9.99. We'll message you at +447700900123 when it ships.",
    );
    expect(r.text).toBe(`Order A-7 confirmed\n${r.body}`);
    expect(r.bodyParams).toEqual({
      phone_number: '+447700900123',
      customer_name: 'Ana',
      amount: '€9.99',
      order_id: 'A-7',
    });
    expect(r.buttons).toEqual([
      { index: 0, type: 'url', text: 'View order', url: 'https://shop.example.com/orders/A-7' },
      { index: 1, type: 'quick_reply', text: 'Talk to an agent' },
    ]);
  });

  it('renders positional parameters in order, with date_time fallback and the footer', () => {
    const r = render('payment_reminder', 'en_US', [
      {
        type: 'body',
        parameters: [
          text('Li'),
          text('$12.00'),
          text('INV-9'),
          { type: 'date_time', date_time: { fallback_value: 'May 1, 2026' } },
        ],
      },
      { type: 'button', sub_type: 'url', index: '0', parameters: [text('INV-9')] },
    ]);
    expect(r.body).toBe(
      'Hello Li, this is a reminder that your payment of $12.00 for invoice INV-9 is due on May 1, 2026.',
    );
    expect(r.text).toBe(`Payment reminder\n${r.body}\nIgnore this message if you have already paid.`);
  });

  it('renders Arabic and Chinese templates', () => {
    const zh = render('payment_reminder', 'zh_CN', [
      { type: 'body', parameters: [text('王芳'), text('¥8'), text('INV-1'), text('3月3日')] },
    ]);
    expect(zh.body).toBe('王芳，您好。提醒您：发票 INV-1 的应付金额 ¥8 将于 3月3日 到期。');
    const ar = render('otp_verification', 'ar', [
      { type: 'body', parameters: [text('123456')] },
      { type: 'button', sub_type: 'url', index: '0', parameters: [text('123456')] },
    ]);
    expect(ar.body).toContain('*123456*');
    expect(ar.buttons[0]).toMatchObject({ type: 'otp', code: '123456' });
  });

  it('takes media headers and copy-code buttons', () => {
    const r = render('summer_promotion', 'en_US', [
      { type: 'header', parameters: [{ type: 'image', image: { link: 'https://cdn.example.com/a.jpg' } }] },
      { type: 'body', parameters: [text('Ana'), text('20%'), text('Aug 31'), text('SUMMER20')] },
      {
        type: 'button',
        sub_type: 'copy_code',
        index: 1,
        parameters: [{ type: 'coupon_code', coupon_code: 'SUMMER20' }],
      },
    ]);
    expect(r.header).toEqual({ format: 'IMAGE', link: 'https://cdn.example.com/a.jpg' });
    expect(r.buttons.map((b) => b.type)).toEqual(['url', 'copy_code', 'quick_reply']);
    expect(r.text).toBe(`${r.body}\nReply STOP to unsubscribe`);
  });

  it('needs no components for a template without parameters', () => {
    expect(render('hello_world', 'en_US').text.startsWith('Hello World\nWelcome')).toBe(true);
  });
});

describe('template send errors', () => {
  it('132001 for an unknown name or language, or a template that is not approved', () => {
    expect(failure(() => render('no_such', 'en_US')).code).toBe(132001);
    expect(failure(() => render('order_confirmation', 'fr')).details).toBe(
      'template name (order_confirmation) does not exist in fr',
    );
    expect(failure(() => render('crypto_giveaway', 'en_US')).code).toBe(132001);
  });

  it('132015 for a paused template and 132016 for a disabled one', () => {
    expect(failure(() => render('flash_sale', 'en_US')).code).toBe(132015);
    expect(failure(() => render('old_newsletter', 'en_US')).code).toBe(132016);
  });

  it('132000 when the parameter count does not match, with Meta-style details', () => {
    const f = failure(() =>
      render('payment_reminder', 'es', [{ type: 'body', parameters: [text('a'), text('b')] }]),
    );
    expect(f.code).toBe(132000);
    expect(f.details).toBe(
      'body: number of localizable_params (2) does not match the expected number of params (4)',
    );
    expect(
      failure(() => render('hello_world', 'en_US', [{ type: 'body', parameters: [text('x')] }])).code,
    ).toBe(132000);
    // A dynamic URL button needs its parameter.
    expect(
      failure(() =>
        render('payment_reminder', 'en_US', [
          { type: 'body', parameters: [text('a'), text('b'), text('c'), text('d')] },
        ]),
      ).code,
    ).toBe(132000);
  });

  it('132012 for wrong parameter types, missing or unknown parameter names, and header format', () => {
    const named = (params: unknown[]) => [
      { type: 'header', parameters: [text('A', 'order_id')] },
      { type: 'body', parameters: params },
      { type: 'button', sub_type: 'url', index: 0, parameters: [text('A')] },
    ];
    expect(
      failure(() =>
        render('order_confirmation', 'en_US', named([text('a'), text('b'), text('c'), text('d')])),
      ).code,
    ).toBe(132012);
    expect(
      failure(() =>
        render(
          'order_confirmation',
          'en_US',
          named([text('a', 'customer_name'), text('b', 'order_id'), text('c', 'amount'), text('d', 'email')]),
        ),
      ).details,
    ).toMatch(/"email" is not a parameter/);
    expect(
      failure(() =>
        render('invoice_ready', 'en_US', [
          { type: 'header', parameters: [{ type: 'image', image: { link: 'https://x.example/a.jpg' } }] },
          { type: 'body', parameters: [text('a'), text('b'), text('c')] },
        ]),
      ).details,
    ).toBe('header: Format mismatch, expected DOCUMENT, received IMAGE');
    expect(
      failure(() =>
        render('delivery_update', 'en_US', [
          {
            type: 'body',
            parameters: [text('a'), { type: 'image', image: { id: '1' } }, text('c'), text('d')],
          },
        ]),
      ).code,
    ).toBe(132012);
  });

  it('100 for new-lines, tabs or 5+ spaces in a text parameter; 132005 when the body grows past 1024', () => {
    const f = failure(() =>
      render('feedback_request', 'en_US', [{ type: 'body', parameters: [text('a\nb'), text('x')] }]),
    );
    expect(f.code).toBe(100);
    expect(f.details).toMatch(/new-line\/tab/);
    expect(
      failure(() =>
        render('feedback_request', 'en_US', [{ type: 'body', parameters: [text('a     b'), text('x')] }]),
      ).code,
    ).toBe(100);
    expect(
      failure(() =>
        render('feedback_request', 'en_US', [
          { type: 'body', parameters: [text('a'.repeat(1100)), text('x')] },
        ]),
      ).code,
    ).toBe(132005);
  });

  it('132005 exactly past the limits: a 60-character header and a 1,024-character body still pass', () => {
    const orderWith = (headerId: string, name: string) =>
      render('order_confirmation', 'en_US', [
        { type: 'header', parameters: [text(headerId, 'order_id')] },
        {
          type: 'body',
          parameters: [
            text('+447700900123', 'phone_number'),
            text(name, 'customer_name'),
            text('€9.99', 'amount'),
            text('A-7', 'order_id'),
          ],
        },
        { type: 'button', sub_type: 'url', index: 0, parameters: [text('A-7')] },
      ]);
    const base = orderWith('A', 'B');
    const headerRoom = 60 - ((base.header?.text ?? '').length - 1);
    const bodyRoom = 1024 - (base.body.length - 1);
    // Arabic and an emoji (two UTF-16 units): lengths count as JavaScript counts them, as before.
    const full = orderWith(
      'ي'.repeat(headerRoom),
      `${'😀'.repeat(Math.floor(bodyRoom / 2))}${bodyRoom % 2 ? 'x' : ''}`,
    );
    expect(full.header?.text).toHaveLength(60);
    expect(full.body).toHaveLength(1024);
    expect(full.text).toBe(`${full.header?.text}\n${full.body}`);
    const longHeader = failure(() => orderWith('ي'.repeat(headerRoom + 1), 'B'));
    expect(longHeader).toEqual({
      code: 132005,
      details: 'header: text is 61 characters after parameters; the limit is 60',
    });
    const longBody = failure(() => orderWith('A', 'b'.repeat(bodyRoom + 1)));
    expect(longBody).toEqual({
      code: 132005,
      details: 'body: text is 1025 characters after parameters; the limit is 1024',
    });
  });

  it('131008 / 131009 / 100 for malformed components', () => {
    expect(
      failure(() =>
        render('feedback_request', 'en_US', [{ type: 'body', parameters: [{ type: 'text' }, text('x')] }]),
      ).code,
    ).toBe(131008);
    expect(
      failure(() => render('feedback_request', 'en_US', [{ type: 'footer', parameters: [] }])).code,
    ).toBe(131009);
    expect(
      failure(() =>
        render('feedback_request', 'en_US', [{ type: 'body', parameters: [text('a'), text('b')], extra: 1 }]),
      ).code,
    ).toBe(100);
    expect(failure(() => render('feedback_request', 'en_US', 'nope')).code).toBe(100);
    expect(
      failure(() =>
        render('feedback_request', 'en_US', [
          {
            type: 'body',
            parameters: [
              { type: 'currency', currency: { fallback_value: '$1', code: 'usd', amount_1000: 1 } },
              text('b'),
            ],
          },
        ]),
      ).code,
    ).toBe(131009);
    expect(
      failure(() =>
        resolveTemplate(store, { name: 'hello_world', language: { code: 'en_US', policy: 'fallback' } }),
      ).code,
    ).toBe(131009);
    expect(failure(() => resolveTemplate(store, { name: 'hello_world' })).code).toBe(131008);
  });
});
