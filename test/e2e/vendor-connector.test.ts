/**
 * A vendor's path, first try: a connector written here from docs/testing-your-connector.md alone
 * (plain node:http + fetch, no import of connector/) is configured from `wacrm up --print-env`,
 * graded by `wacrm run --connector-url` without a restart, and each mis-wired variant stops at
 * preflight with exit 3 and the one line naming what is wrong.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WacrmError } from '../../src/errors.js';
import { freePort } from '../integration/conformance-proxy.js';
import { type CliRun, wacrm } from './cli.js';

/** KEY=value lines of an .env file. */
function parseEnv(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] !== undefined && m[2] !== undefined) env[m[1]] = m[2];
  }
  return env;
}

/** True when the request's `header` carries the sha256 HMAC of `raw` under `secret`, as both mocks sign. */
function signedBy(secret: string, raw: Buffer, req: http.IncomingMessage, header: string): boolean {
  const sent = req.headers[header];
  const want = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
  const got = Buffer.from(typeof sent === 'string' ? sent : '');
  return got.length === want.length && timingSafeEqual(got, want);
}

/** The value at `contact.name` / `data.order_id` in a CRM event, as text. */
function refValue(event: Record<string, unknown>, ref: unknown): string {
  if (typeof ref !== 'string') return '';
  let v: unknown = event;
  for (const part of ref.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
  return v === undefined || v === null ? '' : String(v);
}

/**
 * The vendor's connector: what docs/testing-your-connector.md asks of one. Verifies the handshake
 * and both signatures, forwards each customer message to the CRM (contact upsert) and sends the
 * template a CRM event asks for.
 */
async function startVendorConnector(
  env: Record<string, string>,
): Promise<{ url: string; close(): Promise<void> }> {
  const wa = `${env['WHATSAPP_BASE_URL']}/${env['WHATSAPP_API_VERSION']}/${env['WHATSAPP_PHONE_NUMBER_ID']}`;
  const crm = env['CRM_BASE_URL'] as string;
  const background = (p: Promise<unknown>) => p.catch(() => undefined);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const url = new URL(req.url ?? '/', 'http://connector');
      if (req.method === 'GET' && url.pathname === '/webhooks/whatsapp') {
        const ok =
          url.searchParams.get('hub.mode') === 'subscribe' &&
          url.searchParams.get('hub.verify_token') === env['WHATSAPP_VERIFY_TOKEN'];
        res.writeHead(ok ? 200 : 403).end(ok ? (url.searchParams.get('hub.challenge') ?? '') : 'forbidden');
        return;
      }
      if (req.method === 'POST' && url.pathname === '/webhooks/whatsapp') {
        if (!signedBy(env['WHATSAPP_APP_SECRET'] as string, raw, req, 'x-hub-signature-256')) {
          res.writeHead(401).end('bad signature');
          return;
        }
        res.writeHead(200).end('ok');
        const body = JSON.parse(raw.toString('utf8')) as {
          entry?: {
            changes?: {
              value?: { messages?: { from: string }[]; contacts?: { profile?: { name?: string } }[] };
            }[];
          }[];
        };
        for (const entry of body.entry ?? []) {
          for (const change of entry.changes ?? []) {
            for (const m of change.value?.messages ?? []) {
              background(
                fetch(`${crm}/contacts`, {
                  method: 'POST',
                  headers: {
                    authorization: `Bearer ${env['CRM_TOKEN']}`,
                    'content-type': 'application/json',
                  },
                  body: JSON.stringify({
                    phone: `+${m.from}`,
                    name: change.value?.contacts?.[0]?.profile?.name,
                  }),
                }),
              );
            }
          }
        }
        return;
      }
      if (req.method === 'POST' && url.pathname === '/webhooks/crm') {
        if (!signedBy(env['CRM_WEBHOOK_SECRET'] as string, raw, req, 'x-crm-signature')) {
          res.writeHead(401).end('bad signature');
          return;
        }
        res.writeHead(200).end('ok');
        const event = JSON.parse(raw.toString('utf8')) as Record<string, unknown> & {
          contact: { phone: string };
          action: { template: string; language: string; parameters?: { body?: unknown } };
        };
        // Positional refs (an array) or named ones (an object), as docs/crm-api.md describes.
        const refs: unknown = event.action.parameters?.body ?? [];
        const body = Array.isArray(refs)
          ? refs.map((ref) => ({ type: 'text', text: refValue(event, ref) }))
          : Object.entries(refs as Record<string, unknown>).map(([name, ref]) => ({
              type: 'text',
              parameter_name: name,
              text: refValue(event, ref),
            }));
        background(
          fetch(`${wa}/messages`, {
            method: 'POST',
            headers: {
              authorization: `Bearer ${env['WHATSAPP_ACCESS_TOKEN']}`,
              'content-type': 'application/json',
            },
            body: JSON.stringify({
              messaging_product: 'whatsapp',
              to: event.contact.phone.replace(/\D/g, ''),
              type: 'template',
              template: {
                name: event.action.template,
                language: { code: event.action.language },
                ...(body.length > 0 ? { components: [{ type: 'body', parameters: body }] } : {}),
              },
            }),
          }),
        );
        return;
      }
      res.writeHead(404).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let dir: string;
let ports: string[];
let env: Record<string, string>;
const SCENARIO = `name: vendor-e2e
description: a short template delivery for a connector wacrm did not start
seed: 7
acceptance: ${JSON.stringify(resolve('scenarios/acceptance.yaml'))}
suites:
  - kind: template-delivery
    templates: 2
    sendsPerTemplate: 3
    rate: 120/min
    deadline: 10s
`;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'wacrm-vendor-'));
  await writeFile(join(dir, 'vendor-e2e.yaml'), SCENARIO);
  // The docs use the default ports 4010/4020; the test picks free ones so parallel runs do not collide.
  ports = ['--whatsapp-port', String(await freePort()), '--crm-port', String(await freePort())];
  // Step 1 of the docs: `wacrm up --print-env > .env`, then configure the connector from it.
  const up = await wacrm(['up', '--print-env', ...ports]);
  expect(up.error).toBeUndefined();
  env = parseEnv(up.lines.join('\n'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Step 2 of the docs: `wacrm run --connector-url URL scenario`, on the test's ports, reports in `out`. */
function gradeRun(connectorUrl: string, out: string): Promise<CliRun> {
  return wacrm([
    'run',
    '--connector-url',
    connectorUrl,
    ...ports,
    '--quiet',
    '--out',
    out,
    join(dir, 'vendor-e2e.yaml'),
  ]);
}

/** The run stopped at preflight: exit 3, WACRM_PREFLIGHT_FAILED, and one line matching `reason`. */
function expectPreflightStop(run: CliRun, reason: RegExp): void {
  expect(run.error).toBeInstanceOf(WacrmError);
  const err = run.error as WacrmError;
  expect(err.code).toBe('WACRM_PREFLIGHT_FAILED');
  expect(err.exitCode).toBe(3);
  expect(err.message).toMatch(reason);
  expect(err.message).not.toContain('\n');
}

describe('a vendor connector configured from `wacrm up --print-env`', () => {
  it('is graded by `wacrm run --connector-url` with no restart', async () => {
    expect(Object.keys(env)).toEqual(
      expect.arrayContaining(['WHATSAPP_BASE_URL', 'WHATSAPP_ACCESS_TOKEN', 'CRM_BASE_URL', 'CRM_TOKEN']),
    );
    const connector = await startVendorConnector(env);
    try {
      const out = join(dir, 'graded');
      // Step 2 of the docs: `wacrm run --connector-url http://127.0.0.1:8080 scenarios/vendor.yaml`.
      const run = await gradeRun(connector.url, out);
      // Graded: a pass (0) or a failed threshold (1), never a wiring stop (3).
      if (run.error !== undefined) {
        expect(run.error).toBeInstanceOf(WacrmError);
        expect((run.error as WacrmError).code).toBe('WACRM_THRESHOLD_FAILED');
      }
      const summary = JSON.parse(await readFile(join(out, 'summary.json'), 'utf8')) as {
        environment?: {
          connector?: {
            kind: string;
            url?: string;
            external?: { credentials: string; crmRateLimitPerMin: number; refusedCalls: object };
          };
        };
      };
      expect(summary.environment?.connector?.kind).toBe('external');
      expect(summary.environment?.connector?.url?.replace(/\/$/, '')).toBe(connector.url);
      // The report states the wiring (no secrets), what the mocks refused, and the CRM limit.
      expect(summary.environment?.connector?.external).toMatchObject({
        credentials: 'documented defaults',
        crmRateLimitPerMin: 1500, // the scenario's default plan (enterprise)
      });
      expect(run.lines.some((l) => l.startsWith('CRM rate limit enforced: 1500/min'))).toBe(true);
      // The connector's sends reached the WhatsApp mock: the template suite measured deliveries.
      const text = await readFile(join(out, 'summary.json'), 'utf8');
      expect(text).not.toContain(env['WHATSAPP_APP_SECRET']);
      expect(text).not.toContain(env['CRM_TOKEN']);
    } finally {
      await connector.close();
    }
  }, 60_000);

  const miswired: Array<[string, (e: Record<string, string>) => Record<string, string>, RegExp]> = [
    [
      'a wrong verify token',
      () => ({ WHATSAPP_VERIFY_TOKEN: 'not-the-token' }),
      /^preflight: wrong verify token/,
    ],
    ['a wrong app secret', () => ({ WHATSAPP_APP_SECRET: 'not-the-secret' }), /^preflight: wrong app secret/],
    ['a wrong CRM token', () => ({ CRM_TOKEN: 'not-the-token' }), /^preflight: CRM token refused/],
    [
      'a wrong WhatsApp access token',
      () => ({ WHATSAPP_ACCESS_TOKEN: 'not-the-token' }),
      /^preflight: access token refused/,
    ],
    [
      'a wrong WhatsApp base URL',
      () => ({ WHATSAPP_API_VERSION: 'graph/v23.0' }),
      /^preflight: wrong WhatsApp base URL or version/,
    ],
    [
      'a wrong CRM base URL',
      (e) => ({ CRM_BASE_URL: `${e['CRM_BASE_URL']}/v2` }),
      /^preflight: wrong CRM base URL/,
    ],
  ];
  for (const [what, override, reason] of miswired) {
    it(`stops at preflight with exit 3 on ${what}`, async () => {
      const connector = await startVendorConnector({ ...env, ...override(env) });
      try {
        const out = join(dir, what.replace(/\W+/g, '-'));
        expectPreflightStop(await gradeRun(connector.url, out), reason);
      } finally {
        await connector.close();
      }
    }, 30_000);
  }
});
