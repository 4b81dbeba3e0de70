import type { Rng } from '../../kernel/random.js';
import { webhookError } from './errors.js';
import { makeHex, makeNumericId } from './wamid.js';

/** Inbound message types a customer can send (CONTRACT §3). */
export const INBOUND_TYPES = [
  'text',
  'image',
  'video',
  'audio',
  'document',
  'sticker',
  'location',
  'contacts',
  'reaction',
  'button',
  'interactive',
  'order',
  'system',
  'unsupported',
] as const;

/** A bad `POST /_mock/inbound` body: the admin API answers 400 with the path and message. */
export class InboundError extends Error {
  override readonly name = 'InboundError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Makes the media of an inbound media message that came without an id (the mock's media store):
 * returns the id the webhook carries and the base64 sha256 of the content that id downloads.
 */
export type InboundMediaResolver = (
  kind: 'image' | 'video' | 'audio' | 'document' | 'sticker',
  mimeType: string,
) => { id: string; sha256: string };

/** An inbound message ready for the webhook, plus what the journal records. */
export interface InboundMessage {
  waId: string;
  type: string;
  /** The `messages[0]` object of the webhook (without id/timestamp, which the app fills in). */
  message: Record<string, unknown>;
  /** Profile name for `contacts[]`; undefined for system messages (Meta sends no contacts with them). */
  profileName?: string;
  /** Text for the journal: body, caption, button text or reply title. */
  text?: string;
}

const MIME: Record<string, string> = {
  image: 'image/jpeg',
  video: 'video/mp4',
  audio: 'audio/ogg; codecs=opus',
  document: 'application/pdf',
  sticker: 'image/webp',
};
const TYPE_SET: ReadonlySet<string> = new Set(INBOUND_TYPES);
const TOP_KEYS = new Set(['from', 'type', 'profile', 'context', 'referral', ...INBOUND_TYPES]);
const FIRST_NAMES = ['Maria', 'Wei', 'Aisha', 'Carlos', 'Priya', 'Omar', 'Sofia', 'Kenji', 'Fatima', 'Lucas'];

function obj(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v))
    throw new InboundError(path, `${path} must be an object`);
  return v as Record<string, unknown>;
}

function str(v: unknown, path: string, maxLength = 4096): string {
  if (typeof v !== 'string') throw new InboundError(path, `${path} must be a string`);
  if (v.length > maxLength) throw new InboundError(path, `${path} is longer than ${maxLength} characters`);
  return v;
}

function num(v: unknown, path: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new InboundError(path, `${path} must be a number from ${min} to ${max}`);
  }
  return v;
}

/** A stable display name for a number that came without one. */
function defaultName(waId: string): string {
  let h = 0;
  for (let i = 0; i < waId.length; i++) h = (h * 31 + waId.charCodeAt(i)) >>> 0;
  return `${FIRST_NAMES[h % FIRST_NAMES.length]} ${waId.slice(-4)}`;
}

/**
 * Checks an inbound body (`from`, `type` and that type's object, shaped like Meta's inbound message)
 * and completes it: media get an id, mime_type and sha256 when missing (from `makeMedia`, which makes
 * content the id resolves to; without it, made-up values), `unsupported` gets its 131051 error,
 * `contacts` gets the profile. Throws InboundError naming the bad field.
 */
export function buildInbound(input: unknown, rng: Rng, makeMedia?: InboundMediaResolver): InboundMessage {
  const body = obj(input, 'body');
  for (const k of Object.keys(body)) {
    if (!TOP_KEYS.has(k)) throw new InboundError(k, `unknown field ${JSON.stringify(k.slice(0, 40))}`);
  }
  const fromRaw = str(body['from'], 'from', 32).replace(/^\+/, '');
  if (!/^\d{6,15}$/.test(fromRaw)) throw new InboundError('from', 'from must be a wa_id: 6 to 15 digits');
  const type = str(body['type'], 'type', 32);
  if (!TYPE_SET.has(type)) {
    throw new InboundError('type', `type must be one of ${INBOUND_TYPES.join(', ')}`);
  }
  const message: Record<string, unknown> = { from: fromRaw };
  if (body['context'] !== undefined) {
    const ctx = obj(body['context'], 'context');
    const out: Record<string, unknown> = {};
    if (ctx['from'] !== undefined) out['from'] = str(ctx['from'], 'context.from', 32);
    out['id'] = str(ctx['id'], 'context.id', 512);
    message['context'] = out;
  }
  let text: string | undefined;
  const payload = body[type];
  switch (type) {
    case 'text': {
      const t = obj(payload, 'text');
      text = str(t['body'], 'text.body', 4096);
      message['text'] = { body: text };
      break;
    }
    case 'image':
    case 'video':
    case 'audio':
    case 'document':
    case 'sticker': {
      const m = payload === undefined ? {} : obj(payload, type);
      const mimeType =
        m['mime_type'] === undefined ? (MIME[type] as string) : str(m['mime_type'], `${type}.mime_type`, 100);
      let made: { id: string; sha256: string } | undefined;
      if (m['id'] === undefined && makeMedia) {
        if (m['sha256'] !== undefined) {
          throw new InboundError(
            `${type}.sha256`,
            `${type}.sha256 is only taken together with ${type}.id: media made for the message carry the hash of their own content`,
          );
        }
        made = makeMedia(type, mimeType);
      }
      const media: Record<string, unknown> = {
        mime_type: mimeType,
        sha256:
          made?.sha256 ??
          (m['sha256'] === undefined
            ? Buffer.from(makeHex(rng, 64), 'hex').toString('base64')
            : str(m['sha256'], `${type}.sha256`, 128)),
        id: made?.id ?? (m['id'] === undefined ? makeNumericId(rng, 16) : str(m['id'], `${type}.id`, 64)),
      };
      if (m['caption'] !== undefined && type !== 'audio' && type !== 'sticker') {
        text = str(m['caption'], `${type}.caption`, 1024);
        media['caption'] = text;
      }
      if (m['filename'] !== undefined && type === 'document')
        media['filename'] = str(m['filename'], 'document.filename', 240);
      // Meta always says whether an audio is a voice note.
      if (type === 'audio') media['voice'] = m['voice'] === true;
      if (type === 'sticker') media['animated'] = m['animated'] === true;
      message[type] = media;
      break;
    }
    case 'location': {
      const l = obj(payload, 'location');
      const loc: Record<string, unknown> = {
        latitude: num(l['latitude'], 'location.latitude', -90, 90),
        longitude: num(l['longitude'], 'location.longitude', -180, 180),
      };
      for (const k of ['name', 'address', 'url']) {
        if (l[k] !== undefined) loc[k] = str(l[k], `location.${k}`, 1000);
      }
      message['location'] = loc;
      break;
    }
    case 'contacts': {
      if (!Array.isArray(payload) || payload.length === 0 || payload.length > 20) {
        throw new InboundError('contacts', 'contacts must be an array of 1 to 20 contact cards');
      }
      message['contacts'] = payload.map((c, i) => {
        const card = obj(c, `contacts[${i}]`);
        const name = obj(card['name'], `contacts[${i}].name`);
        str(name['formatted_name'], `contacts[${i}].name.formatted_name`, 1000);
        return card;
      });
      break;
    }
    case 'reaction': {
      const r = obj(payload, 'reaction');
      message['reaction'] = {
        message_id: str(r['message_id'], 'reaction.message_id', 512),
        emoji: str(r['emoji'] ?? '', 'reaction.emoji', 16),
      };
      text = (message['reaction'] as { emoji: string }).emoji;
      break;
    }
    case 'button': {
      const b = obj(payload, 'button');
      text = str(b['text'], 'button.text', 256);
      message['button'] = { payload: str(b['payload'] ?? text, 'button.payload', 1000), text };
      break;
    }
    case 'interactive': {
      const ia = obj(payload, 'interactive');
      const itype = str(ia['type'], 'interactive.type', 32);
      if (itype === 'button_reply') {
        const r = obj(ia['button_reply'], 'interactive.button_reply');
        text = str(r['title'], 'interactive.button_reply.title', 20);
        message['interactive'] = {
          type: itype,
          button_reply: { id: str(r['id'], 'interactive.button_reply.id', 256), title: text },
        };
      } else if (itype === 'list_reply') {
        const r = obj(ia['list_reply'], 'interactive.list_reply');
        text = str(r['title'], 'interactive.list_reply.title', 24);
        const reply: Record<string, unknown> = {
          id: str(r['id'], 'interactive.list_reply.id', 200),
          title: text,
        };
        if (r['description'] !== undefined)
          reply['description'] = str(r['description'], 'interactive.list_reply.description', 72);
        message['interactive'] = { type: itype, list_reply: reply };
      } else if (itype === 'nfm_reply') {
        const r = obj(ia['nfm_reply'], 'interactive.nfm_reply');
        message['interactive'] = {
          type: itype,
          nfm_reply: {
            name: r['name'] === undefined ? 'flow' : str(r['name'], 'interactive.nfm_reply.name', 100),
            body: r['body'] === undefined ? 'Sent' : str(r['body'], 'interactive.nfm_reply.body', 1000),
            response_json: str(r['response_json'] ?? '{}', 'interactive.nfm_reply.response_json', 100_000),
          },
        };
      } else {
        throw new InboundError(
          'interactive.type',
          'interactive.type must be button_reply, list_reply or nfm_reply',
        );
      }
      break;
    }
    case 'order': {
      const o = obj(payload, 'order');
      const items = o['product_items'];
      if (!Array.isArray(items) || items.length === 0) {
        throw new InboundError('order.product_items', 'order.product_items must be a non-empty array');
      }
      message['order'] = {
        catalog_id: str(o['catalog_id'], 'order.catalog_id', 64),
        ...(o['text'] === undefined ? {} : { text: str(o['text'], 'order.text', 1000) }),
        product_items: items.map((it, i) => {
          const item = obj(it, `order.product_items[${i}]`);
          return {
            product_retailer_id: str(
              item['product_retailer_id'],
              `order.product_items[${i}].product_retailer_id`,
              100,
            ),
            quantity: num(item['quantity'], `order.product_items[${i}].quantity`, 1, 10_000),
            item_price: num(item['item_price'], `order.product_items[${i}].item_price`, 0, 1e9),
            currency: str(item['currency'], `order.product_items[${i}].currency`, 3),
          };
        }),
      };
      text = typeof o['text'] === 'string' ? o['text'] : undefined;
      break;
    }
    case 'system': {
      const s = obj(payload, 'system');
      text = str(s['body'], 'system.body', 1000);
      const sys: Record<string, unknown> = {
        body: text,
        type: str(s['type'] ?? 'user_changed_number', 'system.type', 64),
      };
      if (s['wa_id'] !== undefined) sys['wa_id'] = str(s['wa_id'], 'system.wa_id', 32);
      if (s['new_wa_id'] !== undefined) sys['new_wa_id'] = str(s['new_wa_id'], 'system.new_wa_id', 32);
      message['system'] = sys;
      break;
    }
    default: {
      // 'unsupported': Meta relays the type it could not show, with a 131051 error.
      message['errors'] = [
        {
          ...webhookError(131051, 'Message type is currently not supported.'),
          title: 'Message type unknown',
          message: 'Message type unknown',
        },
      ];
      break;
    }
  }
  if (body['referral'] !== undefined) message['referral'] = obj(body['referral'], 'referral');
  const out: InboundMessage = { waId: fromRaw, type, message };
  if (type !== 'system') {
    const profile = body['profile'] === undefined ? undefined : obj(body['profile'], 'profile');
    out.profileName = profile ? str(profile['name'], 'profile.name', 256) : defaultName(fromRaw);
  }
  if (text !== undefined) out.text = text;
  return out;
}
