import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAGS } from '../../../connector/config.js';
import { KEYWORD_TABLE } from '../../../connector/keywords.js';
import { FAULT_SWITCHES } from '../../../kernel/connector-faults.js';
import { MOCK_DEFAULT_CREDENTIALS, MOCK_DEFAULT_PORTS } from '../../../src/run/stack.js';

const DOC = join(import.meta.dirname, '..', '..', '..', 'docs', 'connector.md');

/** The rows of the first table after `heading`, as trimmed cells. */
function tableAfter(text: string, heading: string): string[][] {
  const start = text.indexOf(heading);
  expect(start, `${heading} in docs/connector.md`).toBeGreaterThan(-1);
  const lines = text.slice(start).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows: string[][] = [];
  for (const line of lines.slice(first + 2)) {
    if (!line.startsWith('|')) break;
    rows.push(
      line
        .slice(1, -1)
        .split(' | ')
        .map((c) => c.replace(/^\|?\s*|\s*\|?$/g, '').trim()),
    );
  }
  return rows;
}

const unquote = (cell: string) => cell.split(', ').map((k) => k.replace(/^`|`$/g, ''));

describe('docs/connector.md stays in sync with the code', () => {
  const text = existsSync(DOC) ? readFileSync(DOC, 'utf8') : '';

  it('has the keyword table the connector matches with', () => {
    const rows = tableAfter(text, '## The keyword table');
    expect(
      rows.map(([tag, words]) => ({ tag: unquote(tag ?? '')[0], keywords: unquote(words ?? '') })),
    ).toEqual(KEYWORD_TABLE.map(({ tag, keywords }) => ({ tag, keywords: [...keywords] })));
  });

  it('documents every fault switch and every flag', () => {
    const rows = tableAfter(text, '## Fault switches');
    expect(rows.map(([spec]) => (spec ?? '').replace(/^`|`$/g, '').split('=')[0]).sort()).toEqual(
      Object.keys(FAULT_SWITCHES).sort(),
    );
    for (const flag of Object.keys(FLAGS)) expect(text).toContain(`\`--${flag}`);
  });

  it('gives every flag the default the connector uses (the wiring a vendor copies)', () => {
    const rows = tableAfter(text, '## Flags and environment');
    const documented = new Map(
      rows.map(([flag, dflt]) => [(flag ?? '').replace(/^`--|[ `].*$/g, ''), dflt ?? '']),
    );
    const wrong: string[] = [];
    for (const [flag, def] of Object.entries(FLAGS)) {
      const cell = documented.get(flag);
      if (cell === undefined) wrong.push(`--${flag}: no row`);
      // A default is shown as code; a flag without one says so in words (none, from the plan …).
      else if (def.default !== undefined && cell !== `\`${def.default}\``)
        wrong.push(`--${flag}: ${cell} ≠ ${def.default}`);
      else if (def.default === undefined && cell.startsWith('`'))
        wrong.push(`--${flag}: ${cell}, the connector has none`);
    }
    expect(wrong).toEqual([]);
  });

  it('with no flags the connector is wired to the mocks on their default ports and credentials, as it says', () => {
    expect(text).toContain(
      'With no flags it talks to the mocks on their default ports with their default credentials',
    );
    const d = (flag: string) => FLAGS[flag]?.default;
    expect(d('wa-base-url')).toBe(`http://127.0.0.1:${MOCK_DEFAULT_PORTS.whatsapp}`);
    expect(d('crm-base-url')).toBe(`http://127.0.0.1:${MOCK_DEFAULT_PORTS.crm}/api/v1`);
    expect(d('wa-access-token')).toBe(MOCK_DEFAULT_CREDENTIALS.accessToken);
    expect(d('wa-app-secret')).toBe(MOCK_DEFAULT_CREDENTIALS.appSecret);
    expect(d('wa-verify-token')).toBe(MOCK_DEFAULT_CREDENTIALS.verifyToken);
    expect(d('crm-token')).toBe(MOCK_DEFAULT_CREDENTIALS.crmToken);
    expect(d('crm-webhook-secret')).toBe(MOCK_DEFAULT_CREDENTIALS.crmWebhookSecret);
    expect(d('wa-phone-number-id')).toBe(MOCK_DEFAULT_CREDENTIALS.phoneNumberId);
  });
});
