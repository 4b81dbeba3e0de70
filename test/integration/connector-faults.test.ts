import { describe, expect, it } from 'vitest';
import { FAULT_SWITCHES, type FaultName } from '../../kernel/connector-faults.js';
import {
  inbound,
  orderEvent,
  pause,
  postEvent,
  postWhatsApp,
  type Rig,
  sign,
  startRig,
  statuses,
  until,
} from './connector-standins.js';

const CUSTOMER = '886912345678';

/** Sends one order event and waits for its CRM record (wamid.S1). */
async function sendTemplate(rig: Rig, event = orderEvent('evt_1')): Promise<void> {
  await postEvent(rig.url, event);
  await until(() => rig.crm.messages.has('wamid.S1'), 5000, 'the recorded template');
}

interface Case {
  /** The spec passed to --fault. */
  spec: string;
  /** Runs a scenario and returns what it observed. */
  observe: (rig: Rig) => Promise<unknown>;
  healthy: unknown;
  broken: unknown;
}

/** One scenario per switch: what a healthy connector does, and what the switch turns it into. */
const CASES: Record<FaultName, Case> = {
  'drop-inbound': {
    spec: 'drop-inbound=1',
    async observe(rig) {
      const ack = await postWhatsApp(rig.url, inbound('wamid.1', CUSTOMER, 'hello'));
      await pause(300);
      return { ack: ack.status, written: rig.crm.messages.size };
    },
    healthy: { ack: 200, written: 1 },
    broken: { ack: 200, written: 0 },
  },
  'drop-outbound': {
    spec: 'drop-outbound=1',
    async observe(rig) {
      const ack = await postEvent(rig.url, orderEvent('evt_1'));
      await pause(300);
      return { ack: ack.status, sends: rig.wa.sends().length };
    },
    healthy: { ack: 200, sends: 1 },
    broken: { ack: 200, sends: 0 },
  },
  'drop-status': {
    spec: 'drop-status=1',
    async observe(rig) {
      await sendTemplate(rig);
      await postWhatsApp(rig.url, statuses([{ id: 'wamid.S1', status: 'delivered', to: CUSTOMER }]));
      await pause(300);
      return rig.crm.messages.get('wamid.S1')?.['status'] ?? null;
    },
    healthy: 'delivered',
    broken: null,
  },
  'slow-crm': {
    spec: 'slow-crm=400ms',
    async observe(rig) {
      await postWhatsApp(rig.url, inbound('wamid.1', CUSTOMER, 'hello'));
      await pause(300);
      return rig.crm.messages.has('wamid.1');
    },
    healthy: true,
    broken: false,
  },
  'slow-ack': {
    spec: 'slow-ack=400ms',
    async observe(rig) {
      const r = await postWhatsApp(rig.url, inbound('wamid.1', CUSTOMER, 'hello'));
      return r.ms >= 350;
    },
    healthy: false,
    broken: true,
  },
  cap: {
    spec: 'cap=1',
    async observe(rig) {
      for (let i = 0; i < 3; i++)
        await postWhatsApp(rig.url, inbound(`wamid.${i}`, `1555000000${i}`, 'hello'));
      await pause(500);
      return rig.crm.messages.size;
    },
    healthy: 3,
    broken: 1,
  },
  'skip-signature-check': {
    spec: 'skip-signature-check',
    async observe(rig) {
      const body = inbound('wamid.1', CUSTOMER, 'hello');
      return (await postWhatsApp(rig.url, body, { signature: sign('not-the-secret', JSON.stringify(body)) }))
        .status;
    },
    healthy: 403,
    broken: 200,
  },
  'no-retry': {
    spec: 'no-retry',
    async observe(rig) {
      rig.crm.script((s) => s.method === 'POST' && s.path.endsWith('/messages'), 503, {
        error: { code: 'unavailable', message: 'x' },
      });
      await postWhatsApp(rig.url, inbound('wamid.1', CUSTOMER, 'hello'));
      await pause(800);
      return { written: rig.crm.messages.has('wamid.1'), errorLogs: rig.crm.errorLogs.length };
    },
    healthy: { written: true, errorLogs: 0 },
    broken: { written: false, errorLogs: 1 },
  },
  'no-dedupe': {
    spec: 'no-dedupe',
    async observe(rig) {
      await postEvent(rig.url, orderEvent('evt_1'));
      await postEvent(rig.url, orderEvent('evt_1'));
      await pause(400);
      return rig.wa.sends().length;
    },
    healthy: 1,
    broken: 2,
  },
  'status-regress': {
    spec: 'status-regress',
    async observe(rig) {
      await sendTemplate(rig);
      await postWhatsApp(rig.url, statuses([{ id: 'wamid.S1', status: 'read', to: CUSTOMER }]));
      await postWhatsApp(rig.url, statuses([{ id: 'wamid.S1', status: 'delivered', to: CUSTOMER }]));
      await pause(300);
      return rig.crm.messages.get('wamid.S1')?.['status'];
    },
    healthy: 'read',
    broken: 'delivered',
  },
  'no-normalize': {
    spec: 'no-normalize',
    async observe(rig) {
      await postEvent(rig.url, orderEvent('evt_1'));
      await until(() => rig.wa.sends().length === 1, 5000, 'the send');
      return rig.wa.sends()[0]?.body['to'];
    },
    healthy: '+886912345678',
    broken: '0912-345-678',
  },
  'ignore-consent': {
    spec: 'ignore-consent',
    async observe(rig) {
      const e = orderEvent('evt_mk');
      const contact = { ...(e['contact'] as object), consent: 'none' };
      await postEvent(rig.url, {
        ...e,
        contact,
        action: { ...(e['action'] as object), category: 'MARKETING' },
      });
      await pause(400);
      return rig.wa.sends().length;
    },
    healthy: 0,
    broken: 1,
  },
  'no-handover': {
    spec: 'no-handover',
    async observe(rig) {
      await postWhatsApp(rig.url, inbound('wamid.1', CUSTOMER, 'I have a complaint'));
      await until(() => rig.crm.messages.has('wamid.1'), 5000, 'the message');
      await pause(300);
      return rig.crm.handovers.length;
    },
    healthy: 1,
    broken: 0,
  },
  'no-tags': {
    spec: 'no-tags',
    async observe(rig) {
      await postWhatsApp(rig.url, inbound('wamid.1', CUSTOMER, 'I want a refund'));
      await until(() => rig.crm.messages.has('wamid.1'), 5000, 'the message');
      await pause(300);
      return rig.crm.byPhone('+886912345678')?.tags;
    },
    healthy: ['refund'],
    broken: [],
  },
  'ignore-retry-after': {
    spec: 'ignore-retry-after',
    async observe(rig) {
      const limited = { error: { code: 'rate_limited', message: 'limit', details: [] } };
      rig.crm.script((s) => s.path === '/api/v1/contacts', 429, limited, { headers: { 'retry-after': '2' } });
      await postWhatsApp(rig.url, inbound('wamid.1', CUSTOMER, 'hello'));
      await pause(1000);
      // Honoured, nothing but the 429 reached the CRM in that second.
      return rig.crm.seen.length > 1;
    },
    healthy: false,
    broken: true,
  },
  'no-window-check': {
    spec: 'no-window-check',
    async observe(rig) {
      const dayAgo = Math.floor(Date.now() / 1000) - 25 * 3600;
      await postWhatsApp(rig.url, inbound('wamid.1', CUSTOMER, 'confirm my order', dayAgo));
      await until(() => rig.crm.messages.has('wamid.1'), 5000, 'the message');
      await pause(300);
      return rig.wa.sends().map((s) => s.body['type']);
    },
    healthy: ['template'],
    broken: ['text'],
  },
  'wrong-params': {
    spec: 'wrong-params',
    async observe(rig) {
      await sendTemplate(rig);
      const template = rig.wa.sends()[0]?.body['template'] as {
        components: Array<{ parameters: Array<{ text: string }> }>;
      };
      return template.components[0]?.parameters.map((p) => p.text);
    },
    healthy: ['Ana', 'A-1001'],
    broken: ['anA #', 'A-1001'],
  },
};

describe('every fault switch changes what the connector observably does', () => {
  it('has a case for each switch', () => {
    expect(Object.keys(CASES).sort()).toEqual(Object.keys(FAULT_SWITCHES).sort());
  });

  for (const [name, c] of Object.entries(CASES)) {
    it(`${c.spec}`, async () => {
      // The healthy and the broken connector each get their own rig (own ports, own stand-ins), so the
      // two observations run side by side: half the wall clock of running them one after the other.
      const observe = async (faults: readonly string[], expected: unknown) => {
        const rig = await startRig({ retryDelayMs: 300, drainTimeoutMs: 300 }, [...faults]);
        try {
          expect(await c.observe(rig), `${name} ${faults.length ? 'on' : 'off'}`).toEqual(expected);
          if (faults.length) {
            const stats = (await (await fetch(`${rig.url}/stats`)).json()) as {
              faults: { active: string[] };
            };
            expect(stats.faults.active).toEqual([c.spec]);
          }
        } finally {
          await rig.close();
        }
      };
      await Promise.all([observe([], c.healthy), observe([c.spec], c.broken)]);
    });
  }
});
