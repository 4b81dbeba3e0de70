import { afterEach, describe, expect, it } from 'vitest';
import {
  inbound,
  orderEvent,
  pause,
  postEvent,
  postWhatsApp,
  type Rig,
  startRig,
  until,
} from './connector-standins.js';

let rig: Rig | undefined;
afterEach(async () => {
  await rig?.close();
  rig = undefined;
});

const CUSTOMER = '886912345678';
const isMessageWrite = (s: { method: string; path: string }) =>
  s.method === 'POST' && /\/messages$/.test(s.path);

describe('connector resilience', () => {
  it('acknowledges before doing the work', async () => {
    rig = await startRig();
    rig.crm.delay((s) => s.path === '/api/v1/contacts', 1500);
    const r = await postWhatsApp(rig.url, inbound('wamid.fast', CUSTOMER, 'hello'));
    expect(r.status).toBe(200);
    // The answer came while the CRM was still busy with the first call of the flow.
    expect(rig.crm.messages.has('wamid.fast')).toBe(false);
    await until(() => rig?.crm.messages.has('wamid.fast') === true, 5000, 'the message');
  });

  it('retries a CRM write at once, again after --retry-delay-ms, then logs it for a human', async () => {
    rig = await startRig({ retryDelayMs: 400 });
    const down = { error: { code: 'unavailable', message: 'outage', details: [] } };
    rig.crm.script((s) => isMessageWrite(s), 503, down, { times: 3 });
    await postWhatsApp(rig.url, inbound('wamid.r3', CUSTOMER, 'hello'));
    await until(() => rig?.crm.errorLogs.length === 1, 10_000, 'the error log');
    const at = rig.crm.seen.filter(isMessageWrite).map((s) => s.atMs);
    expect(at).toHaveLength(3);
    const [a, b, c] = at as [number, number, number];
    expect(b - a).toBeLessThan(1000); // level 1: at once
    expect(c - b).toBeGreaterThanOrEqual(380); // level 2: after the retry delay
    expect(rig.crm.errorLogs[0]).toMatchObject({
      kind: 'crm_write_failed',
      wa_message_id: 'wamid.r3',
      context: { attempts: 3 },
    });
  });

  it('recovers at the second level when the outage ends, without an error log', async () => {
    rig = await startRig({ retryDelayMs: 300 });
    rig.wa.script(() => true, 503, { error: { message: 'Service unavailable', code: 131016 } }, { times: 2 });
    await postEvent(rig.url, orderEvent('evt_out'));
    await until(() => rig?.crm.messages.has('wamid.S1') === true, 10_000, 'the template recorded');
    expect(rig.wa.sends()).toHaveLength(3);
    expect(rig.crm.errorLogs).toEqual([]);
  });

  it('sends a waiting second-level retry as soon as WhatsApp answers again, not at the end of the pause', async () => {
    rig = await startRig({ retryDelayMs: 20_000 });
    const down = { error: { message: 'Service unavailable', code: 131016 } };
    // The first event's two attempts hit the outage; the second event, sent after it, succeeds.
    rig.wa.script(() => true, 503, down, { times: 2 });
    await postEvent(rig.url, orderEvent('evt_waiting'));
    await until(() => rig?.wa.sends().length === 2, 5_000, 'both failed attempts');
    const t0 = Date.now();
    await postEvent(rig.url, orderEvent('evt_healthy'));
    await until(
      () => rig?.crm.errorLogs.length === 0 && rig.wa.sends().length >= 4,
      5_000,
      'the released retry',
    );
    // Well before the 20 s pause: the retry went out once a send succeeded.
    expect(Date.now() - t0).toBeLessThan(5_000);
    expect(rig.crm.errorLogs).toEqual([]);
  });

  it('does not retry a request error (132001) and logs it at once', async () => {
    rig = await startRig({ retryDelayMs: 300 });
    rig.wa.script(() => true, 404, {
      error: { message: '(#132001) Template name does not exist in the translation', code: 132001 },
    });
    await postEvent(rig.url, orderEvent('evt_nt'));
    await until(() => rig?.crm.errorLogs.length === 1, 5000, 'the error log');
    await pause(500);
    expect(rig.wa.sends()).toHaveLength(1);
    expect(rig.crm.errorLogs[0]).toMatchObject({ kind: 'delivery_failed', event_id: 'evt_nt' });
  });

  it('times a hanging CRM call out and retries it', async () => {
    rig = await startRig({ requestTimeoutMs: 300 });
    rig.crm.delay((s) => isMessageWrite(s), 2000);
    await postWhatsApp(rig.url, inbound('wamid.to', CUSTOMER, 'hello'));
    await until(() => rig?.crm.messages.has('wamid.to') === true, 8000, 'the message after the timeout');
    const at = rig.crm.seen.filter(isMessageWrite).map((s) => s.atMs);
    expect(at.length).toBeGreaterThanOrEqual(2);
    expect((at[1] as number) - (at[0] as number)).toBeGreaterThanOrEqual(280);
  });

  it('honours the CRM Retry-After: no CRM call at all until it has passed', async () => {
    rig = await startRig();
    const limited = { error: { code: 'rate_limited', message: 'plan rate limit exceeded', details: [] } };
    rig.crm.script((s) => s.path === '/api/v1/contacts', 429, limited, { headers: { 'retry-after': '1' } });
    await postWhatsApp(rig.url, inbound('wamid.ra1', CUSTOMER, 'hello'));
    await until(() => rig?.crm.seen.length === 1, 5000, 'the 429');
    // Another customer's flow arrives during the pause: it waits too.
    await postWhatsApp(rig.url, inbound('wamid.ra2', '15550001111', 'hello'));
    await until(() => rig?.crm.messages.size === 2, 8000, 'both messages');
    const first = rig.crm.seen[0]?.atMs as number;
    const next = Math.min(...rig.crm.seen.slice(1).map((s) => s.atMs));
    expect(next - first).toBeGreaterThanOrEqual(950);
  });

  it('keeps within the CRM budget per minute', async () => {
    rig = await startRig({ crmRatePerMin: 4, drainTimeoutMs: 100 });
    for (let i = 0; i < 3; i++)
      await postWhatsApp(rig.url, inbound(`wamid.b${i}`, `1555000000${i}`, 'hello'));
    await pause(700);
    expect(rig.crm.seen.length).toBe(4);
    const stats = (await (await fetch(`${rig.url}/stats`)).json()) as {
      queue: { waitingForCrmBudget: number };
    };
    expect(stats.queue.waitingForCrmBudget).toBeGreaterThan(0);
  });

  it('answers 503 above the queue limit (never acks what it cannot keep) and takes the redelivery', async () => {
    rig = await startRig({ queueLimit: 2, concurrency: 1 });
    rig.crm.delay((s) => s.path === '/api/v1/contacts', 600);
    expect((await postWhatsApp(rig.url, inbound('wamid.q1', '15550000001', 'a'))).status).toBe(200);
    expect((await postWhatsApp(rig.url, inbound('wamid.q2', '15550000002', 'b'))).status).toBe(200);
    const full = await postWhatsApp(rig.url, inbound('wamid.q3', '15550000003', 'c'));
    expect(full.status).toBe(503);
    expect(full.headers.get('retry-after')).toBe('5');
    await until(() => rig?.crm.messages.size === 2, 8000, 'the two accepted messages');
    expect((await postWhatsApp(rig.url, inbound('wamid.q3', '15550000003', 'c'))).status).toBe(200);
    await until(() => rig?.crm.messages.has('wamid.q3') === true, 5000, 'the redelivered message');
  });

  it('drains the queue on close before stopping', async () => {
    rig = await startRig();
    for (let i = 0; i < 5; i++)
      await postWhatsApp(rig.url, inbound(`wamid.dr${i}`, `1555000001${i}`, 'hello'));
    await rig.connector.close();
    expect(rig.crm.messages.size).toBe(5);
    expect(rig.connector.connector.leftAtShutdown).toBe(0);
    const after = await fetch(`${rig.url}/healthz`).catch((e: Error) => e);
    expect(after).toBeInstanceOf(Error);
  });
});
