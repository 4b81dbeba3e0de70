import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grade } from '../../src/grading/grade.js';
import { writeReports } from '../../src/report/write.js';
import { fixture, shippedTable } from '../unit/report/fixtures.js';

const run = promisify(execFile);
const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);

let dir: string;
let htmlUrl: string;

/** Headless Chromium with nothing that reaches the network or writes outside `profile`. */
async function chromium(args: string[], profile: string): Promise<{ stdout: string; stderr: string }> {
  return run(
    CHROMIUM,
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${profile}`,
      ...args,
    ],
    { timeout: 45_000, maxBuffer: 32 * 1024 * 1024 },
  );
}

describe.skipIf(!hasChromium)('report.html in headless Chromium', () => {
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wacrm-html-'));
    const result = fixture('pass');
    await writeReports(join(dir, 'run'), result, grade(result, shippedTable()));
    htmlUrl = pathToFileURL(join(dir, 'run', 'report.html')).href;
  });
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('renders every chart (the DOM Chromium built has the SVGs and their series)', async () => {
    const { stdout } = await chromium(['--dump-dom', htmlUrl], join(dir, 'profile-dom'));
    const charts = [...stdout.matchAll(/<svg class="chart"[^>]*aria-label="([^"]+)"/g)].map((m) => m[1]);
    expect(charts).toEqual([
      'Ramp: latency percentiles against offered rate',
      'Ramp: error rate and resources (connector, harness) against offered rate',
      'Throughput over time',
      'p95 latency over time',
      'Soak: volume and p95 latency per window',
      'Soak: error rate and connector memory per window',
      'Faults and recovery on the run timeline',
      'Per-hop latency breakdown',
    ]);
    expect(stdout.match(/class="line"/g)?.length).toBeGreaterThan(10);
    expect(stdout.match(/<svg class="bullet"/g)).toHaveLength(5);
    expect(stdout).toContain('>PASS</div>');
  });

  it('takes a full screenshot that is a real, non-blank PNG', async () => {
    const png = join(dir, 'report.png');
    await chromium([`--screenshot=${png}`, '--window-size=1280,2400', htmlUrl], join(dir, 'profile-shot'));
    const bytes = await readFile(png);
    // PNG signature, then the IHDR chunk with the width and height asked for.
    expect(bytes.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    expect(bytes.subarray(12, 16).toString('ascii')).toBe('IHDR');
    expect(bytes.readUInt32BE(16)).toBe(1280);
    expect(bytes.readUInt32BE(20)).toBe(2400);
    // A blank or near-blank 1280×2400 page compresses to a few KB; the report is tens of KB at least.
    expect((await stat(png)).size).toBeGreaterThan(60_000);
  });
});
