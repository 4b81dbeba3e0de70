import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { defaultConfig } from '../../../connector/config.js';
import { DEFAULT_BUSINESS_IDS } from '../../../mocks/whatsapp/index.js';

// One source for the default business number and account: the docs and the reference connector
// (which may not import the mocks) are held to the mock's constant.
describe('default phone-number id and WABA id', () => {
  it('docs/connector.md gives the mock default as the connector default', () => {
    const text = readFileSync('docs/connector.md', 'utf8');
    const row = text.split('\n').find((l) => l.includes('`--wa-phone-number-id`'));
    expect(row).toContain(`\`${DEFAULT_BUSINESS_IDS.phoneNumberId}\``);
    // No other 15-digit id passes for a phone number id anywhere on the page.
    for (const id of text.match(/\b1\d{14}\b/g) ?? []) {
      expect([DEFAULT_BUSINESS_IDS.phoneNumberId, DEFAULT_BUSINESS_IDS.wabaId]).toContain(id);
    }
  });

  it('docs/whatsapp-mock.md lists the same ids', () => {
    const text = readFileSync('docs/whatsapp-mock.md', 'utf8');
    expect(text).toContain(`phone number id \`${DEFAULT_BUSINESS_IDS.phoneNumberId}\``);
    expect(text).toContain(`(display \`${DEFAULT_BUSINESS_IDS.displayPhoneNumber}\`)`);
    expect(text).toContain(`WABA\n\`${DEFAULT_BUSINESS_IDS.wabaId}\``);
  });

  it('the reference connector defaults to the same phone number id', () => {
    expect(defaultConfig().waPhoneNumberId).toBe(DEFAULT_BUSINESS_IDS.phoneNumberId);
  });
});
