import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CRM_PLAN_LIMIT_PER_MIN, parseScenarioText } from '../../../src/config/index.js';
import type { Scenario } from '../../../src/config/schema.js';

// Every shipped scenario must be passable by a correct connector within the CRM limit it sets.
// CRM requests per flow of the reference connector, measured with the CRM mock's /metrics
// (crm_http_requests_total) over a 200-send template run and a 200-message / 60-conversation sync
// run (dirty share 0.35):
// - a template send: conversation + message + 2.6 status write-backs on average = 4.6; taken as 4.7;
// - a customer message: message + tags (0.43) + handover (0.04) + auto-reply and its statuses
//   (≈ 0.25) ≈ 1.75, plus contact + conversation = 2 once per conversation;
// - mixed traffic (fault recovery, capacity, soak): the worse of the two, 4.7 per flow.
const PER_TEMPLATE_SEND = 4.7;
const PER_CUSTOMER_MESSAGE = 1.75;
const PER_CONVERSATION = 2;
const PER_MIXED_FLOW = 4.7;
/** Headroom: a scenario may plan at most this share of the CRM limit (the connector paces below it). */
const MAX_SHARE_OF_LIMIT = 0.8;

// The HubSpot dialect (mocks.crm.dialect: hubspot), measured the same way by tallying the CRM
// mock's api.request entries over a 200-send template run and two 200-message sync runs with 60
// and 150 conversations (dirty share 0.35): 653, 560 and 783 calls, 0, 60 and 150 of them searches.
// - a template send: communication + 2.3 status updates = 3.27; taken as 3.3;
// - a customer message: 2.06 (communication, tags, handover, auto-reply); taken as 2.1;
// - a conversation: 2.48 once (the search by phone, then the contact); taken as 2.5, 1 search;
// - mixed traffic: a customer message that opens its conversation, 2.1 + 2.5 = 4.6, 1 search.
// HubSpot counts calls per rolling 10 s and searches per second: both are compared per minute.
const HS_PER_TEMPLATE_SEND = 3.3;
const HS_PER_CUSTOMER_MESSAGE = 2.1;
const HS_PER_CONVERSATION = 2.5;
const HS_PER_MIXED_FLOW = 4.6;

/** Peak HubSpot calls and searches per minute a correct connector needs for one suite. */
function peakHubSpotPerMin(
  suite: Scenario['suites'][number],
): { perMin: number; searchesPerMin: number; why: string } | null {
  const mixed = (ratePerMin: number, what: string) => ({
    perMin: ratePerMin * HS_PER_MIXED_FLOW,
    searchesPerMin: ratePerMin,
    why: `${what} × ${HS_PER_MIXED_FLOW}`,
  });
  switch (suite.kind) {
    case 'template-delivery':
      return {
        perMin: suite.ratePerMin * HS_PER_TEMPLATE_SEND,
        searchesPerMin: 0,
        why: `${suite.ratePerMin}/min × ${HS_PER_TEMPLATE_SEND}`,
      };
    case 'conversation-sync': {
      const minutes = suite.messages / suite.ratePerMin;
      return {
        perMin:
          suite.ratePerMin * HS_PER_CUSTOMER_MESSAGE + (suite.conversations * HS_PER_CONVERSATION) / minutes,
        searchesPerMin: suite.conversations / minutes,
        why: `${suite.ratePerMin}/min × ${HS_PER_CUSTOMER_MESSAGE} + ${suite.conversations} × ${HS_PER_CONVERSATION} over ${minutes.toFixed(2)} min`,
      };
    }
    case 'fault-recovery':
      return mixed(suite.ratePerMin, `${suite.ratePerMin}/min`);
    case 'capacity':
      return mixed(suite.maxPerMin, `max ${suite.maxPerMin}/min`);
    case 'soak': {
      const peak = suite.averageRatePerMin * suite.peakFactor;
      return mixed(peak, `peak ${peak.toFixed(0)}/min`);
    }
    default:
      return null;
  }
}

/** Peak CRM requests per minute a correct connector needs for one suite, with the arithmetic. */
function peakCrmPerMin(suite: Scenario['suites'][number]): { perMin: number; why: string } | null {
  switch (suite.kind) {
    case 'template-delivery':
      return {
        perMin: suite.ratePerMin * PER_TEMPLATE_SEND,
        why: `${suite.ratePerMin}/min × ${PER_TEMPLATE_SEND}`,
      };
    case 'conversation-sync': {
      // Conversations open while the messages arrive: spread their requests over the suite's run time.
      const minutes = suite.messages / suite.ratePerMin;
      const perMin =
        suite.ratePerMin * PER_CUSTOMER_MESSAGE + (suite.conversations * PER_CONVERSATION) / minutes;
      return {
        perMin,
        why: `${suite.ratePerMin}/min × ${PER_CUSTOMER_MESSAGE} + ${suite.conversations} × 2 over ${minutes.toFixed(2)} min`,
      };
    }
    case 'fault-recovery':
      return {
        perMin: suite.ratePerMin * PER_MIXED_FLOW,
        why: `${suite.ratePerMin}/min × ${PER_MIXED_FLOW}`,
      };
    case 'capacity':
      return {
        perMin: suite.maxPerMin * PER_MIXED_FLOW,
        why: `max ${suite.maxPerMin}/min × ${PER_MIXED_FLOW}`,
      };
    case 'soak': {
      const peak = suite.averageRatePerMin * suite.peakFactor;
      return { perMin: peak * PER_MIXED_FLOW, why: `peak ${peak.toFixed(0)}/min × ${PER_MIXED_FLOW}` };
    }
    default:
      return null;
  }
}

const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml') && f !== 'acceptance.yaml');

describe('shipped scenarios fit the CRM limits they set', () => {
  it('finds the shipped scenarios', () => {
    expect(files).toEqual(
      expect.arrayContaining([
        'default.yaml',
        'default-hubspot.yaml',
        'template-delivery.yaml',
        'step-ramp.yaml',
      ]),
    );
  });

  for (const file of files) {
    it(`${file}: every suite's CRM requests/min stay within ${MAX_SHARE_OF_LIMIT * 100} % of the plan limit`, () => {
      const parsed = parseScenarioText(readFileSync(join('scenarios', file), 'utf8'), file);
      if (!parsed.ok) throw new Error(`${file} does not parse: ${JSON.stringify(parsed.issues)}`);
      const crm = parsed.value.mocks.crm;
      if (crm.dialect === 'hubspot') {
        const limit = crm.hubspot.perTenSeconds * 6;
        const searchLimit = crm.hubspot.searchPerSecond * 60;
        for (const suite of parsed.value.suites) {
          const need = peakHubSpotPerMin(suite);
          if (!need) continue;
          const what = `${file} ${suite.kind}: ${need.why} = ${need.perMin.toFixed(0)}/min`;
          expect(
            need.perMin,
            `${what} vs ${limit}/min (${crm.hubspot.perTenSeconds} per 10 s)`,
          ).toBeLessThanOrEqual(limit * MAX_SHARE_OF_LIMIT);
          expect(
            need.searchesPerMin,
            `${file} ${suite.kind}: ${need.searchesPerMin.toFixed(0)} searches/min vs ${searchLimit}/min`,
          ).toBeLessThanOrEqual(searchLimit * MAX_SHARE_OF_LIMIT);
        }
        return;
      }
      const limit = crm.ratePerMin;
      for (const suite of parsed.value.suites) {
        const need = peakCrmPerMin(suite);
        if (!need) continue;
        expect(
          need.perMin,
          `${file} ${suite.kind}: ${need.why} = ${need.perMin.toFixed(0)}/min vs limit ${limit}/min`,
        ).toBeLessThanOrEqual(limit * MAX_SHARE_OF_LIMIT);
      }
    });
  }

  it('vendor.yaml keeps the real plan limit and no reference-connector-only key', () => {
    expect(files).toContain('vendor.yaml');
    const parsed = parseScenarioText(readFileSync(join('scenarios', 'vendor.yaml'), 'utf8'), 'vendor.yaml');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    const { crm } = parsed.value.mocks;
    expect(crm.ratePerMin).toBe(CRM_PLAN_LIMIT_PER_MIN[crm.plan]);
    expect(parsed.value.connector).toMatchObject({ faults: [], args: [] });
    // Every functional suite of the acceptance table is played (capacity is left to step-ramp.yaml).
    expect(parsed.value.suites.map((s) => s.kind).sort()).toEqual(
      ['consistency-audit', 'conversation-sync', 'fault-recovery', 'soak', 'template-delivery'].sort(),
    );
  });

  it('would have caught template-delivery at 600/min on the enterprise plan', () => {
    expect(600 * PER_TEMPLATE_SEND).toBeGreaterThan(1500 * MAX_SHARE_OF_LIMIT);
  });

  it("would have caught default-hubspot's suites at HubSpot's real enterprise limits (190 per 10 s, 5 searches/s)", () => {
    const parsed = parseScenarioText(readFileSync(join('scenarios', 'default-hubspot.yaml'), 'utf8'), 'x');
    if (!parsed.ok) throw new Error('default-hubspot.yaml does not parse');
    const over = parsed.value.suites.filter((suite) => {
      const need = peakHubSpotPerMin(suite);
      return (
        need !== null &&
        (need.perMin > 190 * 6 * MAX_SHARE_OF_LIMIT || need.searchesPerMin > 5 * 60 * MAX_SHARE_OF_LIMIT)
      );
    });
    expect(over.map((s) => s.kind)).toEqual(
      expect.arrayContaining(['template-delivery', 'conversation-sync', 'capacity']),
    );
  });
});
