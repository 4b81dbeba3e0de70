import { describe, expect, it } from 'vitest';
import { grade } from '../../../src/grading/grade.js';
import { renderGradeTable } from '../../../src/report/terminal.js';
import { fixture, shippedTable } from './fixtures.js';

const table = shippedTable();
// biome-ignore lint/suspicious/noControlCharactersInRegex: looking for ANSI escapes
const ANSI = /\u001b\[/;

describe('terminal grade sheet', () => {
  it('is plain text unless colour is asked for', () => {
    const result = fixture('fail');
    const sheet = grade(result, table);
    const plain = renderGradeTable(sheet);
    expect(plain).not.toMatch(ANSI);
    expect(renderGradeTable(sheet, { color: true })).toMatch(ANSI);
  });

  it('shows every metric with value, band and thresholds, then failures with evidence and the verdict', () => {
    const result = fixture('fail');
    const text = renderGradeTable(grade(result, table));
    expect(text).toMatch(
      /Peak capacity\s+│\s+700 msg\/min │ FAIL\s+│ ≥ 1,000 msg\/min │ 1,200 msg\/min │ 5,000 msg\/min │/,
    );
    expect(text).toContain(
      'FAIL Messages lost (messages_lost): 1.95 % does not meet ≤ 0.8 % (fault-recovery)',
    );
    expect(text).toContain('evidence: 12 of 615 flows lost');
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^FAIL · 5 of 5 metrics graded/);
  });

  it('lists every measured check on request', () => {
    const result = fixture('pass');
    const sheet = grade(result, table);
    expect(renderGradeTable(sheet)).not.toContain('tag_accuracy');
    expect(renderGradeTable(sheet, { allChecks: true })).toContain('tag_accuracy');
  });
});
