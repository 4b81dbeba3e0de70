import {
  at,
  isObject,
  mediaRef,
  onlyKeys,
  optBoolean,
  optObject,
  optString,
  reqArray,
  reqNumber,
  reqObject,
  reqString,
  reqUrl,
} from './check.js';
import { GraphError, invalidParam, invalidValue } from './errors.js';

/** Message types the send endpoint takes (`type` values). */
export const OUTBOUND_TYPES = [
  'text',
  'image',
  'audio',
  'video',
  'document',
  'sticker',
  'location',
  'contacts',
  'reaction',
  'interactive',
  'template',
] as const;
/** One of {@link OUTBOUND_TYPES}. */
export type OutboundType = (typeof OUTBOUND_TYPES)[number];

/** A message send after shape validation (templates are checked against the store later). */
export interface MessageSend {
  kind: 'message';
  to: string;
  type: OutboundType;
  /** The type's object as sent (the template object for templates). */
  content: Record<string, unknown> | unknown[];
  bizOpaque?: string;
  replyTo?: string;
  /** For reactions: the message reacted to. */
  reactionTo?: string;
  /** For interactive: button | list | cta_url. */
  interactiveType?: string;
  /** A short text for the journal (text body, caption, interactive body). */
  summary?: string;
}

/** A mark-as-read (optionally with a typing indicator). */
export interface ReadReceipt {
  kind: 'read';
  messageId: string;
  typing: boolean;
}

const TYPE_SET: ReadonlySet<string> = new Set(OUTBOUND_TYPES);
const BASE_KEYS = [
  'messaging_product',
  'recipient_type',
  'to',
  'type',
  'context',
  'biz_opaque_callback_data',
];
const TOP_KEYS: Record<string, ReadonlySet<string>> = Object.fromEntries(
  OUTBOUND_TYPES.map((t) => [t, new Set([...BASE_KEYS, t])]),
);
const READ_KEYS = new Set([
  'messaging_product',
  'status',
  'message_id',
  'typing_indicator',
  'recipient_type',
]);
const TEXT_KEYS = new Set(['body', 'preview_url']);
const MEDIA_KEYS: Record<string, ReadonlySet<string>> = {
  image: new Set(['id', 'link', 'caption']),
  video: new Set(['id', 'link', 'caption']),
  audio: new Set(['id', 'link', 'voice']),
  document: new Set(['id', 'link', 'caption', 'filename']),
  sticker: new Set(['id', 'link']),
};
const LOCATION_KEYS = new Set(['latitude', 'longitude', 'name', 'address']);
const REACTION_KEYS = new Set(['message_id', 'emoji']);
const CONTEXT_KEYS = new Set(['message_id']);
const CONTACT_KEYS = new Set(['addresses', 'birthday', 'emails', 'name', 'org', 'phones', 'urls']);
const CONTACT_NAME_KEYS = new Set([
  'formatted_name',
  'first_name',
  'last_name',
  'middle_name',
  'suffix',
  'prefix',
]);
const INTERACTIVE_KEYS = new Set(['type', 'header', 'body', 'footer', 'action']);
const INTERACTIVE_HEADER_KEYS = new Set(['type', 'text', 'image', 'video', 'document']);
const TEXT_ONLY_KEYS = new Set(['text']);
const REPLY_BUTTON_KEYS = new Set(['type', 'reply']);
const REPLY_KEYS = new Set(['id', 'title']);
const SECTION_KEYS = new Set(['title', 'rows']);
const ROW_KEYS = new Set(['id', 'title', 'description']);
const UNSUPPORTED_INTERACTIVE = new Set([
  'product',
  'product_list',
  'catalog_message',
  'flow',
  'call_permission_request',
  'location_request_message',
  'address_message',
]);

/**
 * Checks the shape of a `POST /messages` body the way Meta does (one recipient, required fields,
 * types, lengths, unknown keys) and returns what it asks for. Throws GraphError on the first problem.
 * Templates get only their outer shape checked here; the store lookup and parameter checks are in render.ts.
 */
export function validateSend(body: unknown): MessageSend | ReadReceipt {
  if (!isObject(body)) throw invalidParam('The request body must be a JSON object.');
  const mp = body['messaging_product'];
  if (mp === undefined || mp === null || mp === '') {
    throw new GraphError(100, {
      message: '(#100) The parameter messaging_product is required.',
      details: 'The parameter messaging_product is required.',
    });
  }
  if (mp !== 'whatsapp') throw invalidValue('Param messaging_product must be "whatsapp".');

  if (body['status'] !== undefined) return validateRead(body);

  const typeRaw = body['type'] ?? 'text';
  if (typeof typeRaw !== 'string') throw invalidParam('Param type must be a string.');
  if (!TYPE_SET.has(typeRaw)) {
    throw new GraphError(131051, {
      details: `Message type ${JSON.stringify(typeRaw.slice(0, 40))} is not supported.`,
    });
  }
  const type = typeRaw as OutboundType;
  onlyKeys(body, TOP_KEYS[type] as ReadonlySet<string>, 'message');

  const rt = body['recipient_type'];
  if (rt !== undefined && rt !== 'individual') {
    // Group messaging needs an eligible business; this number is not one, and Graph answers an
    // ineligible feature the way it answers any parameter value it does not accept.
    throw invalidParam(`Invalid value ${JSON.stringify(String(rt).slice(0, 40))} for param recipient_type.`);
  }
  const toRaw = body['to'];
  if (Array.isArray(toRaw))
    throw invalidParam('Param to must be a single phone number: one recipient per call.');
  const to = reqString(toRaw, 'to', 64);

  const out: MessageSend = { kind: 'message', to, type, content: {} };
  const biz = optString(body['biz_opaque_callback_data'], 'biz_opaque_callback_data', 512);
  if (biz !== undefined) out.bizOpaque = biz;
  const ctx = optObject(body['context'], 'context');
  if (ctx) {
    onlyKeys(ctx, CONTEXT_KEYS, 'context');
    out.replyTo = reqString(ctx['message_id'], "context['message_id']", 512);
  }

  switch (type) {
    case 'text': {
      const t = reqObject(body['text'], 'text');
      onlyKeys(t, TEXT_KEYS, 'text');
      out.summary = reqString(t['body'], "text['body']", 4096);
      optBoolean(t['preview_url'], "text['preview_url']");
      out.content = t;
      break;
    }
    case 'image':
    case 'audio':
    case 'video':
    case 'document':
    case 'sticker': {
      const m = reqObject(body[type], type);
      onlyKeys(m, MEDIA_KEYS[type] as ReadonlySet<string>, type);
      mediaRef(m, type);
      const caption = optString(m['caption'], at(type, 'caption'), 1024);
      if (caption !== undefined) out.summary = caption;
      optString(m['filename'], at(type, 'filename'), 240);
      optBoolean(m['voice'], at(type, 'voice'));
      out.content = m;
      break;
    }
    case 'location': {
      const l = reqObject(body['location'], 'location');
      onlyKeys(l, LOCATION_KEYS, 'location');
      reqNumber(l['latitude'], "location['latitude']", -90, 90);
      reqNumber(l['longitude'], "location['longitude']", -180, 180);
      optString(l['name'], "location['name']", 1000);
      optString(l['address'], "location['address']", 1000);
      out.content = l;
      break;
    }
    case 'contacts': {
      const list = reqArray(body['contacts'], 'contacts', 1, 5);
      list.forEach((c, i) => {
        const path = at('contacts', i);
        const obj = reqObject(c, path);
        onlyKeys(obj, CONTACT_KEYS, path);
        const name = reqObject(obj['name'], at(path, 'name'));
        onlyKeys(name, CONTACT_NAME_KEYS, at(path, 'name'));
        reqString(name['formatted_name'], at(at(path, 'name'), 'formatted_name'), 1000);
        for (const k of ['addresses', 'emails', 'phones', 'urls']) {
          if (obj[k] !== undefined && !Array.isArray(obj[k]))
            throw invalidParam(`Param ${at(path, k)} must be an array.`);
        }
      });
      out.content = list;
      break;
    }
    case 'reaction': {
      const r = reqObject(body['reaction'], 'reaction');
      onlyKeys(r, REACTION_KEYS, 'reaction');
      out.reactionTo = reqString(r['message_id'], "reaction['message_id']", 512);
      // An empty emoji removes a reaction; otherwise one emoji (a few code units with modifiers).
      const emoji = r['emoji'];
      if (emoji === undefined || emoji === null)
        throw new GraphError(131008, { details: "The parameter reaction['emoji'] is required." });
      if (typeof emoji !== 'string') throw invalidParam("Param reaction['emoji'] must be a string.");
      if (emoji.length > 16 || /[A-Za-z0-9]/.test(emoji))
        throw invalidValue("Param reaction['emoji'] must be a single emoji.");
      out.content = r;
      break;
    }
    case 'interactive': {
      const ia = reqObject(body['interactive'], 'interactive');
      validateInteractive(ia, out);
      out.content = ia;
      break;
    }
    case 'template': {
      out.content = reqObject(body['template'], 'template');
      break;
    }
  }
  return out;
}

function validateRead(body: Record<string, unknown>): ReadReceipt {
  onlyKeys(body, READ_KEYS, 'message');
  if (body['status'] !== 'read') throw invalidValue('Param status must be "read".');
  const messageId = reqString(body['message_id'], 'message_id', 512);
  if (!messageId.startsWith('wamid.'))
    throw invalidValue('Param message_id is not a valid WhatsApp message id.');
  let typing = false;
  const ti = optObject(body['typing_indicator'], 'typing_indicator');
  if (ti) {
    onlyKeys(ti, new Set(['type']), 'typing_indicator');
    if (ti['type'] !== 'text') throw invalidValue('Param typing_indicator[\'type\'] must be "text".');
    typing = true;
  }
  return { kind: 'read', messageId, typing };
}

function textObject(v: unknown, path: string, maxLength: number, required: boolean): string | undefined {
  if (!required && (v === undefined || v === null)) return undefined;
  const o = reqObject(v, path);
  onlyKeys(o, TEXT_ONLY_KEYS, path);
  return reqString(o['text'], at(path, 'text'), maxLength);
}

function validateInteractive(ia: Record<string, unknown>, out: MessageSend): void {
  onlyKeys(ia, INTERACTIVE_KEYS, 'interactive');
  const type = reqString(ia['type'], "interactive['type']", 40);
  if (UNSUPPORTED_INTERACTIVE.has(type)) {
    // Flows and catalogue messages need assets (a published flow, a catalogue) this number has none of.
    throw invalidParam(`Invalid value "${type.slice(0, 40)}" for param interactive['type'].`);
  }
  if (type !== 'button' && type !== 'list' && type !== 'cta_url') {
    throw invalidValue(`Param interactive['type'] has an unsupported value "${type.slice(0, 40)}".`);
  }
  out.interactiveType = type;
  const header = optObject(ia['header'], "interactive['header']");
  if (header) {
    onlyKeys(header, INTERACTIVE_HEADER_KEYS, "interactive['header']");
    const ht = reqString(header['type'], "interactive['header']['type']", 16);
    if (ht === 'text') {
      reqString(header['text'], "interactive['header']['text']", 60);
    } else if ((ht === 'image' || ht === 'video' || ht === 'document') && type !== 'list') {
      const m = reqObject(header[ht], at("interactive['header']", ht));
      onlyKeys(m, new Set(['id', 'link', 'filename']), at("interactive['header']", ht));
      mediaRef(m, at("interactive['header']", ht));
    } else {
      throw invalidValue(
        `Param interactive['header']['type'] "${ht.slice(0, 16)}" is not allowed for ${type} messages.`,
      );
    }
  }
  out.summary = textObject(ia['body'], "interactive['body']", 1024, true);
  textObject(ia['footer'], "interactive['footer']", 60, false);
  const action = reqObject(ia['action'], "interactive['action']");
  if (type === 'button') {
    onlyKeys(action, new Set(['buttons']), "interactive['action']");
    const buttons = reqArray(action['buttons'], "interactive['action']['buttons']", 1, 3);
    const ids = new Set<string>();
    const titles = new Set<string>();
    buttons.forEach((b, i) => {
      const path = at("interactive['action']['buttons']", i);
      const obj = reqObject(b, path);
      onlyKeys(obj, REPLY_BUTTON_KEYS, path);
      if (obj['type'] !== 'reply') throw invalidValue(`Param ${at(path, 'type')} must be "reply".`);
      const reply = reqObject(obj['reply'], at(path, 'reply'));
      onlyKeys(reply, REPLY_KEYS, at(path, 'reply'));
      const id = reqString(reply['id'], at(at(path, 'reply'), 'id'), 256);
      const title = reqString(reply['title'], at(at(path, 'reply'), 'title'), 20);
      if (ids.has(id)) throw invalidValue(`Button ids must be unique; "${id.slice(0, 64)}" is repeated.`);
      if (titles.has(title)) throw invalidValue(`Button titles must be unique; "${title}" is repeated.`);
      ids.add(id);
      titles.add(title);
    });
  } else if (type === 'list') {
    onlyKeys(action, new Set(['button', 'sections']), "interactive['action']");
    reqString(action['button'], "interactive['action']['button']", 20);
    const sections = reqArray(action['sections'], "interactive['action']['sections']", 1, 10);
    const rowIds = new Set<string>();
    let rowCount = 0;
    sections.forEach((s, i) => {
      const path = at("interactive['action']['sections']", i);
      const obj = reqObject(s, path);
      onlyKeys(obj, SECTION_KEYS, path);
      if (sections.length > 1) reqString(obj['title'], at(path, 'title'), 24);
      else optString(obj['title'], at(path, 'title'), 24);
      const rows = reqArray(obj['rows'], at(path, 'rows'), 1, 10);
      rows.forEach((r, j) => {
        const rp = at(at(path, 'rows'), j);
        const row = reqObject(r, rp);
        onlyKeys(row, ROW_KEYS, rp);
        const id = reqString(row['id'], at(rp, 'id'), 200);
        reqString(row['title'], at(rp, 'title'), 24);
        optString(row['description'], at(rp, 'description'), 72);
        if (rowIds.has(id)) throw invalidValue(`Row ids must be unique; "${id.slice(0, 64)}" is repeated.`);
        rowIds.add(id);
        rowCount++;
      });
    });
    if (rowCount > 10)
      throw invalidValue(`A list message may have at most 10 rows in total, got ${rowCount}.`);
  } else {
    onlyKeys(action, new Set(['name', 'parameters']), "interactive['action']");
    if (action['name'] !== 'cta_url')
      throw invalidValue("Param interactive['action']['name'] must be \"cta_url\".");
    const params = reqObject(action['parameters'], "interactive['action']['parameters']");
    onlyKeys(params, new Set(['display_text', 'url']), "interactive['action']['parameters']");
    reqString(params['display_text'], "interactive['action']['parameters']['display_text']", 20);
    reqUrl(params['url'], "interactive['action']['parameters']['url']");
  }
}
