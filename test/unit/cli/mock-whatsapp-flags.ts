import { MOCK_WHATSAPP_DEFAULTS, type resolveMockWhatsAppFlags } from '../../../src/cli/mock-whatsapp.js';

const d = MOCK_WHATSAPP_DEFAULTS;

/** `wacrm mock whatsapp`'s parsed flags as commander hands them over: the defaults, then `over`. */
export const rawWhatsAppFlags = (over: Record<string, unknown> = {}) =>
  ({
    host: d.host,
    port: String(d.port),
    accessToken: d.accessToken,
    appSecret: d.appSecret,
    verifyToken: d.verifyToken,
    phoneNumberId: d.phoneNumberId,
    displayPhoneNumber: d.displayPhoneNumber,
    wabaId: d.wabaId,
    apiVersion: d.apiVersion,
    fault: [] as string[],
    errorProfile: d.errorProfile,
    throughput: String(d.throughput),
    seed: String(d.seed),
    messagingTier: d.messagingTier,
    windowErrorMode: d.windowErrorMode,
    ...over,
  }) as Parameters<typeof resolveMockWhatsAppFlags>[0];
