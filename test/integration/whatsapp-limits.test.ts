import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../kernel/clock.js';
import {
  closesAfter,
  orderConfirmation,
  sendMessage,
  startMock,
  startReceiver,
  textMessage,
  W,
} from './whatsapp-helpers.js';

// Limits over a real socket: they trip at the configured rates, recover as the buckets refill,
// and the 24 h window expires in virtual time.

const open = closesAfter('each');

describe('throughput and pair rate over a socket', () => {
  it('accepts about `throughputPerSec` messages in a burst, answers 130429/429 for the rest, then recovers', async () => {
    const { app, base } = await startMock({ throughputPerSec: 20 });
    open.push(app);
    const t0 = performance.now();
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => sendMessage(base, orderConfirmation(`1650555${4000 + i}`))),
    );
    const elapsedS = (performance.now() - t0) / 1000;
    const ok = results.filter((r) => r.status === 200).length;
    const limited = results.filter((r) => r.status === 429);
    // Burst = one second's worth, plus the refill while the 60 requests are in flight (on a busy
    // machine they take longer to get through, and the bucket refills at 20/s meanwhile).
    expect(ok).toBeGreaterThanOrEqual(20);
    expect(ok).toBeLessThanOrEqual(Math.ceil(20 + 20 * elapsedS) + 2);
    expect(ok).toBeLessThan(60);
    expect(ok + limited.length).toBe(60);
    expect(limited.every((r) => r.json['error'].code === 130429)).toBe(true);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await sendMessage(base, orderConfirmation('16505554999'))).status).toBe(200);
  });

  it('sustains the configured rate: ~20/s over 1.5 s of paced sends', async () => {
    const { app, base } = await startMock({ throughputPerSec: 20 });
    open.push(app);
    // Drain the burst first, then send at 40/s for 1.5 s: about 20/s of those may pass.
    await Promise.all(
      Array.from({ length: 25 }, (_, i) => sendMessage(base, orderConfirmation(`1650556${1000 + i}`))),
    );
    let ok = 0;
    const t0 = performance.now();
    for (let i = 0; i < 60; i++) {
      const due = t0 + i * 25;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      if ((await sendMessage(base, orderConfirmation(`1650557${1000 + i}`))).status === 200) ok++;
    }
    const elapsedS = (performance.now() - t0) / 1000;
    expect(ok).toBeGreaterThanOrEqual(Math.floor(20 * elapsedS * 0.7));
    expect(ok).toBeLessThanOrEqual(Math.ceil(20 * elapsedS * 1.3) + 1);
  });

  it('pair rate: 131056 after the burst to one user while other users go through', async () => {
    const { app, base } = await startMock({ pairRate: { perSec: 1 / 6, burst: 3 } });
    open.push(app);
    const codes: number[] = [];
    for (let i = 0; i < 5; i++) codes.push((await sendMessage(base, orderConfirmation())).status);
    expect(codes).toEqual([200, 200, 200, 429, 429]);
    const r = await sendMessage(base, orderConfirmation());
    expect(r.json['error']).toMatchObject({
      code: 131056,
      message: '(#131056) (Business Account, Consumer Account) pair rate limit hit',
    });
    expect((await sendMessage(base, orderConfirmation('447911123456'))).status).toBe(200);
  });
});

describe('24 h customer-service window in virtual time', () => {
  it('sync profile: free-form works inside the window and fails with 131047 once 24 h have passed', async () => {
    const clock = new VirtualClock();
    const { app, base } = await startMock({ clock, windowErrorMode: 'sync' });
    open.push(app);
    expect((await sendMessage(base, textMessage())).json['error'].code).toBe(131047);
    app.whatsapp.sendInbound({ from: W.user, type: 'text', text: { body: 'hi' } });
    expect((await sendMessage(base, textMessage())).status).toBe(200);
    clock.advance(23 * 3_600_000);
    expect((await sendMessage(base, textMessage())).status).toBe(200);
    clock.advance(3_600_000);
    const r = await sendMessage(base, textMessage());
    expect(r.status).toBe(400);
    expect(r.json['error'].code).toBe(131047);
    expect((await sendMessage(base, orderConfirmation())).status).toBe(200);
  });

  it('async profile: accepted, then a failed status with 131047 reaches the webhook', async () => {
    const clock = new VirtualClock();
    const receiver = await startReceiver();
    const { app, base } = await startMock({ clock, webhookUrl: receiver.url });
    open.push(receiver, app);
    app.whatsapp.sendInbound({ from: W.user, type: 'text', text: { body: 'hi' } });
    clock.advance(24 * 3_600_000);
    const r = await sendMessage(base, textMessage());
    expect(r.status).toBe(200);
    const wamid = r.json['messages'][0].id as string;
    clock.advance(1000);
    await receiver.waitFor(() => receiver.statuses().some((s) => s.id === wamid), 5000);
    const failed = receiver.statuses().find((s) => s.id === wamid);
    expect(failed?.status).toBe('failed');
    expect(failed?.errors?.[0]?.code).toBe(131047);
  });
});
