/**
 * The mock of Meta's WhatsApp Cloud API: `buildWhatsAppMock(opts)` returns an unstarted fastify
 * instance decorated with `app.whatsapp` (see docs/whatsapp-mock.md).
 */
export { buildWhatsAppMock, type WhatsAppMockHandle } from './app.js';
export type { VerifyResult } from './core.js';
export { AUTO_STATUS_BATCH, DEFAULT_STATUS_BATCH_ABOVE_PER_SEC } from './core.js';
export {
  ERROR_CATALOGUE,
  type ErrorDef,
  type ErrorProfile,
  type ErrorReach,
  errorDef,
  type GraphErrorBody,
  httpStatusFor,
  type WebhookErrorObject,
} from './errors.js';
export { INBOUND_TYPES, InboundError } from './inbound.js';
export {
  DEFAULT_API_VERSION,
  DEFAULT_BUSINESS_IDS,
  DEFAULT_PAIR_RATE,
  DEFAULT_STATUS_TIMING,
  DEFAULT_TEMPLATE_APPROVAL,
  DEFAULT_THROUGHPUT_PER_SEC,
  type InboundInput,
  type MessagingTier,
  type StatusTiming,
  type WhatsAppMockOptions,
} from './options.js';
export type { RenderedButton, RenderedTemplate } from './render.js';
export { SEED_TEMPLATES } from './seed-templates.js';
export type {
  ParameterFormat,
  TemplateButton,
  TemplateCategory,
  TemplateComponent,
  TemplateDefinition,
  TemplateRecord,
  TemplateStatus,
} from './templates.js';
export { OUTBOUND_TYPES, type OutboundType } from './validate.js';
export { decodeWamid } from './wamid.js';
export type { ConversationObject, MessagesWebhook, PricingObject, StatusObject } from './webhooks.js';
