/**
 * No case is one that cannot fail: each fault switch of the reference connector (and, for the
 * plan-rate case, a budget set above the plan) makes the cases that check that behaviour fail.
 * Each switch runs only against its matching cases (`only`), so the whole table takes about a
 * minute and a half. The cases no switch breaks (handshake, escaped unicode, unknown fields) are
 * shown failing by defect proxies in conformance-external.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { runConformanceSuite } from '../../src/conformance/index.js';

/** switch → the cases it must make fail. */
const SWITCH_TABLE: Array<{ faults: string[]; args?: string[]; fails: string[] }> = [
  {
    faults: ['skip-signature-check'],
    fails: ['signature-missing', 'signature-malformed', 'signature-wrong-secret', 'signature-body-tampered'],
  },
  {
    faults: ['no-dedupe'],
    fails: ['idempotent-duplicate-message', 'idempotent-duplicate-status', 'idempotent-after-retry'],
  },
  {
    faults: ['status-regress'],
    fails: ['status-order-read-before-delivered', 'status-failed-after-delivered'],
  },
  { faults: ['ignore-retry-after'], fails: ['crm-retry-after-honoured'] },
  { faults: ['no-normalize'], fails: ['e164-normalised', 'e164-unfixable-reported'] },
  {
    faults: ['ignore-consent'],
    fails: ['consent-no-marketing-to-opted-out', 'consent-first-contact-transactional-only'],
  },
  { faults: ['no-window-check'], fails: ['window-131047-not-retried'] },
  {
    faults: ['no-retry'],
    fails: ['three-level-retry-policy', 'timeout-retry-3500ms', 'backoff-130429', 'backoff-131056'],
  },
  { faults: ['slow-ack=300ms'], fails: ['ack-within-200ms', 'ack-under-status-burst'] },
  // Not a fault switch: a CRM budget above the plan's limit.
  { faults: [], args: ['--crm-rate-per-min', '3000'], fails: ['crm-plan-rate-respected'] },
];

describe('each fault switch makes its matching conformance cases fail', () => {
  for (const row of SWITCH_TABLE) {
    const name = row.faults.length > 0 ? `--fault ${row.faults.join(' ')}` : row.args?.join(' ');
    it(`${name} → ${row.fails.join(', ')} fail`, async () => {
      const run = await runConformanceSuite({
        connector: { kind: 'reference', faults: row.faults, args: row.args ?? [] },
        only: row.fails,
      });
      expect(run.valid).toBe(true);
      expect(run.connector.faults).toEqual(row.faults);
      expect(run.cases.map((c) => c.id).sort()).toEqual([...row.fails].sort());
      for (const c of run.cases) {
        expect(c.passed, `${c.id} should fail with ${name}: ${c.evidence}`).toBe(false);
        // The evidence says what was observed, not just "failed".
        expect(c.evidence.length, c.id).toBeGreaterThan(30);
        expect(c.evidence).not.toMatch(/^the case could not run/);
      }
    }, 120_000);
  }
});
