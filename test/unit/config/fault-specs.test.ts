import { describe, expect, it } from 'vitest';
import { connectorFaultProblem, mockFaultProblem } from '../../../src/config/fault-specs.js';
import { formatIssue, parseScenarioText } from '../../../src/config/index.js';

function issues(text: string): string[] {
  const out = parseScenarioText(text, 's.yaml');
  if (out.ok) throw new Error('expected the scenario to be invalid');
  return out.issues.map(formatIssue);
}

const recovery = (spec: string) => `name: x
suites:
  - kind: fault-recovery
    faults:
      - { target: whatsapp, spec: '${spec}', at: 5s, for: 10s }
`;

describe('fault specs are parsed at load time with the grammars that run them', () => {
  it('refuses mock fault values the mocks would refuse, at FILE:LINE:COL', () => {
    const outage = issues(recovery('outage=nope'));
    expect(outage).toHaveLength(1);
    expect(outage[0]).toMatch(
      /^s\.yaml:5:35 suites\[0\]\.faults\[0\]\.spec: invalid fault "outage=nope": outage mode "nope"/,
    );
    const latency = issues(recovery('latency=fast'));
    expect(latency[0]).toMatch(
      /^s\.yaml:5:35 suites\[0\]\.faults\[0\]\.spec: invalid fault "latency=fast": latency delay/,
    );
    expect(issues(recovery('error=131000:lots'))[0]).toMatch(/error rate/);
    expect(issues(recovery('rate-limit=soon'))[0]).toMatch(/Retry-After/);
  });

  it('accepts the documented mock fault forms', () => {
    for (const spec of [
      'outage=unavailable',
      'latency=2s',
      'error=131000:0.05',
      'rate-limit=5s:1',
      'webhook-delay=uniform(1s,3s)',
      'media-download=hang',
      'media-download=fail:0.5',
    ]) {
      expect(mockFaultProblem(spec), spec).toBeNull();
      expect(parseScenarioText(recovery(spec), 's.yaml').ok, spec).toBe(true);
    }
  });

  it('refuses media-download values the mock would refuse, and media faults aimed at the CRM', () => {
    expect(issues(recovery('media-download=slow'))[0]).toMatch(
      /^s\.yaml:5:35 suites\[0\]\.faults\[0\]\.spec: invalid fault "media-download=slow": media-download mode "slow"/,
    );
    const crm = issues(recovery('media-download=hang').replace('target: whatsapp', 'target: crm'));
    expect(crm.join('\n')).toMatch(/faults\[0\]\.spec: media-download faults apply to target whatsapp only/);
  });

  it('refuses reference-connector switches the connector would refuse at start-up', () => {
    const bad = (f: string) => issues(`name: x\nconnector:\n  faults: ['${f}']\nsuites:\n  - kind: soak\n`);
    expect(bad('drop-inbound=lots').join('\n')).toMatch(
      /^s\.yaml:3:12 connector\.faults\[0\]: fault 'drop-inbound': 'lots' is not a share/m,
    );
    expect(bad('slow-crm=fast').join('\n')).toMatch(/fault 'slow-crm': 'fast' is not a duration/);
    expect(bad('ignore-consent=yes').join('\n')).toMatch(/takes no value/);
    expect(bad('drop-everything').join('\n')).toMatch(/unknown fault 'drop-everything'/);
    expect(connectorFaultProblem('ignore-consent')).toBeNull();
    expect(connectorFaultProblem('cap=600')).toBeNull();
  });
});
