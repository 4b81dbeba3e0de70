import type { ExternalWiring, RunResult } from '../result/run-result.js';

/**
 * Which acceptance table graded the run, as every report says it: the built-in one (the scenario named
 * none) or the file the scenario named. Null for results written before the source was recorded.
 */
export function acceptanceLine(result: RunResult): string | null {
  const src = result.acceptanceSource;
  if (!src) return null;
  return src.builtIn
    ? `graded against the built-in acceptance table (${src.file}): the scenario names none`
    : `graded against the acceptance table ${src.file}`;
}

function refusals(counts: Record<string, number>): string {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  if (entries.length === 0) return 'none';
  return entries.map(([code, n]) => `${code} ×${n}`).join(', ');
}

/**
 * What every report says about an external connector, in plain lines (the terminal, summary.md and
 * report.html print the same): the wiring it was given (no secrets), the calls the mocks refused by
 * error code, and the CRM rate limit the mock enforced.
 */
export function describeWiring(w: ExternalWiring): string[] {
  return [
    `wiring: WhatsApp mock ${w.whatsappBaseUrl}, CRM mock ${w.crmBaseUrl}; webhooks ${w.whatsappWebhookPath} and ${w.crmWebhookPath}; credentials: ${w.credentials}`,
    `calls the mocks refused: WhatsApp ${refusals(w.refusedCalls.whatsapp)}; CRM ${refusals(w.refusedCalls.crm)}`,
    `CRM rate limit enforced: ${w.crmRateLimitPerMin}/min (${w.crmPlan} plan)`,
  ];
}
