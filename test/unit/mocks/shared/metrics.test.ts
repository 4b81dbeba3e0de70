import { describe, expect, it } from 'vitest';
import { escapeLabelValue, MetricsRegistry } from '../../../../mocks/shared/metrics.js';

/** Minimal parser of the exposition format: checks every line is a comment, HELP/TYPE or a valid sample. */
function parseExposition(text: string): Map<string, number> {
  const samples = new Map<string, number>();
  const sampleRe =
    /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?:[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*",?)*\})? (\S+)$/;
  expect(text.endsWith('\n')).toBe(true);
  for (const line of text.slice(0, -1).split('\n')) {
    if (line.startsWith('# HELP ') || line.startsWith('# TYPE ')) continue;
    if (line.startsWith('#')) continue;
    const m = sampleRe.exec(line);
    expect(m, line).not.toBeNull();
    samples.set(`${m?.[1]}${m?.[2] ?? ''}`, m?.[3] === '+Inf' ? Number.POSITIVE_INFINITY : Number(m?.[3]));
  }
  return samples;
}

describe('MetricsRegistry', () => {
  it('renders counters and gauges with HELP and TYPE lines', () => {
    const r = new MetricsRegistry();
    const req = r.counter('mock_requests_total', 'Requests seen', ['route', 'status']);
    const up = r.counter('mock_restarts_total', 'Restarts');
    const q = r.gauge('webhook_queue_depth', 'Deliveries waiting');
    req.inc({ route: '/messages', status: '200' });
    req.inc({ route: '/messages', status: '200' }, 2);
    req.inc({ route: '/messages', status: '429' });
    q.set(undefined, 7);
    const text = r.render();
    expect(text).toBe(
      [
        '# HELP mock_requests_total Requests seen',
        '# TYPE mock_requests_total counter',
        'mock_requests_total{route="/messages",status="200"} 3',
        'mock_requests_total{route="/messages",status="429"} 1',
        '# HELP mock_restarts_total Restarts',
        '# TYPE mock_restarts_total counter',
        'mock_restarts_total 0',
        '# HELP webhook_queue_depth Deliveries waiting',
        '# TYPE webhook_queue_depth gauge',
        'webhook_queue_depth 7',
        '',
      ].join('\n'),
    );
    expect(parseExposition(text).get('mock_requests_total{route="/messages",status="200"}')).toBe(3);
    void up;
  });

  it('escapes label values and help text', () => {
    expect(escapeLabelValue('a"b\\c\nd')).toBe('a\\"b\\\\c\\nd');
    const r = new MetricsRegistry();
    r.counter('odd_total', 'line one\nback\\slash', ['v']).inc({ v: 'say "hi"\\\n' });
    const text = r.render();
    expect(text).toContain('# HELP odd_total line one\\nback\\\\slash\n');
    expect(text).toContain('odd_total{v="say \\"hi\\"\\\\\\n"} 1\n');
    expect(parseExposition(text).size).toBe(1);
  });

  it('gauges read collectors at render time; a failing collector does not break the page', () => {
    const r = new MetricsRegistry();
    let depth = 3;
    r.gauge('depth', 'Queue depth', [], () => depth);
    r.gauge('by_state', 'Per state', ['state'], () => [
      { labels: { state: 'queued' }, value: 1 },
      { labels: { state: 'in_flight' }, value: 2 },
    ]);
    r.gauge('broken', 'Throws', [], () => {
      throw new Error('boom');
    });
    r.gauge('weird', 'Special values').set(undefined, Number.POSITIVE_INFINITY);
    expect(r.render()).toContain('depth 3\n');
    depth = 9;
    const text = r.render();
    expect(text).toContain('depth 9\n');
    expect(text).toContain('by_state{state="in_flight"} 2\n');
    expect(text).toContain('# collect failed for broken\n');
    expect(text).toContain('weird +Inf\n');
    parseExposition(text);
  });

  it('rejects bad names, undeclared labels, negative increments and clashing re-registration', () => {
    const r = new MetricsRegistry();
    expect(() => r.counter('bad-name', 'x')).toThrow(/invalid metric name/);
    expect(() => r.counter('ok', 'x', ['__reserved'])).toThrow(/invalid label name/);
    const c = r.counter('c_total', 'x', ['a']);
    expect(() => c.inc({ b: '1' })).toThrow(/has no label b/);
    expect(() => c.inc({ a: '1' }, -1)).toThrow(/only go up/);
    expect(() => r.gauge('c_total', 'x', ['a'])).toThrow(/already registered/);
    const again = r.counter('c_total', 'x', ['a']);
    again.inc({ a: 'z' });
    c.inc({ a: 'z' });
    expect(r.render()).toContain('c_total{a="z"} 2\n');
    expect(new MetricsRegistry().render()).toBe('');
  });
});
