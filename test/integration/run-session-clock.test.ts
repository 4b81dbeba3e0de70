import { describe, expect, it } from 'vitest';
import { ScaledClock } from '../../kernel/clock.js';
import { parseScenarioText } from '../../src/config/load.js';
import { recordTypes } from '../../src/journal/records.js';
import { openRunSession } from '../../src/run/runner.js';

// The run layer takes its clock: the mocks and the suite context read the injected one, not a RealClock
// of their own. A ScaledClock that starts 5·10⁹ ms in (and in 2031) is unmistakable in every stamp.
describe('openRunSession on an injected clock', () => {
  it('runs the mocks, the journal stamps and the suite context on that clock', async () => {
    const parsed = parseScenarioText('name: clocked\nsuites:\n  - kind: template-delivery\n');
    if (!parsed.ok) throw new Error('scenario');
    const epochMs = Date.UTC(2031, 0, 6, 9);
    const clock = new ScaledClock(1, { startMs: 5e9, epochMs });
    const session = await openRunSession({ scenario: parsed.value, clock }, 7, () => ({
      type: recordTypes.runStarted,
    }));
    try {
      expect(session.ctx.clock).toBe(clock);
      expect(session.originMs).toBeGreaterThanOrEqual(5e9);
      // The connector's webhook verification and its first calls happened while the stack started.
      const entries = [
        ...session.ctx.stack.whatsapp.journal.query(),
        ...session.ctx.stack.crm.journal.query(),
      ];
      expect(entries.length).toBeGreaterThan(0);
      for (const e of entries) {
        expect(e.atMs).toBeGreaterThanOrEqual(5e9);
        expect(new Date(e.epochMs).getUTCFullYear()).toBe(2031);
      }
    } finally {
      await session.close();
    }
  });
});
