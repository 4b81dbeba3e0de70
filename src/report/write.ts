import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { WacrmError } from '../errors.js';
import type { GradeSheet } from '../grading/grade.js';
import { type RunResult, runResultSchema } from '../result/run-result.js';
import { renderHtml } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';
import { renderSummaryJson, type SummaryForCompare, summaryForCompareSchema } from './summary.js';

/**
 * The file edge of reporting: writing the report files of a run directory and reading
 * result.json / summary.json back with errors that say which file and which field is wrong.
 */

/** The files {@link writeReports} writes, in order. */
export const REPORT_FILES = ['summary.json', 'junit.xml', 'summary.md', 'report.html'] as const;

/** Largest result.json / summary.json read back (a 72 h soak's result is a few MB at most). */
const MAX_READ_BYTES = 200_000_000;

/**
 * Writes summary.json, junit.xml, summary.md and report.html into `runDir` (created if missing).
 * Each file is written to a temporary name and renamed, so a reader never sees half a file.
 * Returns the paths written.
 */
export async function writeReports(runDir: string, result: RunResult, sheet: GradeSheet): Promise<string[]> {
  const contents: Record<(typeof REPORT_FILES)[number], string> = {
    'summary.json': renderSummaryJson(result, sheet),
    'junit.xml': renderJunit(result, sheet),
    'summary.md': renderMarkdown(result, sheet),
    'report.html': renderHtml(result, sheet),
  };
  try {
    await mkdir(runDir, { recursive: true });
    const written: string[] = [];
    for (const name of REPORT_FILES) {
      const target = join(runDir, name);
      const tmp = `${target}.tmp-${randomUUID().slice(0, 8)}`;
      await writeFile(tmp, contents[name], 'utf8');
      await rename(tmp, target);
      written.push(target);
    }
    return written;
  } catch (err) {
    throw new WacrmError(
      'WACRM_REPORT_WRITE_FAILED',
      `cannot write the reports to ${runDir}: ${(err as NodeJS.ErrnoException).code ?? ''} ${err instanceof Error ? err.message : String(err)}`.trim(),
      'check that the directory is writable and the disk is not full',
      { cause: err },
    );
  }
}

async function readJsonIn(runDir: string, name: string, hint: string): Promise<unknown> {
  const file = join(runDir, name);
  let info: Awaited<ReturnType<typeof stat>>;
  const dirHint = 'give a directory a run wrote, such as reports/<run-id>';
  try {
    info = await stat(runDir);
  } catch {
    throw new WacrmError('WACRM_RUN_DIR_INVALID', `run directory ${runDir} does not exist`, dirHint);
  }
  if (!info.isDirectory())
    throw new WacrmError('WACRM_RUN_DIR_INVALID', `${runDir} is not a directory`, dirHint);
  let text: string;
  try {
    const fileInfo = await stat(file);
    if (fileInfo.size > MAX_READ_BYTES) {
      throw new WacrmError(
        'WACRM_RUN_DIR_INVALID',
        `${file} is ${fileInfo.size} bytes, more than wacrm reads`,
      );
    }
    text = await readFile(file, 'utf8');
  } catch (err) {
    if (err instanceof WacrmError) throw err;
    throw new WacrmError(
      'WACRM_RUN_DIR_INVALID',
      `${runDir} has no readable ${name}: it is not a wacrm run directory`,
      hint,
    );
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new WacrmError(
      'WACRM_RUN_DIR_INVALID',
      `${file} is not valid JSON (${err instanceof Error ? err.message : String(err)})`,
      hint,
    );
  }
}

function schemaProblems(issues: ReadonlyArray<{ path: readonly PropertyKey[]; message: string }>): string {
  const shown = issues.slice(0, 8).map((i) => `  ${i.path.map(String).join('.') || '(root)'}: ${i.message}`);
  if (issues.length > 8) shown.push(`  … and ${issues.length - 8} more`);
  return shown.join('\n');
}

/** Reads and checks `RUN_DIR/result.json`; throws WACRM_RUN_DIR_INVALID naming the bad fields. */
export async function readRunResult(runDir: string): Promise<RunResult> {
  const data = await readJsonIn(runDir, 'result.json', 'give the directory a run wrote (reports/<run-id>)');
  const version = (data as { schemaVersion?: unknown } | null)?.schemaVersion;
  if (version !== undefined && version !== 1) {
    throw new WacrmError(
      'WACRM_RUN_DIR_INVALID',
      `${join(runDir, 'result.json')} has schemaVersion ${JSON.stringify(version)}; this wacrm reads version 1`,
      'use the wacrm version that wrote the run',
    );
  }
  const parsed = runResultSchema.safeParse(data);
  if (!parsed.success) {
    throw new WacrmError(
      'WACRM_RUN_DIR_INVALID',
      `${join(runDir, 'result.json')} is not a valid run result:\n${schemaProblems(parsed.error.issues)}`,
    );
  }
  return parsed.data as RunResult;
}

/** Reads and checks `RUN_DIR/summary.json` for compare; throws WACRM_RUN_DIR_INVALID naming the bad fields. */
export async function readSummary(runDir: string): Promise<SummaryForCompare> {
  const hint = `regenerate it with: wacrm report ${runDir}`;
  const data = await readJsonIn(runDir, 'summary.json', hint);
  const parsed = summaryForCompareSchema.safeParse(data);
  if (!parsed.success) {
    throw new WacrmError(
      'WACRM_RUN_DIR_INVALID',
      `${join(runDir, 'summary.json')} is not a wacrm summary (schema version 1):\n${schemaProblems(parsed.error.issues)}`,
      hint,
    );
  }
  return parsed.data;
}
