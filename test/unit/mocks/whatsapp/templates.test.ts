import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../../../kernel/clock.js';
import { createRng } from '../../../../kernel/random.js';
import { GraphError } from '../../../../mocks/whatsapp/errors.js';
import { SEED_TEMPLATES } from '../../../../mocks/whatsapp/seed-templates.js';
import {
  compileTemplate,
  filledLength,
  fillText,
  parseCreation,
  type TemplateRecord,
  TemplateStore,
} from '../../../../mocks/whatsapp/templates.js';

function store(approveProbability = 1, delayMs = 3_600_000) {
  const clock = new VirtualClock();
  const events: Array<{ name: string; event: string; reason: string }> = [];
  const s = new TemplateStore({
    clock,
    rng: createRng(5),
    seeds: SEED_TEMPLATES,
    approval: { approveProbability, delay: { kind: 'fixed', ms: delayMs } },
    onStatus: (rec: TemplateRecord, event, reason) => events.push({ name: rec.name, event, reason }),
  });
  return { clock, s, events };
}

function graphCode(fn: () => unknown): number | undefined {
  try {
    fn();
  } catch (e) {
    if (e instanceof GraphError) return e.code;
    throw e;
  }
  return undefined;
}

const NEW_TEMPLATE = {
  name: 'winback_offer',
  category: 'MARKETING',
  language: 'en_US',
  parameter_format: 'NAMED',
  components: [
    { type: 'BODY', text: 'Hi {{customer_name}}, we miss you! Here is {{discount}} off.' },
    { type: 'FOOTER', text: 'Reply STOP to unsubscribe' },
  ],
};

describe('seeded templates', () => {
  const approved = SEED_TEMPLATES.filter((t) => (t.status ?? 'APPROVED') === 'APPROVED');

  it('has at least 20 approved templates across all three categories', () => {
    expect(approved.length).toBeGreaterThanOrEqual(20);
    const categories = new Set(approved.map((t) => t.category));
    expect([...categories].sort()).toEqual(['AUTHENTICATION', 'MARKETING', 'UTILITY']);
  });

  it('covers several languages including Arabic and Chinese', () => {
    const langs = new Set(approved.map((t) => t.language));
    for (const l of ['en_US', 'es', 'ar', 'zh_CN']) expect(langs.has(l), l).toBe(true);
    expect(langs.size).toBeGreaterThanOrEqual(6);
  });

  it('mixes positional and named parameters, with phone_number and currency-style amount fields', () => {
    expect(approved.some((t) => t.parameter_format === 'NAMED')).toBe(true);
    expect(approved.some((t) => (t.parameter_format ?? 'POSITIONAL') === 'POSITIONAL')).toBe(true);
    const bodies = approved.map((t) => t.components.find((c) => c.type === 'BODY')?.text ?? '');
    expect(bodies.some((b) => b.includes('{{phone_number}}'))).toBe(true);
    expect(bodies.some((b) => b.includes('{{amount}}'))).toBe(true);
    for (const name of [
      'order_confirmation',
      'payment_reminder',
      'shipping_notice',
      'delivery_update',
      'appointment_reminder',
      'otp_verification',
    ]) {
      expect(
        approved.some((t) => t.name === name),
        name,
      ).toBe(true);
    }
    expect(approved.some((t) => t.components.some((c) => c.type === 'HEADER'))).toBe(true);
    expect(approved.some((t) => t.components.some((c) => c.type === 'FOOTER'))).toBe(true);
    expect(approved.some((t) => t.components.some((c) => c.type === 'BUTTONS'))).toBe(true);
  });

  it('includes PAUSED, REJECTED and DISABLED templates so their errors are reachable', () => {
    const statuses = new Set(SEED_TEMPLATES.map((t) => t.status ?? 'APPROVED'));
    for (const s of ['PAUSED', 'REJECTED', 'DISABLED']) expect(statuses.has(s as never), s).toBe(true);
  });

  it('all compile', () => {
    for (const t of SEED_TEMPLATES) expect(() => compileTemplate(t), `${t.name}/${t.language}`).not.toThrow();
  });
});

describe('template compilation', () => {
  it('splits placeholders and keeps body variables in first-use order', () => {
    const c = compileTemplate({
      name: 'x',
      language: 'en_US',
      category: 'UTILITY',
      components: [{ type: 'BODY', text: 'A {{2}} B {{1}} C {{2}}' }],
    });
    expect(c.body.parts).toEqual(['A ', ' B ', ' C ', '']);
    expect(c.bodyVars).toEqual(['2', '1']);
  });

  it('rejects gaps, named placeholders in positional templates, and over-long text', () => {
    const body = (text: string, parameter_format?: 'NAMED') => ({
      name: 'x',
      language: 'en_US',
      category: 'UTILITY' as const,
      ...(parameter_format ? { parameter_format } : {}),
      components: [{ type: 'BODY' as const, text }],
    });
    expect(graphCode(() => compileTemplate(body('Hi {{1}} {{3}}')))).toBe(100);
    expect(graphCode(() => compileTemplate(body('Hi {{name}}')))).toBe(100);
    expect(graphCode(() => compileTemplate(body('Hi {{Name}}', 'NAMED')))).toBe(100);
    expect(graphCode(() => compileTemplate(body('x'.repeat(1025))))).toBe(100);
    expect(graphCode(() => compileTemplate(body('Hi {{name}}', 'NAMED')))).toBeUndefined();
  });
});

describe('filled text', () => {
  it('filledLength is the length fillText gives, for every seeded text and any values', () => {
    const texts = SEED_TEMPLATES.flatMap((def) => {
      const c = compileTemplate(def);
      return [
        c.body,
        ...(c.header?.text ? [c.header.text] : []),
        ...c.buttons.flatMap((b) => (b.url ? [b.url] : [])),
      ];
    });
    fc.assert(
      fc.property(
        fc.constantFrom(...texts),
        fc.dictionary(fc.string({ maxLength: 8 }), fc.string({ unit: 'grapheme', maxLength: 40 })),
        fc.array(fc.string({ unit: 'grapheme', maxLength: 40 }), { maxLength: 6 }),
        (text, extra, given) => {
          // Values for some of the text's variables (the rest render as ''), and names it does not have.
          const values: Record<string, string> = { ...extra };
          text.vars.forEach((v, i) => {
            if (i < given.length) values[v] = given[i] as string;
          });
          expect(filledLength(text, values)).toBe(fillText(text, values).length);
        },
      ),
      { numRuns: 400, seed: 5 },
    );
  });
});

describe('template creation', () => {
  it('validates the body: name syntax, category, language, known keys', () => {
    expect(graphCode(() => parseCreation({ ...NEW_TEMPLATE, name: 'Bad Name' }))).toBe(100);
    expect(graphCode(() => parseCreation({ ...NEW_TEMPLATE, category: 'SPAM' }))).toBe(100);
    expect(graphCode(() => parseCreation({ ...NEW_TEMPLATE, language: 'english' }))).toBe(100);
    expect(graphCode(() => parseCreation({ ...NEW_TEMPLATE, extra: 1 }))).toBe(100);
    expect(graphCode(() => parseCreation({ ...NEW_TEMPLATE, components: [] }))).toBe(100);
    expect(graphCode(() => parseCreation('nope'))).toBe(100);
    expect(parseCreation(NEW_TEMPLATE).category).toBe('MARKETING');
  });

  it('writes authentication bodies and footers from their flags', () => {
    const def = parseCreation({
      name: 'login_code',
      category: 'AUTHENTICATION',
      language: 'en_US',
      components: [
        { type: 'BODY', add_security_recommendation: true },
        { type: 'FOOTER', code_expiration_minutes: 5 },
        { type: 'BUTTONS', buttons: [{ type: 'OTP', otp_type: 'COPY_CODE' }] },
      ],
    });
    expect(def.components[0]?.text).toBe(
      '*{{1}}* is your verification code. For your security, do not share this code.',
    );
    expect(def.components[1]?.text).toBe('This code expires in 5 minutes.');
  });

  it('goes PENDING, then APPROVED on the clock with a status event', () => {
    const { clock, s, events } = store(1, 3_600_000);
    const rec = s.create(NEW_TEMPLATE);
    expect(rec.status).toBe('PENDING');
    clock.advance(3_599_999);
    expect(s.get(rec.id)?.status).toBe('PENDING');
    clock.advance(1);
    expect(s.get(rec.id)?.status).toBe('APPROVED');
    expect(events).toEqual([{ name: 'winback_offer', event: 'APPROVED', reason: 'NONE' }]);
  });

  it('rejects with a reason when the review says no', () => {
    const { clock, s, events } = store(0, 1000);
    const rec = s.create(NEW_TEMPLATE);
    clock.advance(1000);
    expect(s.get(rec.id)?.status).toBe('REJECTED');
    expect(events[0]?.event).toBe('REJECTED');
    expect(events[0]?.reason).not.toBe('NONE');
  });

  it('approves about 95 % within 24 h with the default-like review', () => {
    const clock = new VirtualClock();
    let approved = 0;
    const s = new TemplateStore({
      clock,
      rng: createRng(11),
      seeds: [],
      approval: {
        approveProbability: 0.95,
        delay: { kind: 'lognormal', medianMs: 1_800_000, sigma: 1, maxMs: 86_400_000 },
      },
      onStatus: (_r, e) => {
        if (e === 'APPROVED') approved++;
      },
    });
    for (let i = 0; i < 400; i++) s.create({ ...NEW_TEMPLATE, name: `t_${i}` });
    clock.advance(86_400_000);
    expect(s.all().every((t) => t.status !== 'PENDING')).toBe(true);
    expect(approved / 400).toBeGreaterThan(0.9);
    expect(approved / 400).toBeLessThan(0.99);
  });

  it('refuses a second template with the same name and language (subcode 2388024)', () => {
    const { s } = store();
    s.create(NEW_TEMPLATE);
    try {
      s.create(NEW_TEMPLATE);
      expect.unreachable();
    } catch (e) {
      expect((e as GraphError).code).toBe(100);
      expect((e as GraphError).opts.subcode).toBe(2388024);
    }
    expect(s.create({ ...NEW_TEMPLATE, language: 'es' }).language).toBe('es');
  });
});

describe('template store paging and deletion', () => {
  it('pages with after/before cursors in creation order', () => {
    const { s } = store();
    const all = s.all();
    const p1 = s.list({ limit: 10 });
    expect(p1.data.map((t) => t.id)).toEqual(all.slice(0, 10).map((t) => t.id));
    expect(p1.hasNext).toBe(true);
    expect(p1.hasPrevious).toBe(false);
    const p2 = s.list({ limit: 10, after: p1.after as string });
    expect(p2.data.map((t) => t.id)).toEqual(all.slice(10, 20).map((t) => t.id));
    const back = s.list({ limit: 10, before: p2.before as string });
    expect(back.data.map((t) => t.id)).toEqual(p1.data.map((t) => t.id));
    expect(() => s.list({ limit: 10, after: 'garbage!' })).toThrow(GraphError);
  });

  it('filters by name substring and status', () => {
    const { s } = store();
    expect(s.list({ limit: 100, name: 'order_confirmation' }).data).toHaveLength(4);
    expect(s.list({ limit: 100, status: 'paused' }).data.map((t) => t.name)).toEqual(['flash_sale']);
  });

  it('deletes all languages by name, or one by hsm id, and reset brings the seeds back', () => {
    const { s, events } = store();
    const before = s.size();
    const es = s.find('payment_reminder', 'es');
    expect(s.delete('payment_reminder', es?.id)).toBe(1);
    expect(s.find('payment_reminder', 'es')).toBeUndefined();
    expect(s.find('payment_reminder', 'en_US')).toBeDefined();
    expect(s.delete('payment_reminder')).toBe(2);
    expect(s.delete('payment_reminder')).toBe(0);
    expect(events.filter((e) => e.event === 'DELETED')).toHaveLength(3);
    s.create(NEW_TEMPLATE);
    s.reset();
    expect(s.size()).toBe(before);
    expect(s.find('payment_reminder', 'es')?.id).toBe(es?.id);
    expect(s.find('winback_offer', 'en_US')).toBeUndefined();
  });
});
