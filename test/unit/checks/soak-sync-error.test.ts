import { describe, expect, it } from 'vitest';
import { SOAK_SYNC_ERROR_KEY, syncErrorLimit, syncErrorRule } from '../../../src/checks/soak-sync-error.js';
import type { AcceptanceTable } from '../../../src/config/index.js';
import { shippedTable } from '../report/fixtures.js';

function withThreshold(threshold: number, inclusive = true): AcceptanceTable {
  const t = shippedTable();
  const row = t.checks[SOAK_SYNC_ERROR_KEY];
  if (!row) throw new Error('the shipped table lost its soak_sync_error_rate row');
  return { ...t, checks: { ...t.checks, [SOAK_SYNC_ERROR_KEY]: { ...row, threshold, inclusive } } };
}

describe("the soak's sync-error rule has one home: the acceptance table", () => {
  it('reads the shipped 0.5 % from the table', () => {
    const limit = syncErrorLimit(shippedTable());
    expect(limit).toEqual({ threshold: 0.005, inclusive: true });
    expect(syncErrorRule(0.004, 1000, limit!)).toEqual({
      rule: 'sync error rate ≤ 0.5 %',
      passed: true,
      evidence: '0.4 % of 1000 flows failed, timed out or were dropped',
    });
    expect(syncErrorRule(0.006, 1000, limit!).passed).toBe(false);
  });

  it('editing the table changes both the verdict and the text', () => {
    const strict = syncErrorLimit(withThreshold(0.001, false))!;
    const line = syncErrorRule(0.004, 1000, strict);
    expect(line.rule).toBe('sync error rate < 0.1 %');
    expect(line.passed).toBe(false);
    const loose = syncErrorLimit(withThreshold(0.0125))!;
    expect(syncErrorRule(0.012, 1000, loose)).toMatchObject({
      rule: 'sync error rate ≤ 1.25 %',
      passed: true,
    });
    // Exactly at the mark: inclusive passes, strict does not.
    expect(syncErrorRule(0.001, 1000, syncErrorLimit(withThreshold(0.001, true))!).passed).toBe(true);
    expect(syncErrorRule(0.001, 1000, strict).passed).toBe(false);
  });

  it('without the row nothing is judged (no hidden default)', () => {
    const t = shippedTable();
    const { [SOAK_SYNC_ERROR_KEY]: _gone, ...rest } = t.checks;
    expect(syncErrorLimit({ ...t, checks: rest })).toBeNull();
  });
});
