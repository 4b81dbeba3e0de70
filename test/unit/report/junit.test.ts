import { describe, expect, it } from 'vitest';
import { grade } from '../../../src/grading/grade.js';
import { renderJunit } from '../../../src/report/junit.js';
import { fixture, shippedTable } from './fixtures.js';
import { findAll, parseXml } from './xml.js';

const table = shippedTable();

describe('the XML checker used by these tests', () => {
  it('rejects what is not well-formed', () => {
    expect(() => parseXml('<a><b></a></b>')).toThrow(/closes/);
    expect(() => parseXml('<a x="1 & 2"/>')).toThrow(/bad entity/);
    expect(() => parseXml('<a>1 < 2</a>')).toThrow(/bad tag|raw </);
    expect(() => parseXml('<a>\u0001</a>')).toThrow(/not allowed/);
    expect(parseXml('<a x="&lt;&amp;"><b/>t&#65;</a>')).toMatchObject({
      name: 'a',
      attrs: { x: '<&' },
      text: 'tA',
    });
  });
});

describe('junit.xml', () => {
  it('has one test case per metric, check, conformance case and soak rule, plus run validity', () => {
    const result = fixture('pass');
    const root = parseXml(renderJunit(result, grade(result, table)));
    expect(root.name).toBe('testsuites');
    const cases = findAll(root, 'testcase');
    const byClass = (prefix: string) => cases.filter((c) => c.attrs['classname']?.startsWith(prefix));
    expect(byClass('wacrm.metrics').map((c) => c.attrs['name'])).toEqual([
      'template_delivery_rate',
      'sync_latency_p95_s',
      'record_completeness',
      'peak_capacity_msg_per_min',
      'error_recovery_s',
    ]);
    expect(byClass('wacrm.checks')).toHaveLength(16);
    expect(byClass('wacrm.conformance')).toHaveLength(11);
    expect(byClass('wacrm.soak')).toHaveLength(5);
    expect(byClass('wacrm.run')).toHaveLength(1);
    expect(root.attrs).toMatchObject({
      tests: String(cases.length),
      failures: '0',
      errors: '0',
      skipped: '0',
    });
  });

  it('carries each failure’s message and evidence, and counts them per suite', () => {
    const result = fixture('fail');
    const root = parseXml(renderJunit(result, grade(result, table)));
    const failures = findAll(root, 'failure');
    expect(failures).toHaveLength(8);
    expect(root.attrs['failures']).toBe('8');
    const delivery = findAll(root, 'testcase').find((c) => c.attrs['name'] === 'template_delivery_rate');
    const failure = delivery?.children.find((c) => c.name === 'failure');
    expect(failure?.attrs['message']).toBe('97.8 % is worse than qualified ≥ 99 %');
    expect(failure?.text).toContain('978 of 1,000 template messages delivered');
    const metrics = findAll(root, 'testsuite').find((s) => s.attrs['name'] === 'wacrm.metrics');
    expect(metrics?.attrs).toMatchObject({ tests: '5', failures: '4' });
    // Evidence with XML metacharacters survives escaping intact.
    const lost = findAll(root, 'testcase').find((c) => c.attrs['name'] === 'messages_lost');
    expect(lost?.children.find((c) => c.name === 'failure')?.text).toContain('(> 0.8 % bound) & "dropped"');
  });

  it('skips metrics and checks that were not measured', () => {
    const result = fixture('invalid');
    const root = parseXml(renderJunit(result, grade(result, table)));
    const skipped = findAll(root, 'testcase').filter((c) => c.children.some((k) => k.name === 'skipped'));
    expect(
      skipped.filter((c) => c.attrs['classname'] === 'wacrm.metrics').map((c) => c.attrs['name']),
    ).toEqual(['template_delivery_rate', 'sync_latency_p95_s', 'record_completeness', 'error_recovery_s']);
    expect(skipped[0]?.children[0]?.attrs['message']).toBe(
      'not measured: suite template-delivery did not run',
    );
  });

  it('reports an invalid run as an error on wacrm.run/valid', () => {
    const result = fixture('invalid');
    const root = parseXml(renderJunit(result, grade(result, table)));
    const valid = findAll(root, 'testcase').find((c) => c.attrs['classname'] === 'wacrm.run');
    const error = valid?.children.find((c) => c.name === 'error');
    expect(error?.attrs['message']).toMatch(/^harness saturated at 3,500 msg\/min/);
    expect(root.attrs['errors']).toBe('1');
  });

  it('escapes hostile names and evidence, and drops characters XML cannot carry', () => {
    const result = fixture('fail');
    const hostile = '"><script>alert(1)</script>&\u0001\uD800';
    const evil = {
      ...result,
      scenario: { ...result.scenario, name: hostile },
      checks: result.checks.map((c) => ({ ...c, evidence: hostile })),
    };
    const xml = renderJunit(evil, grade(evil, table));
    const root = parseXml(xml);
    expect(root.attrs['name']).toBe('wacrm "><script>alert(1)</script>&\uFFFD\uFFFD');
    expect(xml).not.toContain('<script>');
  });
});

describe('junit.xml for conformance cases that did not run', () => {
  it('marks them skipped with the reason, not failed', () => {
    const result = fixture('pass');
    const cases = result.conformance ?? [];
    const last = cases.at(-1);
    if (!last) throw new Error('the fixture has no conformance case');
    cases[cases.length - 1] = {
      ...last,
      passed: false,
      notRun: true,
      evidence: 'not run: the connector was gone at case 11 of 11 (x): no answer',
    };
    const root = parseXml(renderJunit(result, grade(result, table)));
    const tc = findAll(root, 'testcase').find((c) => c.attrs['name'] === last.id);
    const skipped = tc?.children.find((c) => c.name === 'skipped');
    expect(skipped?.attrs['message']).toBe('not run: the connector was gone at case 11 of 11 (x): no answer');
    expect(tc?.children.some((c) => c.name === 'failure')).toBe(false);
  });
});
