import type { Band } from '../grading/bands.js';
import { comparator } from '../grading/bands.js';
import { formatBytes, formatDuration, formatMeasured, formatValue } from '../grading/format.js';
import type { GradeSheet } from '../grading/grade.js';
import type { RunResult } from '../result/run-result.js';
import {
  bulletChart,
  faultChart,
  hopChart,
  lineChart,
  PALETTE,
  type Point,
  type Series,
  timeTicks,
} from './charts.js';
import { describeDistributed } from './distributed.js';
import { escapeHtml as esc, redactUrl } from './escape.js';
import { capacitySentence } from './markdown.js';
import { SUMMARY_SCHEMA_VERSION } from './summary.js';
import { describeWiring } from './wiring.js';

/**
 * report.html: one self-contained page (inline CSS and SVG, no script, no fonts, no network) that
 * a QA lead can attach to a release ticket. Sections appear only when the run has their data.
 */

const BAND_LABEL: Record<Band, string> = {
  best: 'Best',
  average: 'Average',
  qualified: 'Qualified',
  fail: 'Fail',
  not_measured: 'Not measured',
};

function bandPill(band: Band): string {
  return `<span class="pill band-${band}">${BAND_LABEL[band]}</span>`;
}

function passPill(passed: boolean | null): string {
  if (passed === null) return '<span class="pill band-not_measured">Not measured</span>';
  return passed ? '<span class="pill band-best">Pass</span>' : '<span class="pill band-fail">Fail</span>';
}

/** m:ss (or h:mm:ss) for the run timeline. */
function clock(ms: number): string {
  const total = Math.round(ms / 1000);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  const mm = h > 0 ? String(m).padStart(2, '0') : String(m);
  return `${h > 0 ? `${h}:` : ''}${mm}:${String(s).padStart(2, '0')}`;
}

const seconds = (ms: number) =>
  ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : `${(ms / 1000).toFixed(1)} s`;
const perMin = (v: number) => v.toLocaleString('en-US', { maximumFractionDigits: 0 });

function section(id: string, title: string, body: string, lead?: string): string {
  return `<section id="${id}"><h2>${esc(title)}</h2>${lead ? `<p class="lead">${lead}</p>` : ''}${body}</section>`;
}

function table(head: string[], rows: string[][], cls = ''): string {
  return `<table class="${cls}"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r) => `<tr>${r.map((c) => `<td>${c}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}

// ---------------------------------------------------------------------------------------------

function header(result: RunResult, sheet: GradeSheet): string {
  const conn = result.environment.connector;
  const connector =
    conn.kind === 'external' && conn.url
      ? `external connector ${esc(redactUrl(conn.url))}`
      : 'reference connector';
  const faults =
    conn.faults.length > 0
      ? ` <span class="warn-text">with fault switches ${esc(conn.faults.join(', '))}</span>`
      : '';
  const verdictText =
    sheet.verdict === 'pass'
      ? 'Every graded metric, check and conformance case passed.'
      : sheet.verdict === 'fail'
        ? `${sheet.failures.length} item${sheet.failures.length === 1 ? '' : 's'} failed.`
        : 'The run is invalid: its numbers do not describe the connector.';
  const m = sheet.counts.metrics;
  const tiles = [
    ['Best', m.best, 'best'],
    ['Average', m.average, 'average'],
    ['Qualified', m.qualified, 'qualified'],
    ['Fail', m.fail, 'fail'],
    ['Not measured', m.not_measured, 'not_measured'],
  ]
    .map(([label, n, band]) => `<div class="tile band-${band}"><b>${n}</b><span>${label}</span></div>`)
    .join('');
  const checks = sheet.counts.checks;
  return `<header class="verdict-${sheet.verdict}">
  <div class="head-main">
    <div class="kicker">wacrm · acceptance report</div>
    <h1>${esc(result.scenario.name)}</h1>
    ${result.scenario.description ? `<p class="desc">${esc(result.scenario.description)}</p>` : ''}
    ${
      conn.external
        ? describeWiring(conn.external)
            .map((l) => `<p class="desc wiring">${esc(l)}</p>`)
            .join('')
        : ''
    }
    <p class="meta">Run <code>${esc(result.runId)}</code> · ${esc(result.startedAt)} · ${esc(formatDuration(result.durationMs))} · seed ${result.seed} · ${connector}${faults}</p>
  </div>
  <div class="verdict">
    <div class="verdict-word">${sheet.verdict.toUpperCase()}</div>
    <div class="verdict-text">${esc(verdictText)}</div>
    <div class="verdict-exit">exit code ${sheet.exitCode}</div>
  </div>
</header>
<div class="tiles">${tiles}<div class="tile"><b>${checks.passed}/${checks.passed + checks.failed}</b><span>Checks passed</span></div>${
    sheet.conformance.length > 0
      ? `<div class="tile"><b>${sheet.counts.conformance.passed}/${sheet.conformance.length}</b><span>Conformance</span></div>`
      : ''
  }</div>`;
}

function nav(result: RunResult, sheet: GradeSheet): string {
  const links: Array<[string, string]> = [];
  if (result.connectorHealth) links.push(['connector', 'Connector']);
  links.push(['grades', 'Grade sheet']);
  if (sheet.failures.length > 0) links.push(['failures', 'Failures']);
  links.push(['checks', 'Checks']);
  if (result.capacity) links.push(['capacity', 'Capacity']);
  if (result.timeline.length > 0) links.push(['timeline', 'Over time']);
  if (result.soak) links.push(['soak', 'Soak']);
  if (result.faults && result.faults.length > 0) links.push(['faults', 'Faults']);
  if (result.hops.length > 0) links.push(['hops', 'Hops']);
  if (result.suites.some((s) => s.cost)) links.push(['cost', 'Cost']);
  if (sheet.conformance.length > 0) links.push(['conformance', 'Conformance']);
  links.push(['environment', 'Environment']);
  return `<nav>${links.map(([id, label]) => `<a href="#${id}">${label}</a>`).join('')}</nav>`;
}

function gradeSection(sheet: GradeSheet): string {
  const rows = sheet.rows.map((r) => {
    const fmt = (v: number) => formatValue(v, r.unit);
    return [
      `<div class="metric-title">${esc(r.title)} <code class="key">${esc(r.key)}</code></div><div class="evidence">${esc(r.evidence)}</div>`,
      `<div class="value band-text-${r.band}">${esc(formatMeasured(r.value, r.unit, r.atLeast))}</div>`,
      bandPill(r.band),
      bulletChart({
        value: r.value,
        direction: r.direction,
        thresholds: r.thresholds,
        format: fmt,
        width: 190,
      }),
      `<span class="num">${esc(`${comparator(r.direction, true)} ${fmt(r.thresholds.qualified)}`)}</span>`,
      `<span class="num">${esc(fmt(r.thresholds.average))}</span>`,
      `<span class="num">${esc(fmt(r.thresholds.best))}</span>`,
    ];
  });
  return section(
    'grades',
    'Grade sheet',
    table(
      [
        'Metric and evidence',
        'Value',
        'Band',
        'Fail · Qualified · Average · Best',
        'Qualified',
        'Average',
        'Best',
      ],
      rows,
      'grades',
    ),
    'Each metric against the acceptance table: <b>fail</b> (worse than qualified), <b>qualified</b>, <b>average</b> (at least the average actual), <b>best</b> (at least the industry best). The bar runs from worse (left) to better (right).',
  );
}

/** The connector's answers to our webhooks per suite and status code, under its diagnoses. */
/** The banner of an interrupted run: the report covers only what ran. */
function interruptedBanner(sheet: GradeSheet): string {
  const i = sheet.interrupted;
  if (!i) return '';
  return `<section id="interrupted"><p class="lead"><b class="band-text-qualified">INTERRUPTED</b> at ${esc(i.at)} (${esc(i.signal)}): this report grades only what ran before.</p></section>`;
}

/** A k6 run graded by `wacrm collect`: where its flows came from and how its clocks were aligned. */
function distributedSection(result: RunResult): string {
  const d = result.distributed;
  if (!d) return '';
  const items = describeDistributed(d).map((l) => `<li>${esc(l)}</li>`);
  return section('distributed', 'Distributed run (k6)', `<ul>${items.join('')}</ul>`);
}

function connectorSection(result: RunResult, sheet: GradeSheet): string {
  const h = result.connectorHealth;
  if (!h) return '';
  const codes = [...new Set(h.answers.flatMap((a) => Object.keys(a.byCode)))].sort();
  const rows = h.answers.map((a) => [
    esc(a.suite),
    esc(a.stage ?? '—'),
    `<span class="num">${a.attempts.toLocaleString('en-US')}</span>`,
    ...codes.map((c) => `<span class="num">${(a.byCode[c] ?? 0).toLocaleString('en-US')}</span>`),
  ]);
  const hs = h.handshake;
  const handshake = `<p>Verification handshake: ${
    hs.ok
      ? 'answered with the challenge'
      : `<b class="band-text-fail">refused</b> (${esc(hs.statusCode !== undefined ? `HTTP ${hs.statusCode}` : (hs.error ?? 'no answer'))})`
  }</p>`;
  const diagnoses =
    sheet.diagnoses.length > 0
      ? `<ul class="failures">${sheet.diagnoses.map((d) => `<li class="failure"><div class="fail-msg"><b>${esc(d)}</b></div></li>`).join('')}</ul>`
      : '<p>The connector answered our webhooks; nothing to diagnose.</p>';
  const answers =
    rows.length > 0
      ? table(
          ['Suite', 'Stage', 'Attempts', ...codes.map((c) => esc(/^\d{3}$/.test(c) ? `HTTP ${c}` : c))],
          rows,
          'connector',
        )
      : '<p>No webhook was sent to the connector.</p>';
  return section(
    'connector',
    'Connector health',
    `${diagnoses}${handshake}${answers}`,
    'How the connector answered the webhooks the mocks sent it (each attempt, retries included), by suite, stage and HTTP status or transport error.',
  );
}

function failureSection(sheet: GradeSheet): string {
  if (sheet.failures.length === 0) return '';
  const items = sheet.failures
    .map(
      (f) =>
        `<li class="failure kind-${f.kind}"><div><span class="pill ${f.kind === 'run' ? 'band-qualified' : 'band-fail'}">${f.kind === 'run' ? 'Invalid' : esc(f.kind)}</span> <b>${esc(f.title)}</b> <code>${esc(f.key)}</code></div><div class="fail-msg">${esc(f.message)}</div>${
          f.evidence !== f.message ? `<div class="evidence">Evidence: ${esc(f.evidence)}</div>` : ''
        }</li>`,
    )
    .join('');
  const title =
    sheet.verdict === 'invalid' ? 'Why the run is invalid' : `Failures (${sheet.failures.length})`;
  return section('failures', title, `<ul class="failures">${items}</ul>`);
}

function checksSection(sheet: GradeSheet): string {
  const measured = sheet.checks.filter((c) => c.value !== null);
  const missing = sheet.checks.filter((c) => c.value === null);
  const rows = measured.map((c) => [
    `<div class="metric-title">${esc(c.title)}</div><code class="key">${esc(c.key)}</code>`,
    esc(c.suite ?? '—'),
    `<span class="num">${esc(formatMeasured(c.value, c.unit, c.atLeast))}</span>`,
    `<span class="num">${c.threshold === null ? '—' : esc(`${comparator(c.direction, c.inclusive)} ${formatValue(c.threshold, c.unit)}`)}</span>`,
    c.threshold === null ? '<span class="pill band-not_measured">Not graded</span>' : passPill(c.passed),
    `<div class="evidence">${esc(c.evidence)}</div>`,
  ]);
  const body =
    (rows.length > 0
      ? table(['Check', 'Suite', 'Value', 'Needs', 'Result', 'Evidence'], rows, 'checks')
      : '<p class="muted">No check was measured in this run.</p>') +
    (missing.length > 0
      ? `<p class="muted small">Not measured in this run: ${missing.map((c) => `<code>${esc(c.key)}</code>`).join(', ')}.</p>`
      : '');
  return section('checks', 'Suite checks', body);
}

function capacitySection(result: RunResult): string {
  const c = result.capacity;
  if (!c || c.steps.length === 0) return '';
  // Refinement probes are drawn as hollow diamonds without a line (they bisect, they do not ramp),
  // so a reader tells them from the steps at a glance; both peaks get a marker of their own.
  const probes = c.refinement?.probes ?? [];
  // Half a step of room on each side, so the first and last steps do not sit on the frame.
  const stepRates = c.steps.map((s) => s.ratePerMin);
  const rates = [...stepRates, ...probes.map((p) => p.ratePerMin)];
  const halfStep =
    stepRates.length > 1 ? Math.abs((stepRates[1] as number) - (stepRates[0] as number)) / 2 : 50;
  const x = {
    label: 'offered rate (msg/min)',
    format: perMin,
    min: Math.max(0, Math.min(...rates) - halfStep),
    max: Math.max(...rates) + halfStep,
  };
  const stepPeak = c.stepPeakPerMin ?? null;
  const refined = c.refinement !== undefined && stepPeak !== null && c.peakCapacityPerMin !== null;
  const stopLines = [
    ...(refined && stepPeak !== c.peakCapacityPerMin
      ? [
          {
            x: stepPeak as number,
            label: `step peak ${perMin(stepPeak as number)}/min`,
            color: PALETTE.average,
          },
        ]
      : []),
    ...(c.peakCapacityPerMin !== null
      ? [
          {
            x: c.peakCapacityPerMin,
            label: `${refined ? 'refined peak' : 'peak'} ${perMin(c.peakCapacityPerMin)}/min`,
            color: PALETTE.best,
          },
        ]
      : []),
    ...(c.firstFailingPerMin !== null
      ? [
          {
            x: c.firstFailingPerMin,
            label: `stop: ${(c.brokenCriterion ?? c.stoppedBecause).replace(/_/g, ' ')}`,
            color: PALETTE.fail,
          },
        ]
      : []),
  ];
  const latency = lineChart({
    title: 'Ramp: latency percentiles against offered rate',
    height: 320,
    series: [
      {
        label: 'p50',
        color: PALETTE.p50,
        points: c.steps.map((s) => [s.ratePerMin, s.p50Ms / 1000]),
        dots: true,
      },
      {
        label: 'p95',
        color: PALETTE.p95,
        points: c.steps.map((s) => [s.ratePerMin, s.p95Ms / 1000]),
        dots: true,
      },
      {
        label: 'p99',
        color: PALETTE.p99,
        points: c.steps.map((s) => [s.ratePerMin, s.p99Ms / 1000]),
        dots: true,
        dash: '6 4',
      },
      ...(probes.length > 0
        ? [
            {
              label: 'probe p95',
              color: PALETTE.p95,
              points: probes.map((p): Point => [p.ratePerMin, p.p95Ms / 1000]),
              markersOnly: true,
              marker: 'diamond' as const,
            },
          ]
        : []),
    ],
    x,
    y: { label: 'end-to-end latency (s)', format: (v) => `${v} s` },
    hLines: c.criteria
      ? [
          {
            y: c.criteria.p95LatencyMs / 1000,
            label: `p95 limit ${c.criteria.p95LatencyMs / 1000} s`,
            color: PALETTE.fail,
          },
        ]
      : [],
    vLines: stopLines,
    reserveRightAxis: true,
  });
  const hasCpu = c.steps.some((s) => s.connectorCpuPct !== undefined);
  const errSeries: Series[] = [
    {
      label: 'error rate',
      color: PALETTE.errors,
      points: c.steps.map((s) => [s.ratePerMin, s.errorRate * 100]),
      dots: true,
    },
  ];
  if (probes.length > 0) {
    errSeries.push({
      label: 'probe error rate',
      color: PALETTE.errors,
      points: probes.map((p) => [p.ratePerMin, p.errorRate * 100]),
      markersOnly: true,
      marker: 'diamond',
    });
  }
  if (hasCpu) {
    errSeries.push({
      label: 'connector CPU',
      color: PALETTE.cpu,
      axis: 'right',
      dash: '5 4',
      points: c.steps.map((s) => [s.ratePerMin, s.connectorCpuPct ?? null]),
    });
  }
  const hasHarnessCpu = c.steps.some((s) => s.harnessCpuPct !== undefined);
  if (hasHarnessCpu) {
    // One harness process: above 100 % only when its helper threads (GC, I/O) add to the main one.
    errSeries.push({
      label: 'harness CPU',
      color: PALETTE.ink,
      axis: 'right',
      dash: '1 3',
      points: c.steps.map((s) => [
        s.ratePerMin,
        s.harnessCpuPct === undefined ? null : Math.min(100, s.harnessCpuPct),
      ]),
    });
  }
  if (c.steps.some((s) => s.connectorMemPct !== undefined)) {
    errSeries.push({
      label: 'connector memory',
      color: PALETTE.memory,
      axis: 'right',
      dash: '2 3',
      points: c.steps.map((s) => [s.ratePerMin, s.connectorMemPct ?? null]),
    });
  }
  const errors = lineChart({
    title: 'Ramp: error rate and resources (connector, harness) against offered rate',
    height: 260,
    series: errSeries,
    x,
    y: { label: 'error rate (%)', format: (v) => `${v} %`, min: 0 },
    y2:
      hasCpu || hasHarnessCpu
        ? { label: 'CPU, memory (%)', format: (v) => `${v} %`, min: 0, max: 100, ticks: [0, 25, 50, 75, 100] }
        : undefined,
    hLines: [
      ...(c.criteria
        ? [
            {
              y: c.criteria.errorRate * 100,
              label: `error limit ${c.criteria.errorRate * 100} %`,
              color: PALETTE.fail,
            },
          ]
        : []),
      ...(hasCpu ? [{ y: 80, label: 'CPU 80 %', color: PALETTE.cpu, axis: 'right' as const }] : []),
    ],
    vLines: stopLines,
  });
  const windows = [
    ...c.steps.map((s) => ({ s, label: perMin(s.ratePerMin) })),
    ...probes.map((s, i) => ({ s, label: `${perMin(s.ratePerMin)} (probe ${i + 1})` })),
  ];
  const rows = windows.map(({ s, label }) => [
    `<span class="num">${esc(label)}</span>`,
    `<span class="num">${esc(seconds(s.p50Ms))}</span>`,
    `<span class="num">${esc(seconds(s.p95Ms))}</span>`,
    `<span class="num">${esc(seconds(s.p99Ms))}</span>`,
    `<span class="num">${esc(formatValue(s.errorRate, 'ratio'))}</span>`,
    `<span class="num">${s.sent.toLocaleString('en-US')}</span>`,
    `<span class="num">${s.dropped.toLocaleString('en-US')}</span>`,
    `<span class="num">${s.connectorCpuPct === undefined ? '—' : `${s.connectorCpuPct.toFixed(0)} %`}</span>`,
    `<span class="num">${s.connectorMemPct === undefined ? '—' : `${s.connectorMemPct.toFixed(1)} %`}</span>`,
    `<span class="num">${s.connectorCpuUsPerFlow === undefined ? '—' : `${s.connectorCpuUsPerFlow.toFixed(0)} µs`}</span>`,
    `<span class="num">${s.harnessCpuPct === undefined ? '—' : `${s.harnessCpuPct.toFixed(0)} %`}</span>`,
    `<span class="num">${s.harnessCpuUsPerFlow === undefined ? '—' : `${s.harnessCpuUsPerFlow.toFixed(0)} µs`}</span>`,
    `<span class="num">${s.loopDelayP99Ms === undefined ? '—' : `${s.loopDelayP99Ms.toFixed(1)} ms`}</span>`,
    s.passed
      ? passPill(true)
      : `${passPill(false)} <span class="small">${esc(s.brokenCriteria.join(', ').replace(/_/g, ' '))}</span>`,
  ]);
  const sentence = capacitySentence(result) ?? '';
  return section(
    'capacity',
    'Capacity: step ramp',
    `<div class="chart-box">${latency}</div><div class="chart-box">${errors}</div><details><summary>Per-step results (${c.steps.length} steps${probes.length > 0 ? `, ${probes.length} refinement probes` : ''})</summary>${table(
      [
        'Rate /min',
        'p50',
        'p95',
        'p99',
        'Errors',
        'Sent',
        'Dropped',
        'CPU',
        'Memory',
        'µs/flow',
        'Harness CPU',
        'Harness µs/flow',
        'Loop p99',
        'Step',
      ],
      rows,
      'steps',
    )}</details>`,
    `${esc(sentence[0]?.toUpperCase() ?? '')}${esc(sentence.slice(1))}.`,
  );
}

function timelineSection(result: RunResult): string {
  if (result.timeline.length === 0) return '';
  const bands = [
    ...result.suites.map((s, i) => ({
      from: s.startedAtMs,
      to: s.endedAtMs,
      color: i % 2 === 0 ? PALETTE.suite : '#b7c0cc',
      label: s.title,
      opacity: 0.1,
    })),
    ...(result.faults ?? []).map((f) => ({
      from: f.startMs,
      to: f.endMs,
      color: PALETTE.fault,
      opacity: 0.22,
    })),
  ];
  const endMs = Math.max(result.durationMs, ...result.timeline.map((p) => p.tMs));
  const x = { label: 'run time (m:ss)', format: clock, min: 0, max: endMs, ticks: timeTicks(endMs, 9) };
  const throughput = lineChart({
    title: 'Throughput over time',
    height: 280,
    series: [
      {
        label: 'completed /min',
        color: PALETTE.completed,
        points: result.timeline.map((p) => [p.tMs, p.completedPerMin]),
      },
      // Drawn after completed: when the two coincide the offered load stays visible.
      {
        label: 'sent /min',
        color: PALETTE.sent,
        points: result.timeline.map((p) => [p.tMs, p.sentPerMin]),
        area: true,
        dash: '5 3',
      },
      {
        label: 'errors',
        color: PALETTE.errors,
        axis: 'right',
        dash: '3 3',
        points: result.timeline.map((p) => [p.tMs, p.errors]),
      },
    ],
    x,
    y: { label: 'messages per minute', format: perMin },
    y2: { label: 'errors per interval', format: perMin, min: 0 },
    bands,
  });
  const latency = lineChart({
    title: 'p95 latency over time',
    height: 220,
    series: [
      {
        label: 'p95 end-to-end',
        color: PALETTE.p95,
        points: result.timeline.map((p) => [p.tMs, p.p95Ms === null ? null : p.p95Ms / 1000]),
      },
    ],
    x,
    y: { label: 'p95 latency (s)', format: (v) => `${v} s` },
    bands,
    reserveRightAxis: true,
  });
  return section(
    'timeline',
    'Throughput and latency over time',
    `<div class="chart-box">${throughput}</div><div class="chart-box">${latency}</div>`,
    'Grey bands are the suites in run order; red bands are injected faults. Gaps in the latency line are intervals with nothing completed.',
  );
}

function soakSection(result: RunResult, sheet: GradeSheet): string {
  const s = result.soak;
  const alertMark = sheet.checks.find((c) => c.key === 'soak_sync_error_rate')?.threshold ?? null;
  const alertPct = alertMark === null ? null : Number((alertMark * 100).toPrecision(6));
  if (!s || s.windows.length === 0) return '';
  const hours = (ms: number) => ms / 3_600_000;
  const span = hours(s.virtualDurationMs || (s.windows[s.windows.length - 1]?.endMs ?? 1));
  const tickStep = span > 48 ? 12 : span > 12 ? 4 : 1;
  const ticks = Array.from({ length: Math.floor(span / tickStep) + 1 }, (_, i) => i * tickStep);
  const x = { label: 'virtual time (hours)', format: (h: number) => `${h} h`, min: 0, max: span, ticks };
  const mid = (w: { startMs: number; endMs: number }) => hours((w.startMs + w.endMs) / 2);
  const peakBands = s.windows
    .filter((w) => w.isPeak)
    .map((w) => ({ from: hours(w.startMs), to: hours(w.endMs), color: PALETTE.peak, opacity: 0.16 }));
  const volume = lineChart({
    title: 'Soak: volume and p95 latency per window',
    height: 300,
    series: [
      {
        label: 'sent per hour',
        color: PALETTE.sent,
        area: true,
        dots: true,
        points: s.windows.map((w) => [mid(w), w.sent / Math.max(1e-9, hours(w.endMs - w.startMs))]),
      },
      {
        label: 'p95 latency',
        color: PALETTE.p95,
        axis: 'right',
        dots: true,
        points: s.windows.map((w) => [mid(w), w.p95Ms === null ? null : w.p95Ms / 1000]),
      },
    ],
    x,
    y: { label: 'messages per hour', format: perMin },
    y2: { label: 'p95 (s)', format: (v) => `${v} s`, min: 0 },
    bands: peakBands,
  });
  const hasRss = s.windows.some((w) => w.connectorRssBytes !== undefined);
  const resources = lineChart({
    title: 'Soak: error rate and connector memory per window',
    height: 220,
    series: [
      {
        label: 'error rate',
        color: PALETTE.errors,
        dots: true,
        points: s.windows.map((w) => [mid(w), w.errorRate * 100]),
      },
      ...(hasRss
        ? [
            {
              label: 'connector RSS (MiB)',
              color: PALETTE.memory,
              axis: 'right' as const,
              dash: '5 4',
              points: s.windows.map((w): [number, number | null] => [
                mid(w),
                w.connectorRssBytes === undefined ? null : w.connectorRssBytes / 1048576,
              ]),
            },
          ]
        : []),
    ],
    x,
    y: { label: 'error rate (%)', format: (v) => `${v} %`, min: 0 },
    y2: hasRss ? { label: 'RSS (MiB)', format: (v) => `${v}` } : undefined,
    reserveRightAxis: true,
    // The alert line is the acceptance table's soak_sync_error_rate mark (its one home), if graded.
    hLines: alertPct === null ? [] : [{ y: alertPct, label: `alert ${alertPct} %`, color: PALETTE.fail }],
    bands: peakBands,
  });
  const facts = [
    `timeline ${formatDuration(s.virtualDurationMs)} (virtual)`,
    s.timeScale > 1 ? `compressed ${s.timeScale}×` : 'real time',
    `${s.windows.length} windows`,
    `p95 drift ${s.p95DriftMs === null ? '—' : formatDuration(s.p95DriftMs)}`,
    `connector memory growth ${s.memoryGrowthBytes === null ? '—' : formatBytes(s.memoryGrowthBytes)}`,
  ];
  const rules = sheet.soakRules.map((r) => [
    passPill(r.passed),
    esc(r.rule),
    `<div class="evidence">${esc(r.evidence)}</div>`,
  ]);
  const windows = s.windows.map((w, i) => [
    `<span class="num">${i + 1}</span>`,
    `${hours(w.startMs)}–${hours(w.endMs)} h${w.isPeak ? ' <span class="pill peak">peak</span>' : ''}`,
    `<span class="num">${w.sent.toLocaleString('en-US')}</span>`,
    `<span class="num">${w.completed.toLocaleString('en-US')}</span>`,
    `<span class="num">${esc(formatValue(w.errorRate, 'ratio'))}</span>`,
    `<span class="num">${w.p95Ms === null ? '—' : esc(formatDuration(w.p95Ms))}</span>`,
    `<span class="num">${w.connectorRssBytes === undefined ? '—' : esc(formatBytes(w.connectorRssBytes))}</span>`,
  ]);
  return section(
    'soak',
    'Soak',
    `<div class="chart-box">${volume}</div><div class="chart-box">${resources}</div>${
      rules.length > 0
        ? `<h3>Monitoring rules</h3>${table(['Result', 'Rule', 'Evidence'], rules, 'rules')}`
        : ''
    }<details><summary>Per-window results (${s.windows.length} windows)</summary>${table(
      ['#', 'Window', 'Sent', 'Completed', 'Errors', 'p95', 'Connector RSS'],
      windows,
      'steps',
    )}</details>`,
    `${esc(facts.join(' · '))}. Orange bands are the windows containing the daily peaks.`,
  );
}

/** The stretch of the run to draw faults on: the fault-recovery suite, or the faults with some room around them. */
function faultRange(result: RunResult): { fromMs: number; toMs: number } {
  const faults = result.faults ?? [];
  const suite = result.suites.find((s) => s.kind === 'fault-recovery');
  const lo = Math.min(...faults.map((f) => f.startMs));
  const hi = Math.max(...faults.map((f) => f.endMs + (f.recoveryMs ?? 0)));
  if (suite && suite.startedAtMs <= lo && suite.endedAtMs >= hi)
    return { fromMs: suite.startedAtMs, toMs: suite.endedAtMs };
  const pad = Math.max(5_000, (hi - lo) * 0.25);
  return { fromMs: Math.max(0, lo - pad), toMs: hi + pad };
}

function faultSection(result: RunResult): string {
  const faults = result.faults ?? [];
  if (faults.length === 0) return '';
  const chart = faultChart({
    title: 'Faults and recovery on the run timeline',
    ...faultRange(result),
    faults: faults.map((f) => ({
      label: `${f.target}: ${f.spec}`,
      startMs: f.startMs,
      endMs: f.endMs,
      recoveryMs: f.recoveryMs,
    })),
    format: clock,
    formatSpan: formatDuration,
  });
  const rows = faults.map((f) => [
    `<b>${esc(f.target)}</b> <code>${esc(f.spec)}</code>`,
    `<span class="num">${esc(clock(f.startMs))}–${esc(clock(f.endMs))}</span>`,
    `<span class="num">${esc(formatDuration(f.endMs - f.startMs))}</span>`,
    f.recoveryMs === null
      ? '<span class="pill band-fail">never</span>'
      : `<span class="num">${esc(formatDuration(f.recoveryMs))}</span>`,
    `<span class="num ${f.lost > 0 ? 'band-text-fail' : ''}">${f.lost.toLocaleString('en-US')}</span>`,
    `<div class="evidence">${esc(f.retryTiming ?? '—')}</div>`,
  ]);
  return section(
    'faults',
    'Faults and recovery',
    `<div class="chart-box">${chart}</div>${table(['Fault', 'Window', 'Length', 'Recovery', 'Lost', 'Retry timing'], rows, 'faults')}`,
    'Recovery is the time from the end of a fault to the first flow completing normally again with the backlog drained.',
  );
}

/** What each suite cost the harness beside the connector: where a saturation came from. */
function costSection(result: RunResult): string {
  const suites = result.suites.filter((s) => s.cost);
  if (suites.length === 0) return '';
  const cell = (v: number | undefined, unit: string, digits = 0) =>
    `<span class="num">${v === undefined ? '—' : `${v.toFixed(digits)} ${unit}`}</span>`;
  const rows = suites.map((s) => [
    esc(s.title),
    `<span class="num">${s.flows.sent.toLocaleString('en-US')}</span>`,
    cell(s.cost?.harnessCpuPct, '%'),
    cell(s.cost?.harnessCpuUsPerFlow, 'µs'),
    cell(s.cost?.loopDelayP99Ms, 'ms', 1),
    cell(s.cost?.connectorCpuPct, '%'),
    cell(s.cost?.connectorCpuUsPerFlow, 'µs'),
  ]);
  return section(
    'cost',
    'Harness and connector cost',
    table(
      [
        'Suite',
        'Flows',
        'Harness CPU',
        'Harness µs/flow',
        'Loop delay p99',
        'Connector CPU',
        'Connector µs/flow',
      ],
      rows,
      'steps',
    ),
    'CPU in % of one core, and per flow started; the harness is one process: the scheduler, both mocks and the tracer. A harness near a full core or a loop delay of tens of ms means the harness, not the connector, set the pace.',
  );
}

function hopSection(result: RunResult): string {
  if (result.hops.length === 0) return '';
  const chart = hopChart({
    title: 'Per-hop latency breakdown',
    hops: result.hops,
    format: (ms) => formatDuration(ms),
  });
  const rows = result.hops.map((h) => [
    esc(h.name),
    `<span class="num">${h.count.toLocaleString('en-US')}</span>`,
    `<span class="num">${esc(formatDuration(h.p50Ms))}</span>`,
    `<span class="num">${esc(formatDuration(h.p95Ms))}</span>`,
    `<span class="num">${esc(formatDuration(h.p99Ms))}</span>`,
    `<span class="num">${esc(formatDuration(h.maxMs))}</span>`,
  ]);
  return section(
    'hops',
    'Per-hop latency',
    `<div class="chart-box">${chart}</div><details><summary>Hop table</summary>${table(['Hop', 'Count', 'p50', 'p95', 'p99', 'Max'], rows, 'steps')}</details>`,
    'Where the time goes along a flow, each hop stamped on the harness clock.',
  );
}

function conformanceSection(sheet: GradeSheet): string {
  if (sheet.conformance.length === 0) return '';
  const rows = sheet.conformance.map((c) => [
    c.notRun ? '<span class="pill band-not_measured">Not run</span>' : passPill(c.passed),
    `<div class="metric-title">${esc(c.title)}</div><code class="key">${esc(c.id)}</code>`,
    `<div class="evidence">${esc(c.rule)}</div>`,
    `<div class="evidence">${esc(c.evidence)}</div>`,
    `<div class="small muted">${esc(c.source)}</div>`,
  ]);
  return section(
    'conformance',
    'Conformance',
    table(['Result', 'Case', 'Rule', 'Evidence', 'Source'], rows, 'conformance'),
  );
}

function environmentSection(result: RunResult, sheet: GradeSheet): string {
  const e = result.environment;
  const conn = e.connector;
  const env: Array<[string, string]> = [
    ['wacrm', e.wacrmVersion],
    ['Node.js', e.node],
    ['Platform', `${e.platform} ${e.arch}`],
    ['CPU', `${e.cpus} × ${e.cpuModel}`],
    ['Memory', formatBytes(e.memoryBytes)],
    ...(e.workers !== undefined
      ? [
          [
            'Harness event loops',
            e.workers === 1
              ? '1 (one thread)'
              : `${e.workers} (main + ${e.workers - 1} webhook sender threads)`,
          ] as [string, string],
        ]
      : []),
    [
      'Connector',
      conn.kind === 'external' && conn.url ? `external, ${redactUrl(conn.url)}` : 'reference (child process)',
    ],
    ['Connector faults', conn.faults.length > 0 ? conn.faults.join(', ') : 'none'],
    ['Scenario file', result.scenario.file],
    ...(result.acceptanceSource
      ? [
          [
            'Acceptance table',
            `${result.acceptanceSource.file}${result.acceptanceSource.builtIn ? ' (built-in: the scenario names none)' : ''}`,
          ] as [string, string],
        ]
      : []),
    ['Seed', String(result.seed)],
    ['Started', result.startedAt],
    ['Finished', result.finishedAt],
  ];
  const suites = result.suites.map((s) => [
    `<b>${esc(s.title)}</b> <code class="key">${esc(s.kind)}</code>`,
    `<span class="num">${esc(clock(s.startedAtMs))}–${esc(clock(s.endedAtMs))}</span>`,
    ...(['sent', 'completed', 'failed', 'lost', 'dropped', 'late'] as const).map(
      (k) =>
        `<span class="num${(k === 'lost' || k === 'failed') && s.flows[k] > 0 ? ' band-text-fail' : ''}">${s.flows[k].toLocaleString('en-US')}</span>`,
    ),
    `<div class="small muted">${esc(s.notes.join(' · '))}</div>`,
  ]);
  const warnings =
    sheet.warnings.length > 0
      ? `<h3>Grading warnings</h3><ul class="warnings">${sheet.warnings.map((w) => `<li>${esc(w)}</li>`).join('')}</ul>`
      : '';
  return section(
    'environment',
    'Suites and environment',
    `${suites.length > 0 ? table(['Suite', 'Run time', 'Sent', 'Completed', 'Failed', 'Lost', 'Dropped', 'Late', 'Notes'], suites, 'suites') : ''}${warnings}<dl class="env">${env
      .map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`)
      .join('')}</dl>`,
  );
}

const CSS = `
:root{--ink:${PALETTE.ink};--muted:#5d6778;--line:#e3e7ee;--bg:#f5f7fa;--card:#fff;
--fail:${PALETTE.fail};--qualified:${PALETTE.qualified};--average:${PALETTE.average};--best:${PALETTE.best};--nm:${PALETTE.notMeasured}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--ink);font:14px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
main{max-width:1240px;margin:0 auto;padding:24px 28px 48px}
code{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px;background:#eef1f5;padding:1px 5px;border-radius:4px}
header{display:flex;gap:24px;align-items:stretch;justify-content:space-between;background:var(--card);border-radius:14px;padding:22px 26px;border-left:10px solid var(--nm);box-shadow:0 1px 3px rgba(20,30,50,.08)}
header.verdict-pass{border-left-color:var(--best)}header.verdict-fail{border-left-color:var(--fail)}header.verdict-invalid{border-left-color:var(--qualified)}
.kicker{text-transform:uppercase;letter-spacing:.08em;font-size:11px;color:var(--muted);font-weight:600}
h1{margin:2px 0 4px;font-size:28px;line-height:1.2}
.desc{margin:0 0 6px;color:var(--muted);font-size:15px}
.meta{margin:0;color:var(--muted);font-size:12.5px}
.verdict{min-width:220px;text-align:right;display:flex;flex-direction:column;justify-content:center}
.verdict-word{font-size:40px;font-weight:800;letter-spacing:.04em;line-height:1}
.verdict-pass .verdict-word{color:var(--best)}.verdict-fail .verdict-word{color:var(--fail)}.verdict-invalid .verdict-word{color:var(--qualified)}
.verdict-text{margin-top:6px;font-size:13px}.verdict-exit{font-size:12px;color:var(--muted)}
.tiles{display:flex;gap:12px;margin:14px 0 6px;flex-wrap:wrap}
.tile{flex:1 1 110px;background:var(--card);border-radius:10px;padding:10px 14px;box-shadow:0 1px 2px rgba(20,30,50,.06);border-top:4px solid var(--line)}
.tile b{display:block;font-size:22px}.tile span{font-size:12px;color:var(--muted)}
.tile.band-best{border-top-color:var(--best)}.tile.band-average{border-top-color:var(--average)}.tile.band-qualified{border-top-color:var(--qualified)}.tile.band-fail{border-top-color:var(--fail)}.tile.band-not_measured{border-top-color:var(--nm)}
nav{position:sticky;top:0;z-index:2;background:rgba(245,247,250,.95);padding:10px 0;margin-bottom:4px;display:flex;gap:6px;flex-wrap:wrap;border-bottom:1px solid var(--line)}
nav a{color:var(--ink);text-decoration:none;font-size:12.5px;padding:4px 10px;border-radius:999px;background:#e7ebf1}
section{background:var(--card);border-radius:14px;padding:18px 22px 20px;margin:16px 0;box-shadow:0 1px 3px rgba(20,30,50,.08)}
h2{margin:0 0 6px;font-size:18px}h3{font-size:14px;margin:18px 0 6px}
.lead{margin:0 0 12px;color:var(--muted);font-size:13px}
table{width:100%;border-collapse:collapse;font-size:13px}
th{text-align:left;font-size:11.5px;text-transform:uppercase;letter-spacing:.04em;color:var(--muted);font-weight:600;border-bottom:2px solid var(--line);padding:7px 8px}
td{border-bottom:1px solid var(--line);padding:8px;vertical-align:middle}
tbody tr:hover{background:#fafbfd}
.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.metric-title{font-weight:600}
.key{font-size:11px;color:var(--muted);background:none;padding:0}
.value{font-size:18px;font-weight:700;font-variant-numeric:tabular-nums;white-space:nowrap}
.evidence{color:var(--muted);font-size:12.5px;max-width:420px;overflow-wrap:anywhere}.failure .evidence{max-width:none}
.grades td:first-child{width:34%}.grades .evidence{max-width:none;margin-top:2px}.grades .key{margin-left:6px}
.pill{display:inline-block;font-size:11px;font-weight:700;padding:2px 9px;border-radius:999px;color:#fff;white-space:nowrap;text-transform:uppercase;letter-spacing:.03em}
.pill.band-best{background:var(--best)}.pill.band-average{background:var(--average)}.pill.band-qualified{background:var(--qualified)}.pill.band-fail{background:var(--fail)}.pill.band-not_measured{background:#c9d0da;color:#3d4656}
.pill.peak{background:${PALETTE.peak}}
.band-text-best{color:var(--best)}.band-text-average{color:var(--average)}.band-text-qualified{color:var(--qualified)}.band-text-fail{color:var(--fail)}.band-text-not_measured{color:var(--nm)}
.bullet{display:block}.bullet-mark{fill:var(--ink)}
.chart-box{margin:8px 0 14px}
svg.chart{width:100%;height:auto;display:block;font-family:inherit}
svg .grid{stroke:#edf0f4}svg .axis{stroke:#9aa4b2}svg .xtick{stroke:#9aa4b2}
svg .tick{font-size:11px;fill:#6b7584}svg .axis-label{font-size:11.5px;fill:#4d5666}
svg .legend{font-size:12px;fill:#3d4656}svg .band-label{font-size:10.5px;fill:#6b7584}
svg .line{fill:none;stroke-width:2.2;stroke-linejoin:round;stroke-linecap:round}
svg .ref{stroke-width:1.4;stroke-dasharray:6 4}svg .ref-label,svg .marker-label,svg .band-label{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}svg .ref-label{font-size:11px;font-weight:600}
svg .marker{stroke-width:1.6;stroke-dasharray:3 3}svg .marker-label{font-size:11.5px;font-weight:700}
svg .hop-label{font-size:12px;fill:#2d3644}svg .hop-value{font-size:11.5px;fill:#4d5666;font-variant-numeric:tabular-nums}
ul.failures{list-style:none;padding:0;margin:0}
li.failure{border-left:4px solid var(--fail);background:#fdf5f5;padding:9px 12px;margin:8px 0;border-radius:6px}
li.failure.kind-run{border-left-color:var(--qualified);background:#fdf8ef}
.fail-msg{margin-top:3px;font-weight:600}
details{margin-top:8px}summary{cursor:pointer;color:var(--average);font-size:13px;font-weight:600}
.muted{color:var(--muted)}.small{font-size:12px}.warn-text{color:var(--fail);font-weight:600}
dl.env{display:grid;grid-template-columns:180px 1fr;gap:4px 14px;font-size:13px;margin:14px 0 0}
dl.env dt{color:var(--muted)}dl.env dd{margin:0}
ul.warnings{color:#8a5a00}
footer{color:var(--muted);font-size:12px;text-align:center;margin-top:24px}
@media print{nav{display:none}section,header{box-shadow:none;border:1px solid var(--line)}body{background:#fff}details{display:block}}
`;

/** Renders report.html: one self-contained file, no network, no script. */
export function renderHtml(result: RunResult, sheet: GradeSheet): string {
  const body = [
    header(result, sheet),
    nav(result, sheet),
    interruptedBanner(sheet),
    distributedSection(result),
    connectorSection(result, sheet),
    gradeSection(sheet),
    failureSection(sheet),
    checksSection(sheet),
    capacitySection(result),
    timelineSection(result),
    soakSection(result, sheet),
    faultSection(result),
    hopSection(result),
    costSection(result),
    conformanceSection(sheet),
    environmentSection(result, sheet),
  ].join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="wacrm ${esc(result.environment.wacrmVersion)}">
<title>${esc(`wacrm ${sheet.verdict.toUpperCase()} · ${result.scenario.name} · ${result.runId}`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
${body}
<footer>Generated by wacrm ${esc(result.environment.wacrmVersion)} from result.json · summary.json schema ${SUMMARY_SCHEMA_VERSION} · verdict ${sheet.verdict} (exit code ${sheet.exitCode})</footer>
</main>
</body>
</html>
`;
}
