import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FLAGS } from '../../../connector/config.js';
import { KEYWORD_TABLE } from '../../../connector/keywords.js';
import { FAULT_SWITCHES } from '../../../kernel/connector-faults.js';

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
});
