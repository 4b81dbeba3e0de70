import { execFile } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RealClock } from '../../kernel/clock.js';
import { verifySignature } from '../../kernel/signing.js';
import type * as Wire from '../../kernel/wire.js';
import { buildCrmMock } from '../../mocks/crm/index.js';
import { buildWhatsAppMock } from '../../mocks/whatsapp/index.js';
import { type ExportK6Result, exportK6, k6Options } from '../../src/export/index.js';
import { MOCK_DEFAULT_CREDENTIALS, type Stack, startStack } from '../../src/run/stack.js';

// The exported script against real code: tsc with @types/k6, its wire.js under Node against the mocks'
// own deliveries (same bytes) and against the reference connector (accepted and acted on).

const ROOT = resolve(import.meta.dirname, '../..');
const run = promisify(execFile);
const hmac: Wire.HmacSha256Hex = (secret, body) => createHmac('sha256', secret).update(body).digest('hex');
const creds = MOCK_DEFAULT_CREDENTIALS;
const envelope = {
  wabaId: creds.wabaId,
  phoneNumberId: creds.phoneNumberId,
  displayPhoneNumber: creds.displayPhoneNumber,
};

let dir: string;
let result: ExportK6Result;
let wire: typeof Wire;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'k6x-export-'));
  result = await exportK6({
    scenarioFile: join(ROOT, 'scenarios/step-ramp.yaml'),
    outDir: join(dir, 'out'),
    parallelism: 3,
  });
  wire = (await import(pathToFileURL(join(dir, 'out', 'wire.js')).href)) as typeof Wire;
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** tsc over an export directory with @types/k6 from this checkout; resolves with tsc's exit code and output. */
async function typecheck(outDir: string): Promise<{ code: number; output: string }> {
  await writeFile(
    join(outDir, 'tsconfig.check.json'),
    JSON.stringify({
      extends: './tsconfig.json',
      compilerOptions: { typeRoots: [join(ROOT, 'node_modules/@types')] },
    }),
  );
  try {
    const r = await run(process.execPath, [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      '-p',
      join(outDir, 'tsconfig.check.json'),
    ]);
    return { code: 0, output: r.stdout + r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
}

describe('wacrm export k6: the files', () => {
  it('writes the script, the harness wire code, the flows, a tsconfig and the manifests', async () => {
    expect(result.files).toEqual([
      'script.ts',
      'wire.js',
      'wire.d.ts',
      'flows.json',
      'tsconfig.json',
      'k8s/mocks.yaml',
      'k8s/testrun.yaml',
    ]);
    // All of them go into one ConfigMap, which Kubernetes caps at 1 MiB.
    let bytes = 0;
    for (const f of ['script.ts', 'wire.js', 'flows.json'])
      bytes += (await stat(join(result.outDir, f))).size;
    expect(bytes).toBeLessThan(1024 * 1024);
    const built = await readFile(join(ROOT, 'dist/kernel/wire.js'), 'utf8');
    const copied = await readFile(join(result.outDir, 'wire.js'), 'utf8');
    expect(built.startsWith(copied.trimEnd())).toBe(true);
    const testRun = await readFile(join(result.outDir, 'k8s/testrun.yaml'), 'utf8');
    expect(testRun).toContain('kind: TestRun');
    expect(testRun).toContain('parallelism: 3');
    const mocks = await readFile(join(result.outDir, 'k8s/mocks.yaml'), 'utf8');
    expect(mocks).toMatch(/- mock\n\s+- whatsapp/);
    expect(mocks).toMatch(/- mock\n\s+- crm/);
    expect(mocks).toContain('- enterprise'); // the scenario's CRM plan
  });

  it('the script carries exactly the plan’s options (stages of the step plan, thresholds)', async () => {
    const script = await readFile(join(result.outDir, 'script.ts'), 'utf8');
    const m = /export const options: Options = (\{[\s\S]*?\n\});/.exec(script);
    expect(m).not.toBeNull();
    const options = JSON.parse(m?.[1] ?? '{}') as ReturnType<typeof k6Options>;
    expect(options).toEqual(k6Options(result.plan));
    const sc = (
      options.scenarios as Record<string, { stages: Array<{ target: number }>; startRate: number }>
    )['capacity'];
    // step-ramp.yaml: 500 msg/min + 200 per step up to 10,000: 48 steps held, 47 jumps between them.
    expect(sc?.startRate).toBe(500);
    expect(sc?.stages).toHaveLength(95);
    expect(sc?.stages.at(-1)?.target).toBe(9900);
  });

  it('type-checks against @types/k6, and a wrong executor name does not', async () => {
    const good = await typecheck(result.outDir);
    expect(good.output).toBe('');
    expect(good.code).toBe(0);
    const bad = join(dir, 'bad');
    await cp(result.outDir, bad, { recursive: true });
    const script = await readFile(join(bad, 'script.ts'), 'utf8');
    await writeFile(
      join(bad, 'script.ts'),
      script.replace('"ramping-arrival-rate"', '"ramping-arrival-rat"'),
    );
    const broken = await typecheck(bad);
    expect(broken.code).not.toBe(0);
    expect(broken.output).toContain('ramping-arrival-rat');
  }, 60_000);
});

/** A webhook receiver that keeps what it was sent. */
async function capture(): Promise<{
  url: string;
  got: Array<{ headers: IncomingHttpHeaders; body: string }>;
  close: () => Promise<void>;
}> {
  const got: Array<{ headers: IncomingHttpHeaders; body: string }> = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      got.push({ headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(200).end('ok');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    got,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the exported wire code makes the mocks’ own bytes', () => {
  it('an inbound text webhook: same body and X-Hub-Signature-256 as the WhatsApp mock sends', async () => {
    const hook = await capture();
    const app = buildWhatsAppMock({ ...creds, webhookUrl: hook.url });
    try {
      app.whatsapp.sendInbound({
        from: '886912345678',
        type: 'text',
        text: { body: 'Olá / 我要投诉 😀 "quoted"' },
        profile: { name: 'Zoë 林' },
      });
      await until(() => hook.got.length === 1, 5000, 'the mock’s webhook');
      const sent = hook.got[0] as { headers: IncomingHttpHeaders; body: string };
      const value = (
        JSON.parse(sent.body) as { entry: Array<{ changes: Array<{ value: Record<string, unknown> }> }> }
      ).entry[0]?.changes[0]?.value as { messages: Array<{ id: string; timestamp: string }> };
      const msg = value.messages[0] as { id: string; timestamp: string };
      const body = wire.metaJson(
        wire.inboundWebhook(
          envelope,
          wire.inboundTextMessage({
            from: '886912345678',
            wamid: msg.id,
            timestampSec: Number(msg.timestamp),
            text: 'Olá / 我要投诉 😀 "quoted"',
          }),
          { name: 'Zoë 林', waId: '886912345678' },
        ),
      );
      const post = wire.whatsappWebhookPost(body, creds.appSecret, hmac);
      expect(post.body).toBe(sent.body);
      expect(post.headers['x-hub-signature-256']).toBe(sent.headers['x-hub-signature-256']);
      expect(post.headers['user-agent']).toBe(sent.headers['user-agent']);
      expect(/^[\x20-\x7e]*$/.test(post.body)).toBe(true); // Meta's escaping: pure ASCII
    } finally {
      await app.close();
      await hook.close();
    }
  });

  it('a CRM event: same body and X-CRM-Signature as the CRM mock sends', async () => {
    const hook = await capture();
    const app = buildCrmMock({
      token: creds.crmToken,
      webhookSecret: creds.crmWebhookSecret,
      webhookUrl: hook.url,
    });
    try {
      const contact = app.crm.createContact({ phone: '+966501234567', name: 'ليلى', language: 'ar' });
      app.crm.emitEvent({
        type: 'order.created',
        contact_id: contact.id,
        data: { order_id: 'A/1', note: 'é 😀' },
        action: {
          channel: 'whatsapp',
          template: 'order_confirmation',
          language: 'ar',
          category: 'UTILITY',
          parameters: { body: ['contact.name', 'data.order_id'] },
        },
      } as Parameters<typeof app.crm.emitEvent>[0]);
      await until(() => hook.got.length === 1, 5000, 'the mock’s event');
      const sent = hook.got[0] as { headers: IncomingHttpHeaders; body: string };
      const post = wire.crmEventSignedPost(
        JSON.parse(sent.body) as Wire.CrmEventBody,
        creds.crmWebhookSecret,
        hmac,
      );
      expect(post.body).toBe(sent.body);
      expect(post.headers['x-crm-signature']).toBe(sent.headers['x-crm-signature']);
    } finally {
      await app.close();
      await hook.close();
    }
  });
});

describe('the exported wire code against the reference connector', () => {
  let stack: Stack | undefined;
  afterAll(async () => {
    await stack?.close();
  });

  it('accepts a signed customer message and a signed CRM event built as the script builds them, and acts on both', async () => {
    stack = await startStack({
      clock: new RealClock(),
      seed: 3,
      whatsapp: { throughputPerSec: 1000 },
      crm: { plan: 'enterprise', seedContacts: { count: 5 } },
      connector: { kind: 'reference', faults: [], args: [] },
      credentials: creds,
    });
    const s = stack;
    const pool = JSON.parse(await readFile(join(result.outDir, 'flows.json'), 'utf8')) as {
      contacts: Array<Record<string, unknown> & { phone: string }>;
      inbound: Wire.CustomerText[];
      outbound: Array<{
        contact: number;
        type: string;
        data: Record<string, unknown>;
        action: Record<string, unknown>;
      }>;
    };
    // As setup() does: the customer's window opened through the mock, the contact created through the admin API.
    const m = pool.inbound[0] as Wire.CustomerText;
    s.whatsapp.sendInbound({
      from: m.from,
      type: 'text',
      text: { body: 'Hello' },
      profile: { name: m.name },
    });
    const o = pool.outbound[0] as (typeof pool.outbound)[number];
    const created = await fetch(`${s.crmUrl}/_mock/contacts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(pool.contacts[o.contact]),
    });
    expect([200, 201]).toContain(created.status);
    const contact = (await created.json()) as Record<string, unknown>;

    const inbound = wire.inboundTextPost(envelope, m, 4242, Date.now(), creds.appSecret, hmac);
    expect(verifySignature(creds.appSecret, inbound.body, inbound.headers['x-hub-signature-256'])).toBe(true);
    const a = await fetch(`${s.connectorUrl}/webhooks/whatsapp`, {
      method: 'POST',
      headers: inbound.headers,
      body: inbound.body,
    });
    expect(a.status).toBe(200);

    const event = wire.crmEventSignedPost(
      {
        id: 'evt_k6test1',
        type: o.type,
        created_at: new Date().toISOString(),
        contact,
        data: o.data,
        action: o.action,
      },
      creds.crmWebhookSecret,
      hmac,
    );
    expect(verifySignature(creds.crmWebhookSecret, event.body, event.headers['x-crm-signature'])).toBe(true);
    const b = await fetch(s.crmWebhookUrl, { method: 'POST', headers: event.headers, body: event.body });
    expect(b.status).toBeLessThan(300);

    // The connector wrote the k6 message into the CRM under its wamid, and sent the event's template.
    await until(
      () =>
        s.crm.journal.query({ kind: 'message.created' }).some((e) => e.data['waMessageId'] === inbound.wamid),
      10_000,
      'the inbound message in the CRM',
    );
    await until(
      () =>
        s.whatsapp.journal
          .query({ kind: 'message.accepted' })
          .some((e) => e.data['templateName'] === (o.action['template'] as string)),
      10_000,
      'the template send',
    );
    // Nothing the connector did for these flows was refused by the CRM (an event id the CRM mock never
    // stored included): the k6-sent flows are flows the stack can carry.
    const refused = s.crm.journal
      .query({ kind: 'api.request' })
      .filter((e) => Number(e.data['statusCode']) >= 400)
      .map((e) => `${String(e.data['method'])} ${String(e.data['route'])} ${String(e.data['statusCode'])}`);
    expect(refused).toEqual([]);
    expect(s.crm.journal.query({ kind: 'api.request' }).length).toBeGreaterThan(0);
  }, 30_000);
});
