import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parsePhoneNumberFromString } from 'libphonenumber-js/max';
import { describe, expect, it } from 'vitest';
import { parseScenarioText } from '../../../../src/config/load.js';
import type { PlannedInbound } from '../../../../src/flows/inbound-plan.js';
import type { PlannedContact, PlannedOutbound } from '../../../../src/flows/outbound-plan.js';
import type { Traffic } from '../../../../src/run/traffic.js';
import { playVirtualRun } from '../../../fixtures/golden/virtual-run.js';

const digits = (phone: string) => phone.replace(/\D/g, '');

/**
 * Plays every suite of a shipped scenario on a virtual clock with its registered runner and records,
 * per suite, every phone it planned: the contacts it creates in the CRM, the customers its CRM events
 * go to and the customers who write in.
 */
async function plannedPhones(
  file: string,
): Promise<Map<string, { outbound: Set<string>; inbound: Set<string> }>> {
  const path = join(import.meta.dirname, '../../../../scenarios', file);
  const parsed = parseScenarioText(readFileSync(path, 'utf8'), path);
  if (!parsed.ok) throw new Error(parsed.issues.map((i) => i.message).join('; '));
  const bySuite = new Map<string, { outbound: Set<string>; inbound: Set<string> }>();
  let current = { outbound: new Set<string>(), inbound: new Set<string>() };
  await playVirtualRun(parsed.value, {
    model: { capacityPerMin: 20_000, baseLatencyMs: 100 },
    onSuite: (index, kind) => {
      current = { outbound: new Set(), inbound: new Set() };
      bySuite.set(`${index}:${kind}`, current);
    },
    traffic: (standIn) =>
      ({
        ensureContacts(contacts: ReadonlyArray<PlannedContact & { e164?: string }>) {
          for (const c of contacts) current.outbound.add(digits(c.e164 ?? c.phone));
          standIn.ensureContacts(contacts);
        },
        startOutbound(suite: string, atMs: number, plan: PlannedOutbound) {
          current.outbound.add(digits(plan.expectation.toE164));
          return standIn.startOutbound(suite, atMs, plan);
        },
        startInbound(suite: string, atMs: number, plan: PlannedInbound) {
          current.inbound.add(digits(plan.fromWaId));
          return standIn.startInbound(suite, atMs, plan);
        },
      }) as unknown as Traffic,
  });
  return bySuite;
}

describe('the suites of one run plan disjoint phone numbers', () => {
  for (const file of ['default.yaml', 'default-hubspot.yaml']) {
    it(`scenarios/${file}: no phone is planned by two suites, or both written to and written from`, async () => {
      const bySuite = await plannedPhones(file);
      const planning = [...bySuite].filter(([, p]) => p.outbound.size + p.inbound.size > 0);
      // Every suite that sends traffic planned customers (the audit plans none).
      expect(planning.map(([k]) => k.split(':')[1])).toEqual([
        'template-delivery',
        'conversation-sync',
        'fault-recovery',
        'capacity',
        'soak',
      ]);
      const owner = new Map<string, string>();
      const clashes: string[] = [];
      for (const [suite, p] of planning) {
        for (const [direction, phones] of Object.entries(p)) {
          for (const phone of phones) {
            const key = `${suite} ${direction}`;
            const before = owner.get(phone);
            if (before !== undefined && before !== key) clashes.push(`${phone}: ${before} and ${key}`);
            owner.set(phone, key);
          }
        }
      }
      expect(clashes.slice(0, 5)).toEqual([]);
      // The ranges still hold numbers the WhatsApp mock (libphonenumber) accepts.
      const invalid = [...owner.keys()].filter((d) => !parsePhoneNumberFromString(`+${d}`)?.isValid());
      expect(invalid).toEqual([]);
      expect(owner.size).toBeGreaterThan(2_000);
    }, 60_000);
  }
});
