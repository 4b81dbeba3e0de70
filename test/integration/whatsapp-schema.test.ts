import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { INBOUND_TYPES } from '../../mocks/whatsapp/index.js';
import {
  orderConfirmation,
  type Receiver,
  sendMessage,
  startMock,
  startReceiver,
  textMessage,
  W,
} from './whatsapp-helpers.js';

// Validates the mock's responses and webhook bodies against Meta's own OpenAPI schemas, where the
// file is present beside the repo (../shared/whatsapp/…); skips cleanly where it is absent.

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const SPEC_PATH = resolve(repoRoot, '../shared/whatsapp/meta-openapi-business-messaging-v23.0.yaml');
const HAVE_SPEC = existsSync(SPEC_PATH);

type Schema = Record<string, unknown>;

/**
 * A small JSON-schema walker for what Meta's file uses: $ref, allOf, oneOf/anyOf (at least one
 * branch must hold), not, type, required, properties, items, enum. `remap` replaces refs by name,
 * for the spec's known mix-up of inbound and outbound message schemas (see CONTRACT.md).
 */
function validator(
  spec: { components: { schemas: Record<string, Schema> } },
  remap: Record<string, string> = {},
) {
  const schemas = spec.components.schemas;
  const resolveRef = (ref: string): Schema => {
    const name = ref.replace('#/components/schemas/', '');
    const target = schemas[remap[name] ?? name];
    if (!target) throw new Error(`unknown schema ${ref}`);
    return target;
  };
  const typeOk = (type: string, v: unknown): boolean => {
    switch (type) {
      case 'object':
        return typeof v === 'object' && v !== null && !Array.isArray(v);
      case 'array':
        return Array.isArray(v);
      case 'string':
        return typeof v === 'string';
      case 'integer':
        return Number.isInteger(v);
      case 'number':
        return typeof v === 'number';
      case 'boolean':
        return typeof v === 'boolean';
      default:
        return true;
    }
  };
  const check = (schema: Schema, v: unknown, path: string, errors: string[]): void => {
    if (typeof schema['$ref'] === 'string') return check(resolveRef(schema['$ref']), v, path, errors);
    for (const sub of (schema['allOf'] as Schema[] | undefined) ?? []) check(sub, v, path, errors);
    const anyOf = (schema['oneOf'] ?? schema['anyOf']) as Schema[] | undefined;
    if (anyOf) {
      const branches = anyOf.map((sub) => {
        const e: string[] = [];
        check(sub, v, path, e);
        return e;
      });
      if (!branches.some((e) => e.length === 0)) {
        errors.push(
          `${path}: matches none of ${anyOf.length} branches (${branches.map((e) => e[0]).join(' | ')})`,
        );
      }
    }
    if (schema['not']) {
      const e: string[] = [];
      check(schema['not'] as Schema, v, path, e);
      if (e.length === 0) errors.push(`${path}: matches a schema it must not match`);
    }
    if (typeof schema['type'] === 'string' && !typeOk(schema['type'], v)) {
      errors.push(`${path}: expected ${schema['type']}, got ${JSON.stringify(v)?.slice(0, 60)}`);
      return;
    }
    if (Array.isArray(schema['enum']) && !schema['enum'].includes(v))
      errors.push(`${path}: ${JSON.stringify(v)} not in enum`);
    if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
      const obj = v as Record<string, unknown>;
      for (const r of (schema['required'] as string[] | undefined) ?? []) {
        if (!(r in obj)) errors.push(`${path}: missing required ${r}`);
      }
      const props = (schema['properties'] as Record<string, Schema> | undefined) ?? {};
      for (const [k, sub] of Object.entries(props)) if (k in obj) check(sub, obj[k], `${path}.${k}`, errors);
    }
    if (Array.isArray(v) && schema['items']) {
      for (let i = 0; i < v.length; i++) check(schema['items'] as Schema, v[i], `${path}[${i}]`, errors);
    }
  };
  return (name: string, v: unknown): string[] => {
    const errors: string[] = [];
    check({ $ref: `#/components/schemas/${name}` }, v, name, errors);
    return errors;
  };
}

describe.skipIf(!HAVE_SPEC)("the mock against Meta's OpenAPI schemas", () => {
  let validate: ReturnType<typeof validator>;
  let validateInbound: ReturnType<typeof validator>;
  let base: string;
  let receiver: Receiver;
  let close: () => Promise<void>;

  beforeAll(async () => {
    const spec = parseYaml(readFileSync(SPEC_PATH, 'utf8')) as {
      components: { schemas: Record<string, Schema> };
    };
    validate = validator(spec);
    // Inbound message schemas point at outbound ones (base with to/recipient_type, contact cards with
    // HOME/WORK-only phone types, send-side error objects); the inbound variants carry the _1 suffix.
    validateInbound = validator(spec, {
      BaseMessageProperties: 'BaseMessageProperties_1',
      ContactObject: 'ContactObject_1',
      ErrorObject: 'ErrorObject_2',
    });
    receiver = await startReceiver();
    const m = await startMock({ webhookUrl: receiver.url });
    base = m.base;
    close = async () => {
      await m.app.close();
      await receiver.close();
    };
  }, 60_000);
  afterAll(async () => {
    await close?.();
  });

  it('the walker itself catches a broken payload', () => {
    expect(validate('Statuses', { id: 'x', status: 'sent', timestamp: '1' })).toEqual([
      'Statuses: missing required recipient_id',
    ]);
    expect(validate('Statuses', { id: 'x', status: 'gone', timestamp: '1', recipient_id: '1' })[0]).toMatch(
      /not in enum/,
    );
    expect(validate('GraphAPIError', { error: { message: 'm', type: 't', code: '100' } })[0]).toMatch(
      /expected integer/,
    );
  });

  it('send responses match MessageResponsePayload; errors match GraphAPIError', async () => {
    const ok = await sendMessage(base, orderConfirmation());
    expect(validate('MessageResponsePayload', ok.json)).toEqual([]);
    const errors = [
      await sendMessage(base, { ...textMessage(), extra: 1 }),
      await sendMessage(base, textMessage(), { token: 'bad' }),
      await sendMessage(base, textMessage(), { phoneId: '1' }),
      await sendMessage(base, {
        messaging_product: 'whatsapp',
        to: W.user,
        type: 'template',
        template: { name: 'nope', language: { code: 'en_US' } },
      }),
    ];
    for (const e of errors) {
      expect(e.status).toBeGreaterThanOrEqual(400);
      expect(validate('GraphAPIError', e.json)).toEqual([]);
    }
  });

  it('status webhooks match WebhookPayload and Statuses (sent, delivered, read, failed)', async () => {
    const wamid = (await sendMessage(base, orderConfirmation())).json['messages'][0].id as string;
    const failedId = (await sendMessage(base, orderConfirmation('0912345678'))).json['messages'][0]
      .id as string;
    await receiver.waitFor(
      () =>
        receiver.statuses().filter((s) => s.id === wamid).length >= 3 &&
        receiver.statuses().some((s) => s.id === failedId),
      10_000,
    );
    const statusHooks = receiver.received.filter((r) => r.body.entry[0]?.changes[0]?.value.statuses);
    const seen = new Set<string>();
    for (const hook of statusHooks) {
      expect(validate('WebhookPayload', hook.body)).toEqual([]);
      const value = hook.body.entry[0]?.changes[0]?.value;
      expect(validate('StatusMessageValue', value)).toEqual([]);
      for (const s of value?.statuses ?? []) {
        expect(validate('Statuses', s)).toEqual([]);
        seen.add(s.status);
      }
    }
    expect([...seen].sort()).toEqual(['delivered', 'failed', 'read', 'sent']);
  });

  it('inbound webhooks match the inbound message schemas of every type', async () => {
    const schemaFor: Record<string, string> = {
      text: 'TextMessage_2',
      reaction: 'ReactionMessage_1',
      audio: 'AudioMessage_1',
      document: 'DocumentMessage_1',
      image: 'ImageMessage_1',
      sticker: 'StickerMessage_1',
      video: 'VideoMessage_1',
      location: 'LocationMessage_1',
      contacts: 'ContactSharingMessage',
      unsupported: 'UnsupportedMessage',
      button: 'ButtonMessage',
      interactive: 'InteractiveMessageReply',
      order: 'OrderMessage',
      system: 'SystemMessage',
    };
    const samples: Record<string, Record<string, unknown>> = {
      text: { text: { body: 'hi' } },
      reaction: { reaction: { message_id: 'wamid.X', emoji: '👍' } },
      audio: { audio: {} },
      document: { document: { filename: 'a.pdf' } },
      image: { image: { caption: 'c' } },
      sticker: { sticker: {} },
      video: { video: {} },
      location: { location: { latitude: 1, longitude: 2, name: 'n', address: 'a' } },
      contacts: {
        contacts: [
          {
            name: { formatted_name: 'Ana Lee', first_name: 'Ana' },
            phones: [{ phone: '+1 650 555 1234', wa_id: '16505551234', type: 'CELL' }],
          },
        ],
      },
      unsupported: {},
      button: { button: { text: 'Yes', payload: 'YES' } },
      interactive: { interactive: { type: 'button_reply', button_reply: { id: 'y', title: 'Yes' } } },
      order: {
        order: {
          catalog_id: 'c1',
          text: 'note',
          product_items: [{ product_retailer_id: 's', quantity: 1, item_price: 9.5, currency: 'USD' }],
        },
      },
      system: { system: { body: 'changed', wa_id: '16505551234', type: 'user_changed_number' } },
    };
    const m = await startMock({ webhookUrl: receiver.url });
    try {
      // Button and list taps answer a business message: send one first so the mock fills the context.
      await sendMessage(m.base, orderConfirmation());
      const before = receiver.received.length;
      const ids = INBOUND_TYPES.map(
        (type) => m.app.whatsapp.sendInbound({ from: W.user, type, ...samples[type] }).wamid,
      );
      await receiver.waitFor(
        () =>
          receiver.received.filter((r) => r.body.entry[0]?.changes[0]?.value.messages).length >= ids.length,
        10_000,
      );
      const hooks = receiver.received
        .slice(before)
        .filter((r) => r.body.entry[0]?.changes[0]?.value.messages);
      for (const [i, type] of INBOUND_TYPES.entries()) {
        const hook = hooks.find((h) => h.body.entry[0]?.changes[0]?.value.messages?.[0]?.['id'] === ids[i]);
        const value = hook?.body.entry[0]?.changes[0]?.value;
        expect(
          validateInbound(type === 'system' ? 'IncomingMessageValueSystem' : 'IncomingMessageValueGeneral', {
            ...value,
            messages: [],
          }),
          type,
        ).toEqual([]);
        expect(validateInbound(schemaFor[type] as string, value?.messages?.[0]), type).toEqual([]);
      }
    } finally {
      await m.app.close();
    }
  });
});
