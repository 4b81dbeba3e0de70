import { type HttpAnswer, requestJson, TransportError, transportFailure } from './http.js';
import { type Failure, isRetryableWhatsApp } from './retry.js';
import type { TemplateComponent } from './templates.js';

/** Where and as whom the connector sends. */
export interface WhatsAppClientOptions {
  baseUrl: string;
  apiVersion: string;
  phoneNumberId: string;
  accessToken: string;
  timeoutMs: number;
}

/** A send accepted by WhatsApp (its wamid), or why not. */
export type SendResult = { ok: true; wamid: string } | { ok: false; failure: Failure };

/** The Graph API error envelope, as far as the connector reads it. */
interface GraphError {
  error?: { code?: unknown; message?: unknown; error_data?: { details?: unknown } };
}

/** Turns a non-2xx Graph answer into a {@link Failure}. */
export function graphFailure(answer: Pick<HttpAnswer, 'status' | 'json'>): Failure {
  const err = (answer.json as GraphError | undefined)?.error;
  const code = typeof err?.code === 'number' ? err.code : undefined;
  const message = typeof err?.message === 'string' ? err.message : `HTTP ${answer.status}`;
  const details = typeof err?.error_data?.details === 'string' ? `: ${err.error_data.details}` : '';
  return {
    side: 'whatsapp',
    kind: 'http',
    httpStatus: answer.status,
    code,
    message: message + details,
    retryable: isRetryableWhatsApp(answer.status, code),
  };
}

/** The sends the engine makes (an interface, so unit tests can stand in for it). */
export interface WhatsAppApi {
  sendTemplate(
    to: string,
    name: string,
    language: string,
    components: TemplateComponent[],
    bizOpaque?: string,
  ): Promise<SendResult>;
  sendText(to: string, body: string, replyTo?: string, bizOpaque?: string): Promise<SendResult>;
}

/** The Cloud API's `POST /{version}/{phone-number-id}/messages`, one recipient per call. */
export class WhatsAppClient implements WhatsAppApi {
  private readonly url: string;

  constructor(private readonly opts: WhatsAppClientOptions) {
    this.url = `${opts.baseUrl}/${opts.apiVersion}/${encodeURIComponent(opts.phoneNumberId)}/messages`;
  }

  /** Sends an approved template; `bizOpaque` comes back in the status webhooks. */
  sendTemplate(
    to: string,
    name: string,
    language: string,
    components: TemplateComponent[],
    bizOpaque?: string,
  ): Promise<SendResult> {
    const template: Record<string, unknown> = { name, language: { code: language } };
    if (components.length > 0) template['components'] = components;
    return this.send({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'template',
      template,
      ...(bizOpaque !== undefined ? { biz_opaque_callback_data: bizOpaque } : {}),
    });
  }

  /** Sends a free-form text (only valid inside the 24 h customer-service window). */
  sendText(to: string, body: string, replyTo?: string, bizOpaque?: string): Promise<SendResult> {
    return this.send({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to,
      type: 'text',
      text: { body, preview_url: false },
      ...(replyTo !== undefined ? { context: { message_id: replyTo } } : {}),
      ...(bizOpaque !== undefined ? { biz_opaque_callback_data: bizOpaque } : {}),
    });
  }

  /** POSTs one message payload. */
  async send(payload: Record<string, unknown>): Promise<SendResult> {
    let answer: HttpAnswer;
    try {
      answer = await requestJson(this.url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.opts.accessToken}` },
        body: payload,
        timeoutMs: this.opts.timeoutMs,
      });
    } catch (err) {
      if (err instanceof TransportError) return { ok: false, failure: transportFailure('whatsapp', err) };
      throw err;
    }
    if (answer.status >= 200 && answer.status < 300) {
      const id = (answer.json as { messages?: Array<{ id?: unknown }> } | undefined)?.messages?.[0]?.id;
      if (typeof id === 'string' && id !== '') return { ok: true, wamid: id };
      return {
        ok: false,
        failure: {
          side: 'whatsapp',
          kind: 'http',
          httpStatus: answer.status,
          message: 'accepted without a message id',
          retryable: false,
        },
      };
    }
    return { ok: false, failure: graphFailure(answer) };
  }
}
