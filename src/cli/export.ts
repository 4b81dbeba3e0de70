import type { Command } from 'commander';
import { WacrmError } from '../errors.js';
import { exportK6 } from '../export/index.js';
import type { Io } from './io.js';

interface ExportK6Flags {
  out: string;
  suite?: string;
  parallelism: string;
  startAt?: string;
  timeScale?: string;
  connectorUrl?: string;
  whatsappUrl?: string;
  crmUrl?: string;
  image?: string;
}

function wholeNumber(flag: string, value: string, min: number, max: number): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < min || n > max) {
    throw new WacrmError(
      'WACRM_USAGE',
      `${flag} must be a whole number from ${min} to ${max}, got ${JSON.stringify(value)}`,
    );
  }
  return n;
}

/** `wacrm export k6 SCENARIO --out DIR`: hands a scenario's load to k6 and k6-operator (docs/distributed.md). */
export function registerExportCommand(program: Command, io: Io): void {
  const exp = program.command('export').description('write a scenario for another load generator (k6)');
  exp
    .command('k6')
    .description(
      "write a TypeScript k6 script (ramping-arrival-rate) for the scenario's capacity or soak suite, with a k6-operator TestRun and the mocks as Kubernetes services",
    )
    .argument('<scenario>', 'scenario file (.yaml or .json)')
    .requiredOption('--out <dir>', 'directory to write script.ts, wire.js, flows.json and k8s/ into')
    .option('--suite <kind>', 'capacity or soak, when the scenario has both (default: the first)')
    .option('--parallelism <n>', 'k6-operator runners in the TestRun (each plays an equal share)', '1')
    .option('--start-at <iso>', 'soak: the wall-clock start its daily shape is laid on (default: now)')
    .option('--time-scale <n>', "soak: compress the timeline (overrides the suite's timeScale)")
    .option(
      '--connector-url <url>',
      "the connector's base URL (default http://127.0.0.1:4030; k8s: http://connector:4030)",
    )
    .option(
      '--whatsapp-url <url>',
      "the WhatsApp mock's base URL the script's setup calls (default http://127.0.0.1:4010)",
    )
    .option(
      '--crm-url <url>',
      "the CRM mock's base URL the script's setup calls (default http://127.0.0.1:4020)",
    )
    .option(
      '--image <image>',
      'container image with wacrm installed, for the mock Deployments',
      'wacrm:local',
    )
    .addHelpText(
      'after',
      '\nExample:\n  wacrm export k6 scenarios/step-ramp.yaml --out k6/ --parallelism 4\n  k6 run k6/script.ts\n' +
        'Exit code 2 when the scenario has no suite k6 can play; docs/distributed.md walks through it.',
    )
    .action(async (scenario: string, flags: ExportK6Flags) => {
      if (flags.suite !== undefined && flags.suite !== 'capacity' && flags.suite !== 'soak') {
        throw new WacrmError(
          'WACRM_USAGE',
          `--suite must be capacity or soak, got ${JSON.stringify(flags.suite)}`,
        );
      }
      let startEpochMs: number | undefined;
      if (flags.startAt !== undefined) {
        startEpochMs = Date.parse(flags.startAt);
        if (!Number.isFinite(startEpochMs)) {
          throw new WacrmError(
            'WACRM_USAGE',
            `--start-at must be an ISO date-time such as 2026-12-03T09:00:00Z, got ${JSON.stringify(flags.startAt)}`,
          );
        }
      }
      const result = await exportK6({
        scenarioFile: scenario,
        outDir: flags.out,
        parallelism: wholeNumber('--parallelism', flags.parallelism, 1, 1000),
        ...(flags.suite !== undefined ? { suite: flags.suite } : {}),
        ...(startEpochMs !== undefined ? { startEpochMs } : {}),
        ...(flags.timeScale !== undefined
          ? { timeScale: wholeNumber('--time-scale', flags.timeScale, 1, 100_000) }
          : {}),
        ...(flags.connectorUrl !== undefined ? { connectorUrl: flags.connectorUrl } : {}),
        ...(flags.whatsappUrl !== undefined ? { whatsappMockUrl: flags.whatsappUrl } : {}),
        ...(flags.crmUrl !== undefined ? { crmMockUrl: flags.crmUrl } : {}),
        ...(flags.image !== undefined ? { image: flags.image } : {}),
      });
      const p = result.plan;
      io.out(`wrote ${result.files.length} files to ${result.outDir}: ${result.files.join(', ')}`);
      io.out(
        `  ${result.suiteKind}: ${p.stages.length} k6 stages over ${Math.round(p.durationMs / 1000)} s, peak ${Math.round(p.peakPerMin)} msg/min, ` +
          `about ${result.expectedIterations} iterations; VUs ${p.preAllocatedVUs} pre-allocated, ${p.maxVUs} max`,
      );
      if (p.roundingPerMin > 0)
        io.out(
          `  rates rounded to whole iterations per ${p.timeUnit}: at most ${p.roundingPerMin.toFixed(4)} msg/min off`,
        );
      io.out(`  run it: k6 run ${result.outDir}/script.ts   (docs/distributed.md for k6-operator)`);
    });
}
