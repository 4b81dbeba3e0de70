/**
 * A vendor's connector as the e2e tests write one: from docs/testing-your-connector.md alone (plain
 * node:http + fetch, no import of connector/), configured from the .env `wacrm up --print-env`
 * prints. `refuseAfterPreflight` makes it answer every webhook POST with that status except the
 * preflight's (about the reserved wiring-check customer +15550100999): a connector that passes the
 * wiring check and then refuses the load, as one behind a WAF or whose secret rotated mid-run does.
 * (A connector refusing everything is stopped by the preflight, rightly, before any report.)
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The customer `wacrm run`'s preflight plays (docs/testing-your-connector.md). */
const PREFLIGHT_CUSTOMER = '15550100999';

/** KEY=value lines of an .env file. */
export function parseEnv(text: string): Record<string, string> {
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
export async function startVendorConnector(
  env: Record<string, string>,
  opts: { refuseAfterPreflight?: number } = {},
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
      if (
        req.method === 'POST' &&
        opts.refuseAfterPreflight !== undefined &&
        !raw.toString('utf8').includes(PREFLIGHT_CUSTOMER)
      ) {
        res.writeHead(opts.refuseAfterPreflight).end('forbidden');
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
