import { fmt } from './measures.js';

/**
 * Connector health: how the connector answered the webhooks we sent it (WhatsApp's signed
 * `messages` webhooks and the CRM's signed events), per suite, and what that says. A connector
 * that refuses our correctly signed webhooks, or the verification handshake, is not slow — it is
 * mis-wired (wrong secret, wrong path, wrong verify token), and the report must say so instead of
 * grading every row fail. One that stops answering (killed, hung) is named with the time.
 */

/** Above this share of 4xx answers to correctly signed webhooks the run is diagnosed as refused. */
export const REFUSED_SHARE_LIMIT = 0.05;

/** Answers to one suite's (or stage's) webhooks, keyed by HTTP status or by transport error. */
export interface AnswerCounts {
  /** Suite kind, or `handshake` / `between suites` for answers outside a suite. */
  suite: string;
  /** The stage of the suite (`sending`, `draining`, a capacity step), when it has stages. */
  stage?: string;
  /** `"200"`, `"403"`, …, or a transport error such as `timeout`, `ECONNREFUSED`. */
  byCode: Record<string, number>;
}

/** What the connector's answers come to, as summary.json `connectorHealth` carries it. */
export interface ConnectorHealth {
  /** The verification handshake (GET with hub.challenge) at start-up. */
  handshake: { ok: boolean; statusCode?: number; error?: string };
  /** Attempts per suite by status code or error, in the order suites ran. */
  answers: Array<{
    suite: string;
    /** The stage of the suite the attempts fell in, when it has stages. */
    stage?: string;
    byCode: Record<string, number>;
    attempts: number;
    /** 2xx answers. */
    accepted: number;
    /** 4xx answers: the connector refused a correctly signed webhook. */
    refused: number;
    /** No HTTP answer at all: timeouts, refused or reset connections. */
    unanswered: number;
  }>;
  /** 4xx answers over every attempt (0 without attempts). */
  refusedShare: number;
  /** Attempts that got no HTTP answer, over the whole run. */
  unanswered: number;
  /** Run-relative ms (of the harness clock) when the connector stopped answering and never answered again. */
  stoppedAnsweringAtMs?: number;
  /** Why the reference connector's process exited, with when (run-relative ms). */
  exited?: { atMs: number; reason: string };
  /** Diagnoses, most important first (empty for a healthy connector). */
  diagnoses: string[];
}

/** The input of {@link judgeConnectorHealth}. */
export interface ConnectorHealthInput {
  handshake: ConnectorHealth['handshake'];
  answers: readonly AnswerCounts[];
  stoppedAnsweringAtMs?: number;
  exited?: { atMs: number; reason: string };
}

/** An HTTP status code as a key of `byCode` (transport errors are not numbers). */
function httpStatus(code: string): number | undefined {
  return /^\d{3}$/.test(code) ? Number(code) : undefined;
}

/** Lists codes as `403 × 1,705, 404 × 2`, most frequent first. */
export function codeList(
  byCode: Record<string, number>,
  keep: (code: string) => boolean = () => true,
): string {
  return Object.entries(byCode)
    .filter(([c]) => keep(c))
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .map(([c, n]) => `${c} × ${n.toLocaleString('en-US')}`)
    .join(', ');
}

/** Judges the connector's answers: counts per suite, refused share, and the diagnoses a person reads first. */
export function judgeConnectorHealth(input: ConnectorHealthInput): ConnectorHealth {
  const total: Record<string, number> = {};
  const answers = input.answers.map((a) => {
    let attempts = 0;
    let accepted = 0;
    let refused = 0;
    let unanswered = 0;
    for (const [code, n] of Object.entries(a.byCode)) {
      attempts += n;
      total[code] = (total[code] ?? 0) + n;
      const s = httpStatus(code);
      if (s === undefined) unanswered += n;
      else if (s >= 200 && s < 300) accepted += n;
      else if (s >= 400 && s < 500) refused += n;
    }
    return {
      suite: a.suite,
      ...(a.stage !== undefined ? { stage: a.stage } : {}),
      byCode: { ...a.byCode },
      attempts,
      accepted,
      refused,
      unanswered,
    };
  });
  const attempts = answers.reduce((s, a) => s + a.attempts, 0);
  const refused = answers.reduce((s, a) => s + a.refused, 0);
  const unanswered = answers.reduce((s, a) => s + a.unanswered, 0);
  const refusedShare = attempts === 0 ? 0 : refused / attempts;
  const diagnoses: string[] = [];
  const hs = input.handshake;
  const refusedCodes = codeList(total, (c) => (httpStatus(c) ?? 0) >= 400 && (httpStatus(c) ?? 0) < 500);
  if (!hs.ok || refusedShare > REFUSED_SHARE_LIMIT) {
    const parts: string[] = [];
    if (!hs.ok) {
      parts.push(
        `the verification handshake was refused (${hs.statusCode !== undefined ? `HTTP ${hs.statusCode}` : (hs.error ?? 'no answer')})`,
      );
    }
    if (refused > 0) {
      parts.push(
        `${refused.toLocaleString('en-US')} of ${attempts.toLocaleString('en-US')} correctly signed webhooks ` +
          `(${fmt(refusedShare * 100, 1)} %) were answered 4xx: ${refusedCodes}`,
      );
    }
    diagnoses.push(
      `connector refused our webhooks: ${parts.join('; ')} — check the app secret, the verify token and the webhook paths`,
    );
  }
  if (input.exited) {
    diagnoses.push(
      `connector died: ${input.exited.reason} at ${fmt(input.exited.atMs / 1000, 1)} s into the run`,
    );
  }
  if (input.stoppedAnsweringAtMs !== undefined) {
    diagnoses.push(
      `connector stopped answering at ${fmt(input.stoppedAnsweringAtMs / 1000, 1)} s into the run: ` +
        `${unanswered.toLocaleString('en-US')} webhook attempts got no answer (${codeList(total, (c) => httpStatus(c) === undefined)})`,
    );
  }
  return {
    handshake: { ...hs },
    answers,
    refusedShare,
    unanswered,
    ...(input.stoppedAnsweringAtMs !== undefined ? { stoppedAnsweringAtMs: input.stoppedAnsweringAtMs } : {}),
    ...(input.exited ? { exited: { ...input.exited } } : {}),
    diagnoses,
  };
}
