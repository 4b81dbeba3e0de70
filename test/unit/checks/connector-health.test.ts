import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { codeList, judgeConnectorHealth, REFUSED_SHARE_LIMIT } from '../../../src/checks/connector-health.js';
import { ConnectorWatch, SILENT_STREAK, stageOf } from '../../../src/run/connector-watch.js';

describe('connector health judgement', () => {
  it('has nothing to diagnose for a connector that accepted everything', () => {
    const h = judgeConnectorHealth({
      handshake: { ok: true },
      answers: [{ suite: 'conversation-sync', byCode: { '200': 400 } }],
    });
    expect(h.diagnoses).toEqual([]);
    expect(h.answers[0]).toMatchObject({ attempts: 400, accepted: 400, refused: 0, unanswered: 0 });
  });

  it('diagnoses "connector refused our webhooks" with the codes and the handshake', () => {
    const h = judgeConnectorHealth({
      handshake: { ok: false, statusCode: 403 },
      answers: [
        { suite: 'template-delivery', byCode: { '403': 1_000 } },
        { suite: 'conversation-sync', byCode: { '403': 705, '200': 2 } },
      ],
    });
    expect(h.refusedShare).toBeCloseTo(1705 / 1707);
    expect(h.diagnoses[0]).toMatch(
      /^connector refused our webhooks: the verification handshake was refused \(HTTP 403\); 1,705 of 1,707 correctly signed webhooks \(99\.9 %\) were answered 4xx: 403 × 1,705/,
    );
  });

  it('tolerates a small share of 4xx answers and diagnoses above it', () => {
    const within = judgeConnectorHealth({
      handshake: { ok: true },
      answers: [{ suite: 's', byCode: { '200': 95, '400': 5 } }],
    });
    expect(within.diagnoses).toEqual([]);
    const above = judgeConnectorHealth({
      handshake: { ok: true },
      answers: [{ suite: 's', byCode: { '200': 94, '401': 6 } }],
    });
    expect(above.diagnoses[0]).toContain('401 × 6');
    expect(REFUSED_SHARE_LIMIT).toBe(0.05);
  });

  it('names a dead or silent connector with the time', () => {
    const h = judgeConnectorHealth({
      handshake: { ok: true },
      answers: [{ suite: 'conversation-sync', byCode: { '200': 40, ECONNREFUSED: 300, timeout: 2 } }],
      stoppedAnsweringAtMs: 10_400,
      exited: { atMs: 10_000, reason: 'the process exited (code null, signal SIGKILL)' },
    });
    expect(h.diagnoses).toEqual([
      'connector died: the process exited (code null, signal SIGKILL) at 10 s into the run',
      'connector stopped answering at 10.4 s into the run: 302 webhook attempts got no answer (ECONNREFUSED × 300, timeout × 2)',
    ]);
    expect(h.unanswered).toBe(302);
    // 5xx is neither refused nor unanswered: the connector is there, it failed.
    expect(codeList({ '500': 1, '403': 3 })).toBe('403 × 3, 500 × 1');
  });
});

describe('connector watch', () => {
  const entry = (atMs: number, kind: string, data: Record<string, unknown>) => ({ atMs, kind, data });

  it('counts attempts per suite from both journals and notices a silent streak once', () => {
    const wa = new EventEmitter();
    const crm = new EventEmitter();
    const lines: string[] = [];
    const w = new ConnectorWatch({ originMs: 1_000, handshake: { ok: true }, log: (l) => lines.push(l) });
    w.attach(wa);
    w.attach(crm);
    w.setSuite('template-delivery');
    crm.emit('entry', entry(2_000, 'event.delivered', { statusCode: 200 }));
    crm.emit('entry', entry(2_100, 'event.failed', { statusCode: 403, error: 'HTTP 403' }));
    wa.emit('entry', entry(2_200, 'message.accepted', {}));
    w.setSuite('conversation-sync');
    for (let i = 0; i < SILENT_STREAK + 2; i++) {
      wa.emit('entry', entry(20_000 + i * 100, 'webhook.failed', { error: 'timeout', latencyMs: 10_000 }));
    }
    expect(w.unanswered()).toBe(SILENT_STREAK + 2);
    const h = w.health();
    expect(h.answers).toEqual([
      {
        suite: 'template-delivery',
        byCode: { '200': 1, '403': 1 },
        attempts: 2,
        accepted: 1,
        refused: 1,
        unanswered: 0,
      },
      {
        suite: 'conversation-sync',
        byCode: { timeout: SILENT_STREAK + 2 },
        attempts: SILENT_STREAK + 2,
        accepted: 0,
        refused: 0,
        unanswered: SILENT_STREAK + 2,
      },
    ]);
    // The first unanswered attempt started 10 s before it timed out, 9 s after the origin.
    expect(h.stoppedAnsweringAtMs).toBe(9_000);
    expect(lines.filter((l) => l.includes('stopped answering'))).toHaveLength(1);
    wa.emit('entry', entry(30_000, 'webhook.delivered', { statusCode: 200 }));
    expect(w.health().stoppedAnsweringAtMs).toBeUndefined();
    expect(lines.at(-1)).toContain('answers again at 29.0 s');
    w.detachAll();
    wa.emit('entry', entry(31_000, 'webhook.failed', { error: 'timeout' }));
    expect(w.unanswered()).toBe(SILENT_STREAK + 2);
  });

  it('records the process exit relative to the origin, once', () => {
    const w = new ConnectorWatch({ originMs: 500, handshake: { ok: true }, log: () => {} });
    w.connectorExited(10_500, 'the process exited (code 1, signal null)');
    w.connectorExited(11_000, 'later');
    expect(w.health().exited).toEqual({ atMs: 10_000, reason: 'the process exited (code 1, signal null)' });
    expect(w.health().diagnoses[0]).toContain('connector died');
  });
});

describe('connector answers by stage', () => {
  it('names the stage from the progress line: capacity steps, sending, draining, none for the soak', () => {
    expect(stageOf({ suite: 'capacity', label: 'step 3 · 900/min', done: 10, total: 0 })).toBe(
      'step 3 · 900/min',
    );
    expect(stageOf({ suite: 'conversation-sync', label: 'customer messages', done: 5, total: 60 })).toBe(
      'sending',
    );
    expect(stageOf({ suite: 'conversation-sync', label: 'customer messages', done: 60, total: 60 })).toBe(
      'draining',
    );
    expect(stageOf({ suite: 'soak', label: 'virtual 3h of 24h', done: 9, total: 0 })).toBeUndefined();
  });

  it('counts each suite and stage apart, and a new suite starts without a stage', () => {
    const wa = new EventEmitter();
    const w = new ConnectorWatch({ originMs: 0, handshake: { ok: true }, log: () => {} });
    w.attach(wa);
    w.setSuite('conversation-sync');
    w.setStage('sending');
    wa.emit('entry', { atMs: 1, kind: 'webhook.failed', data: { statusCode: 403 } });
    w.setStage('draining');
    wa.emit('entry', { atMs: 2, kind: 'webhook.failed', data: { statusCode: 403 } });
    wa.emit('entry', { atMs: 3, kind: 'webhook.delivered', data: { statusCode: 200 } });
    w.setSuite('soak');
    wa.emit('entry', { atMs: 4, kind: 'webhook.delivered', data: { statusCode: 200 } });
    expect(w.health().answers.map((a) => [a.suite, a.stage, a.byCode])).toEqual([
      ['conversation-sync', 'sending', { '403': 1 }],
      ['conversation-sync', 'draining', { '403': 1, '200': 1 }],
      ['soak', undefined, { '200': 1 }],
    ]);
  });
});
