import { describe, expect, it } from 'vitest';
import { describeWiring } from '../../../src/report/wiring.js';

describe('describeWiring', () => {
  it('states the wiring, the refusals by code (most first) and the CRM limit', () => {
    const lines = describeWiring({
      whatsappBaseUrl: 'http://127.0.0.1:4010',
      crmBaseUrl: 'http://127.0.0.1:4020/api/v1',
      whatsappWebhookPath: '/webhooks/whatsapp',
      crmWebhookPath: '/webhooks/crm',
      credentials: 'custom',
      refusedCalls: { whatsapp: {}, crm: { '401 UNAUTHORIZED': 1, '429 RATE_LIMITED': 7 } },
      crmPlan: 'standard',
      crmRateLimitPerMin: 300,
    });
    expect(lines).toEqual([
      'wiring: WhatsApp mock http://127.0.0.1:4010, CRM mock http://127.0.0.1:4020/api/v1; webhooks /webhooks/whatsapp and /webhooks/crm; credentials: custom',
      'calls the mocks refused: WhatsApp none; CRM 429 RATE_LIMITED ×7, 401 UNAUTHORIZED ×1',
      'CRM rate limit enforced: 300/min (standard plan)',
    ]);
  });
});
