import { stringify } from 'yaml';

/** What the Kubernetes manifests are built from. */
export interface K8sOptions {
  /** A DNS-1123 name for the test (the scenario's name, cleaned). */
  name: string;
  /** k6-operator runners: each plays an equal execution segment of the one global schedule. */
  parallelism: number;
  /** An image with wacrm installed (`wacrm` on the PATH), for the mocks. */
  image: string;
  /** The connector under test as the cluster reaches it, e.g. http://connector:4030. */
  connectorUrl: string;
  /** Paths of the connector's two webhooks. */
  whatsappWebhookPath: string;
  crmWebhookPath: string;
  /** The script's files, all in one ConfigMap (k6 resolves `./wire.js` and `./flows.json` beside script.ts). */
  configMapName: string;
  ports: { whatsapp: number; crm: number };
  /** The scenario's mock settings as `wacrm mock` flags (throughput, plan, rate limit, seed). */
  mockArgs: { whatsapp: string[]; crm: string[] };
}

/** A name Kubernetes accepts for objects and labels: lowercase a-z 0-9 '-', at most 40 characters here. */
export function k8sName(text: string): string {
  const cleaned = text
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  return cleaned === '' ? 'k6-load' : cleaned;
}

const SECRET = 'k6-load-credentials';

function secretEnv(name: string, key: string) {
  return { name, valueFrom: { secretKeyRef: { name: SECRET, key } } };
}

function mock(kind: 'whatsapp' | 'crm', o: K8sOptions): unknown[] {
  const name = `${o.name}-${kind}-mock`;
  const port = o.ports[kind];
  const webhook = `${o.connectorUrl}${kind === 'whatsapp' ? o.whatsappWebhookPath : o.crmWebhookPath}`;
  // `$(VAR)` in args is expanded by Kubernetes from the container's env (the Secret below).
  const args =
    kind === 'whatsapp'
      ? ['mock', 'whatsapp', '--host', '0.0.0.0', '--port', String(port), '--webhook-url', webhook]
          .concat(['--app-secret', '$(APP_SECRET)', '--access-token', '$(ACCESS_TOKEN)'])
          .concat(['--verify-token', '$(VERIFY_TOKEN)'])
      : ['mock', 'crm', '--host', '0.0.0.0', '--port', String(port), '--webhook-url', webhook].concat([
          '--token',
          '$(CRM_TOKEN)',
          '--webhook-secret',
          '$(CRM_WEBHOOK_SECRET)',
        ]);
  args.push(...o.mockArgs[kind]);
  const env =
    kind === 'whatsapp'
      ? [
          secretEnv('APP_SECRET', 'appSecret'),
          secretEnv('ACCESS_TOKEN', 'accessToken'),
          secretEnv('VERIFY_TOKEN', 'verifyToken'),
        ]
      : [secretEnv('CRM_TOKEN', 'crmToken'), secretEnv('CRM_WEBHOOK_SECRET', 'crmWebhookSecret')];
  const labels = { app: name };
  return [
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, labels },
      spec: {
        // One replica: a mock holds the state it grades (journal, windows, limits); it is not sharded.
        replicas: 1,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            containers: [
              {
                name: `${kind}-mock`,
                image: o.image,
                command: ['wacrm'],
                args,
                env,
                ports: [{ containerPort: port, name: 'http' }],
                readinessProbe: {
                  httpGet: { path: '/_mock/health', port },
                  periodSeconds: 2,
                },
              },
            ],
          },
        },
      },
    },
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name, labels },
      spec: { selector: labels, ports: [{ port, targetPort: port, name: 'http' }] },
    },
  ];
}

/** Base URLs of the two mocks inside the cluster. */
export function mockServiceUrls(o: K8sOptions): { whatsapp: string; crm: string } {
  return {
    whatsapp: `http://${o.name}-whatsapp-mock:${o.ports.whatsapp}`,
    crm: `http://${o.name}-crm-mock:${o.ports.crm}`,
  };
}

/**
 * The mocks as Deployments with Services (one replica each), and the Secret both they and the k6
 * runners read the credentials from (the mocks' documented defaults; replace them for a shared cluster).
 */
export function renderMockManifests(o: K8sOptions, credentials: Record<string, string>): string {
  const secret = {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: { name: SECRET },
    type: 'Opaque',
    stringData: credentials,
  };
  return [secret, ...mock('whatsapp', o), ...mock('crm', o)]
    .map((doc) => stringify(doc, { lineWidth: 0 }))
    .join('---\n');
}

/** The k6-operator TestRun: `parallelism` runners over the script's ConfigMap, pointed at the cluster's services. */
export function renderTestRun(o: K8sOptions): string {
  const urls = mockServiceUrls(o);
  const doc = {
    apiVersion: 'k6.io/v1alpha1',
    kind: 'TestRun',
    metadata: { name: o.name },
    spec: {
      parallelism: o.parallelism,
      script: { configMap: { name: o.configMapName, file: 'script.ts' } },
      arguments: `--tag testid=${o.name}`,
      runner: {
        env: [
          { name: 'WA_WEBHOOK_URL', value: `${o.connectorUrl}${o.whatsappWebhookPath}` },
          { name: 'CRM_WEBHOOK_URL', value: `${o.connectorUrl}${o.crmWebhookPath}` },
          { name: 'WHATSAPP_MOCK_URL', value: urls.whatsapp },
          { name: 'CRM_MOCK_URL', value: urls.crm },
          secretEnv('APP_SECRET', 'appSecret'),
          secretEnv('CRM_WEBHOOK_SECRET', 'crmWebhookSecret'),
          secretEnv('WABA_ID', 'wabaId'),
          secretEnv('PHONE_NUMBER_ID', 'phoneNumberId'),
          secretEnv('DISPLAY_PHONE_NUMBER', 'displayPhoneNumber'),
        ],
      },
    },
  };
  return stringify(doc, { lineWidth: 0 });
}
