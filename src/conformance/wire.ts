import type { Rng } from '../../kernel/random.js';
import { signBody } from '../../kernel/signing.js';
import { metaJson } from '../../mocks/shared/meta-json.js';
import { webhookError } from '../../mocks/whatsapp/errors.js';
import { makeWamid } from '../../mocks/whatsapp/wamid.js';
import {
  type EnvelopeConfig,
  inboundWebhook,
  type StatusObject,
  statusWebhook,
} from '../../mocks/whatsapp/webhooks.js';
import type { HttpClient, HttpOutcome } from './http.js';

/** Meta's webhook serialiser (the mock's own), re-exported for the kit's cases. */
export { metaJson };

/** One inbound message the kit built: its id and the exact bytes of its webhook. */
export interface BuiltInbound {
  wamid: string;
  raw: string;
}

/** A status the kit delivers for a message the connector sent. */
export interface StatusSpec {
  wamid: string;
  status: StatusObject['status'];
  /** The customer's wa_id. */
  recipientId: string;
  timestampSec: number;
  /** For `failed`: the WhatsApp error code (e.g. 131047, 131026). */
  errorCode?: number;
}

/** How to sign a webhook: correctly (default), not at all, or with this exact header value. */
export type Signing = { kind: 'valid' } | { kind: 'none' } | { kind: 'header'; value: string };

/**
 * The kit acting as WhatsApp towards the connector: builds webhooks with the mock's own envelope
 * builders (so they have exactly the shape the mock and Meta send), signs them with the app secret
 * and POSTs them to the connector's WhatsApp webhook, timing each acknowledgement.
 */
export class WhatsAppWire {
  constructor(
    private readonly opts: {
      http: HttpClient;
      url: string;
      appSecret: string;
      env: EnvelopeConfig;
      rng: Rng;
      epochMs: () => number;
    },
  ) {}

  /** The envelope (WABA id, phone number id) the webhooks carry. */
  get env(): EnvelopeConfig {
    return this.opts.env;
  }

  /** A fresh wamid for a message from `waId`. */
  newWamid(waId: string, direction: 'inbound' | 'outbound' = 'inbound'): string {
    return makeWamid(this.opts.rng, waId, direction);
  }

  /** The current time in Unix seconds, as webhook `timestamp`s carry it. */
  nowSec(): number {
    return Math.floor(this.opts.epochMs() / 1000);
  }

  /** An inbound text message webhook (`timestampSec` defaults to now). */
  inboundText(input: {
    waId: string;
    name: string;
    text: string;
    timestampSec?: number;
    wamid?: string;
  }): BuiltInbound {
    const wamid = input.wamid ?? this.newWamid(input.waId);
    const message = {
      from: input.waId,
      id: wamid,
      timestamp: String(input.timestampSec ?? this.nowSec()),
      type: 'text',
      text: { body: input.text },
    };
    return {
      wamid,
      raw: metaJson(inboundWebhook(this.opts.env, message, { name: input.name, waId: input.waId })),
    };
  }

  /** A status webhook carrying `specs` (one per webhook is what Meta usually sends). */
  statuses(specs: readonly StatusSpec[]): string {
    const objs: StatusObject[] = specs.map((s) => {
      const o: StatusObject = {
        id: s.wamid,
        status: s.status,
        timestamp: String(s.timestampSec),
        recipient_id: s.recipientId,
      };
      if (s.status === 'sent' || s.status === 'delivered') {
        o.pricing = { billable: true, pricing_model: 'PMP', type: 'regular', category: 'utility' };
      }
      if (s.status === 'failed') o.errors = [webhookError(s.errorCode ?? 131026)];
      return o;
    });
    return metaJson(statusWebhook(this.opts.env, objs));
  }

  /** `sha256=<hex>` of `raw` with the app secret (or with another secret). */
  sign(raw: string, secret = this.opts.appSecret): string {
    return signBody(secret, raw);
  }

  /** POSTs `raw` to the connector's WhatsApp webhook, signed as `signing` says. */
  post(raw: string, signing: Signing = { kind: 'valid' }, timeoutMs = 10_000): Promise<HttpOutcome> {
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'user-agent': 'facebookexternalua',
    };
    if (signing.kind === 'valid') headers['x-hub-signature-256'] = this.sign(raw);
    else if (signing.kind === 'header') headers['x-hub-signature-256'] = signing.value;
    return this.opts.http.request({ method: 'POST', url: this.opts.url, headers, body: raw, timeoutMs });
  }
}
