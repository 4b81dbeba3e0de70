import { access, readFile, stat } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument } from 'yaml';
import type { z } from 'zod';
import { WacrmError } from '../errors.js';
import { type AcceptanceTable, acceptanceTableSchema } from './acceptance.js';
import { type ConfigIssue, describeIssue, formatIssue, formatPath, locate } from './issues.js';
import { CREDENTIAL_KEYS, type Scenario, type Suite, type SuiteKind, scenarioSchema } from './schema.js';

/**
 * Reading scenario and acceptance files: YAML or JSON (JSON is read by the YAML parser, which
 * keeps positions), every error collected (syntax, schema, referenced files) with line:column,
 * then either the resolved value or a {@link ConfigError} listing them all.
 */

/** Files larger than this are refused before parsing: a scenario is a page, not a data set. */
export const MAX_CONFIG_BYTES = 1_000_000;

/** The outcome of parsing one config text. */
export type ParseOutcome<T> =
  | { ok: true; value: T; issues: readonly [] }
  | { ok: false; value?: undefined; issues: ConfigIssue[] };

/** A config file that failed: carries every issue; its message lists them one per line. */
export class ConfigError extends WacrmError {
  constructor(
    code: 'WACRM_SCENARIO_INVALID' | 'WACRM_ACCEPTANCE_INVALID',
    readonly file: string,
    readonly issues: ConfigIssue[],
  ) {
    const what = code === 'WACRM_SCENARIO_INVALID' ? 'scenario' : 'acceptance table';
    super(
      code,
      `${file} is not a valid ${what} (${issues.length} error${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((i) => `  ${formatIssue(i)}`).join('\n'),
      `check it without running: wacrm validate ${file}`,
    );
  }
}

type ZodLike = Parameters<typeof describeIssue>[1];

/** Every key that appears twice in a mapping, at its second occurrence, with the path of the mapping. */
function duplicateKeyIssues(
  node: unknown,
  lc: LineCounter,
  file: string,
  path: PropertyKey[],
): ConfigIssue[] {
  const out: ConfigIssue[] = [];
  if (isMap(node)) {
    const seen = new Map<string, number>();
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = isScalar(pair.key) ? String(pair.key.value) : undefined;
      if (key !== undefined) {
        const range = (pair.key as { range?: [number, number, number] }).range;
        const at = range ? lc.linePos(range[0]) : { line: 1, col: 1 };
        const first = seen.get(key);
        if (first !== undefined) {
          out.push({
            file,
            line: at.line,
            col: at.col,
            path: formatPath([...path, key]),
            message: `duplicate key ${JSON.stringify(key)} (first at line ${first}); a second value would silently replace the first`,
          });
        } else seen.set(key, at.line);
      }
      out.push(...duplicateKeyIssues(pair.value, lc, file, key === undefined ? path : [...path, key]));
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => {
      out.push(...duplicateKeyIssues(item, lc, file, [...path, i]));
    });
  }
  return out;
}

/** Parses YAML/JSON text and validates it against `schema`, collecting every issue with its position. */
export function parseConfigText<S extends z.ZodType>(
  schema: S,
  text: string,
  file: string,
): ParseOutcome<z.output<S>> {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, merge: true });
  const issues: ConfigIssue[] = duplicateKeyIssues(doc.contents, lc, file, []);
  for (const e of doc.errors) {
    // Duplicate keys are reported above, at the second occurrence; yaml's own message points at the map.
    if (e.code === 'DUPLICATE_KEY') continue;
    const pos = e.linePos?.[0] ?? { line: 1, col: 1 };
    // yaml's messages end with a code-frame after a colon and newline; the first line is the message.
    const message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
    issues.push({ file, line: pos.line, col: pos.col, path: '', message: `YAML syntax: ${message}` });
  }
  if (issues.length > 0) return { ok: false, issues };
  if (doc.contents === null) {
    return { ok: false, issues: [{ file, line: 1, col: 1, path: '', message: 'the file is empty' }] };
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, issues: [{ file, line: 1, col: 1, path: '', message: `YAML: ${message}` }] };
  }
  const parsed = schema.safeParse(data);
  if (parsed.success) return { ok: true, value: parsed.data, issues: [] };
  for (const issue of parsed.error.issues) {
    for (const d of describeIssue(issue, schema as unknown as ZodLike, data)) {
      const pos = locate(doc, lc, d.path, d.keyOf);
      issues.push({ file, line: pos.line, col: pos.col, path: formatPath(d.path), message: d.message });
    }
  }
  issues.sort((a, b) => a.line - b.line || a.col - b.col);
  return { ok: false, issues };
}

/** Parses and validates scenario text (no file references are checked). */
export function parseScenarioText(text: string, file = '<scenario>'): ParseOutcome<Scenario> {
  return parseConfigText(scenarioSchema, text, file);
}

/** Parses and validates acceptance-table text. */
export function parseAcceptanceText(text: string, file = '<acceptance>'): ParseOutcome<AcceptanceTable> {
  return parseConfigText(acceptanceTableSchema, text, file) as ParseOutcome<AcceptanceTable>;
}

/** A scenario ready to run: resolved, with its files made absolute and its acceptance table loaded. */
export interface LoadedScenario {
  /** Absolute path of the scenario file. */
  file: string;
  scenario: Scenario;
  /** Absolute path of the acceptance table it names (the built-in one when it names none). */
  acceptanceFile: string;
  /** True when the scenario names no table and is graded against the one shipped with wacrm. */
  acceptanceBuiltIn: boolean;
  acceptance: AcceptanceTable;
  /**
   * The secrets `connector.credentials` named, read from the environment (only when
   * {@link LoadOptions.env} was given); never part of `scenario`, so never journaled.
   */
  credentials: Partial<Record<(typeof CREDENTIAL_KEYS)[number], string>>;
}

/** What a run adds to checking a scenario: its environment and the connector it was pointed at. */
export interface LoadOptions extends ScenarioCheckOptions {
  /** Environment the `{ env: NAME }` secrets are read from; without it they are not resolved. */
  env?: Readonly<Record<string, string | undefined>>;
  /** An external connector given on the command line (`--connector-url`): reference-only keys are refused. */
  connectorUrl?: string;
}

async function readConfigFile(
  file: string,
  notFound: 'WACRM_SCENARIO_NOT_FOUND' | 'WACRM_ACCEPTANCE_NOT_FOUND',
): Promise<string> {
  const what = notFound === 'WACRM_SCENARIO_NOT_FOUND' ? 'scenario' : 'acceptance table';
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new WacrmError(notFound, `${what} ${file} is not a file`);
    if (info.size > MAX_CONFIG_BYTES) {
      throw new WacrmError(
        notFound,
        `${what} ${file} is ${info.size} bytes; at most ${MAX_CONFIG_BYTES} are read`,
      );
    }
    return await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof WacrmError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'does not exist'
        : code === 'EACCES'
          ? 'cannot be read (permission denied)'
          : String(err);
    throw new WacrmError(notFound, `${what} ${file} ${why}`, 'give the path of a .yaml or .json file', {
      cause: err,
    });
  }
}

/** Reads, validates and returns an acceptance table; throws {@link ConfigError} or a not-found WacrmError. */
export async function loadAcceptanceTable(file: string): Promise<AcceptanceTable> {
  const text = await readConfigFile(file, 'WACRM_ACCEPTANCE_NOT_FOUND');
  const out = parseAcceptanceText(text, file);
  if (!out.ok) throw new ConfigError('WACRM_ACCEPTANCE_INVALID', file, out.issues);
  return out.value;
}

/** The result of checking a scenario file end to end (for `wacrm validate`): all issues, in every file involved. */
export interface ScenarioCheck {
  issues: ConfigIssue[];
  loaded?: LoadedScenario;
}

/** What the scenario check needs from outside the config room. */
export interface ScenarioCheckOptions {
  /**
   * The keys the runner of a suite kind reads (the suite registry, src/run/suites/); a key the
   * schema accepts but the runner does not read is an error at its position, never ignored.
   * Undefined for a kind: no runner plays it here (its keys are not checked).
   */
  suiteReads?: (kind: SuiteKind) => readonly string[] | undefined;
}

/** Issues for suite keys no runner reads (see {@link ScenarioCheckOptions.suiteReads}). */
function unreadKeyIssues(
  data: unknown,
  suiteReads: NonNullable<ScenarioCheckOptions['suiteReads']>,
  issueAt: (path: PropertyKey[], message: string, keyOf: boolean) => void,
): void {
  const suites = (data as { suites?: unknown } | null)?.suites;
  if (!Array.isArray(suites)) return;
  suites.forEach((raw, i) => {
    if (raw === null || typeof raw !== 'object') return;
    const kind = (raw as { kind?: unknown }).kind as SuiteKind;
    const reads = suiteReads(kind);
    if (!reads) return;
    for (const key of Object.keys(raw)) {
      if (key === 'kind' || reads.includes(key)) continue;
      issueAt(
        ['suites', i, key],
        `${key} is accepted by the ${kind} schema but its runner does not read it: remove it (it would change nothing)`,
        true,
      );
    }
  });
}

/**
 * Checks a scenario file and what it references (acceptance table, soak profile file) and
 * returns every issue found; never throws for bad content (only a missing scenario file throws).
 */
export async function checkScenarioFile(file: string, opts: LoadOptions = {}): Promise<ScenarioCheck> {
  const text = await readConfigFile(file, 'WACRM_SCENARIO_NOT_FOUND');
  const lc = new LineCounter();
  const out = parseScenarioText(text, file);
  if (!out.ok) return { issues: out.issues };
  const scenario = out.value;
  const dir = dirname(resolve(file));
  const issues: ConfigIssue[] = [];
  // Positions for references are found in a second parse: cheap, and keeps parseConfigText simple.
  const doc = parseDocument(text, { lineCounter: lc, merge: true });
  const issueAt = (path: PropertyKey[], message: string, keyOf = false): void => {
    const pos = locate(doc, lc, path, keyOf);
    issues.push({ file, line: pos.line, col: pos.col, path: formatPath(path), message });
  };
  if (opts.suiteReads) unreadKeyIssues(doc.toJS({ maxAliasCount: 1000 }), opts.suiteReads, issueAt);

  // No `acceptance:` means the built-in table, wherever the scenario lives: a scenario written outside
  // scenarios/ must not need a copy of acceptance.yaml beside it.
  const acceptanceBuiltIn = scenario.acceptance === null;
  let acceptanceFile = '';
  let acceptance: AcceptanceTable | undefined;
  try {
    acceptanceFile =
      scenario.acceptance === null
        ? await defaultAcceptancePath()
        : isAbsolute(scenario.acceptance)
          ? scenario.acceptance
          : resolve(dir, scenario.acceptance);
    acceptance = await loadAcceptanceTable(acceptanceFile);
  } catch (err) {
    if (err instanceof ConfigError) issues.push(...err.issues);
    else if (err instanceof WacrmError) issueAt(['acceptance'], err.message);
    else throw err;
  }

  const suites: Suite[] = [];
  for (const [i, s] of scenario.suites.entries()) {
    if (s.kind === 'soak' && s.profileFile !== null) {
      const profileFile = isAbsolute(s.profileFile) ? s.profileFile : resolve(dir, s.profileFile);
      try {
        await access(profileFile);
      } catch {
        issueAt(['suites', i, 'profileFile'], `profile file ${profileFile} does not exist or cannot be read`);
      }
      suites.push({ ...s, profileFile });
    } else suites.push(s);
  }
  // A CRM kept across runs lives in a file next to the scenario unless the path says otherwise.
  let persist = scenario.mocks.crm.persist;
  if (typeof persist === 'string') {
    persist = isAbsolute(persist) ? persist : resolve(dir, persist);
    try {
      await access(dirname(persist));
    } catch {
      issueAt(['mocks', 'crm', 'persist'], `the directory of ${persist} does not exist`);
    }
  }
  // The scenario's own `url` is checked by the schema; a --connector-url makes the run external too.
  if (opts.connectorUrl !== undefined && scenario.connector.url === null) {
    for (const key of ['faults', 'args'] as const) {
      if (scenario.connector[key].length > 0) {
        issueAt(
          ['connector', key],
          `${key} apply to the reference connector only, and --connector-url names an external one; remove them`,
        );
      }
    }
  }
  const credentials: LoadedScenario['credentials'] = {};
  if (opts.env) {
    for (const key of CREDENTIAL_KEYS) {
      const ref = scenario.connector.credentials[key];
      if (!ref) continue;
      const value = opts.env[ref.env];
      if (value === undefined || value === '') {
        issueAt(['connector', 'credentials', key, 'env'], `environment variable ${ref.env} is not set`);
      } else if (!/^\S{1,512}$/.test(value)) {
        issueAt(
          ['connector', 'credentials', key, 'env'],
          `environment variable ${ref.env} must hold 1-512 characters without spaces`,
        );
      } else credentials[key] = value;
    }
  }
  if (issues.length > 0 || !acceptance) return { issues };
  const resolved: Scenario = {
    ...scenario,
    mocks: { ...scenario.mocks, crm: { ...scenario.mocks.crm, persist } },
    suites,
  };
  return {
    issues: [],
    loaded: {
      file: resolve(file),
      scenario: resolved,
      acceptanceFile,
      acceptanceBuiltIn,
      acceptance,
      credentials,
    },
  };
}

/** Loads a scenario and its acceptance table, ready to run; throws {@link ConfigError} listing every error. */
export async function loadScenario(file: string, opts: LoadOptions = {}): Promise<LoadedScenario> {
  const check = await checkScenarioFile(file, opts);
  if (!check.loaded) {
    const scenarioIssues = check.issues.filter((i) => i.file === file);
    const tableOnly = scenarioIssues.length === 0 && check.issues.length > 0;
    throw new ConfigError(
      tableOnly ? 'WACRM_ACCEPTANCE_INVALID' : 'WACRM_SCENARIO_INVALID',
      tableOnly ? (check.issues[0]?.file ?? file) : file,
      check.issues,
    );
  }
  return check.loaded;
}

/**
 * The acceptance table shipped with wacrm (`scenarios/acceptance.yaml` at the package root),
 * found by walking up from this module so it works from `src/` (tsx) and from `dist/src/`.
 */
export async function defaultAcceptancePath(): Promise<string> {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let up = 0; up < 5; up++) {
    const candidate = resolve(dir, 'scenarios', 'acceptance.yaml');
    try {
      await access(candidate);
      return candidate;
    } catch {
      dir = dirname(dir);
    }
  }
  throw new WacrmError(
    'WACRM_ACCEPTANCE_NOT_FOUND',
    'the built-in acceptance table scenarios/acceptance.yaml is missing from this installation',
    'pass --acceptance FILE',
  );
}
