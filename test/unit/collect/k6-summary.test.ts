import { describe, expect, it } from 'vitest';
import { parseK6Summary, sumK6Figures } from '../../../src/collect/k6-summary.js';
import { WacrmError } from '../../../src/errors.js';

describe('k6 summary files', () => {
  it('reads --summary-export: iterations, dropped iterations, http_req_failed (passes are the failed requests)', () => {
    const text = JSON.stringify({
      metrics: {
        iterations: { count: 1200, rate: 19.9 },
        dropped_iterations: { count: 3, rate: 0.05 },
        http_req_failed: { passes: 12, fails: 1188, value: 0.01 },
      },
    });
    expect(parseK6Summary('s.json', text)).toEqual({
      file: 's.json',
      iterations: 1200,
      droppedIterations: 3,
      httpReqFailedRate: 0.01,
      httpReqFailedCount: 12,
      httpReqs: 1200,
    });
  });

  it('reads handleSummary’s data (values under `values`), and no dropped_iterations as 0', () => {
    const text = JSON.stringify({
      metrics: {
        iterations: { type: 'counter', contains: 'default', values: { count: 50, rate: 5 } },
        http_req_failed: { type: 'rate', contains: 'default', values: { rate: 0, passes: 0, fails: 50 } },
      },
    });
    expect(parseK6Summary('h.json', text)).toMatchObject({
      iterations: 50,
      droppedIterations: 0,
      httpReqFailedRate: 0,
    });
  });

  it.each([
    ['not json', 'the file is not JSON'],
    ['{}', 'metrics is missing'],
    ['{"metrics":{}}', 'metrics.iterations is missing'],
    ['{"metrics":{"iterations":{"count":-1}}}', 'metrics.iterations.count must be a non-negative number'],
    [
      '{"metrics":{"iterations":{"count":1},"http_req_failed":{"passes":0,"fails":1,"value":2}}}',
      'metrics.http_req_failed.value must be a share from 0 to 1',
    ],
  ])('refuses %s with a coded error naming the field', (text, message) => {
    let caught: unknown;
    try {
      parseK6Summary('bad.json', text);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(WacrmError);
    expect((caught as WacrmError).code).toBe('WACRM_K6_SUMMARY_INVALID');
    expect((caught as WacrmError).exitCode).toBe(2);
    expect((caught as WacrmError).message).toContain(`bad.json: ${message}`);
  });

  it('adds up several runners’ summaries (k6-operator), the failed share from the counts', () => {
    const a = parseK6Summary(
      'a.json',
      JSON.stringify({
        metrics: { iterations: { count: 100 }, http_req_failed: { passes: 10, fails: 90, value: 0.1 } },
      }),
    );
    const b = parseK6Summary(
      'b.json',
      JSON.stringify({
        metrics: {
          iterations: { count: 300 },
          dropped_iterations: { count: 2 },
          http_req_failed: { passes: 0, fails: 300, value: 0 },
        },
      }),
    );
    expect(sumK6Figures([a, b])).toEqual({
      file: 'a.json + b.json',
      iterations: 400,
      droppedIterations: 2,
      httpReqFailedCount: 10,
      httpReqs: 400,
      httpReqFailedRate: 0.025,
    });
  });
});
