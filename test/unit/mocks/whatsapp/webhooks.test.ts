import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { webhookError } from '../../../../mocks/whatsapp/errors.js';
import { pricingFor } from '../../../../mocks/whatsapp/statuses.js';
import { type StatusObject, statusJson, statusWebhook } from '../../../../mocks/whatsapp/webhooks.js';

describe('status webhook bodies', () => {
  it('statusJson writes exactly what JSON.stringify writes, for any status', () => {
    const status = fc.record(
      {
        id: fc.oneof(fc.stringMatching(/^wamid\.[A-Za-z0-9+/=]{10,60}$/), fc.string()),
        status: fc.constantFrom('sent', 'delivered', 'read', 'failed'),
        timestamp: fc.oneof(fc.stringMatching(/^\d{10}$/), fc.string()),
        recipient_id: fc.oneof(fc.stringMatching(/^\d{8,15}$/), fc.string()),
        biz_opaque_callback_data: fc.string(),
        conversation: fc.record(
          {
            id: fc.stringMatching(/^[0-9a-f]{32}$/),
            expiration_timestamp: fc.stringMatching(/^\d{10}$/),
            origin: fc.record({ type: fc.constantFrom('utility', 'marketing', 'service') }),
          },
          { requiredKeys: ['id', 'origin'] },
        ),
        pricing: fc.constantFrom(
          pricingFor('UTILITY', true),
          pricingFor('MARKETING', false),
          pricingFor(undefined, true),
        ),
        errors: fc.constant([webhookError(131026)]),
      },
      { requiredKeys: ['id', 'status', 'timestamp', 'recipient_id'] },
    );
    fc.assert(
      fc.property(status, (s) => {
        expect(statusJson(s as StatusObject)).toBe(JSON.stringify(s));
      }),
      { numRuns: 500, seed: 42 },
    );
  });

  it('wraps statuses in the messages envelope with metadata', () => {
    const body = statusWebhook({ wabaId: 'W', phoneNumberId: 'P', displayPhoneNumber: 'D' }, []);
    expect(body).toEqual({
      object: 'whatsapp_business_account',
      entry: [
        {
          id: 'W',
          changes: [
            {
              value: {
                messaging_product: 'whatsapp',
                metadata: { display_phone_number: 'D', phone_number_id: 'P' },
                statuses: [],
              },
              field: 'messages',
            },
          ],
        },
      ],
    });
  });
});
