/**
 * The one table of wacrm's user-facing error codes. Each has a message a user can act on and an
 * entry in docs/errors.md (a unit test keeps the two in sync). Failures during load are data, not
 * exceptions: these are for bad input, bad usage and runs that cannot go on.
 */
export const errorCodes = {
  WACRM_USAGE: { exitCode: 2, title: 'Bad command-line usage' },
  WACRM_SCENARIO_INVALID: { exitCode: 2, title: 'The scenario file is not valid' },
  WACRM_SCENARIO_NOT_FOUND: { exitCode: 2, title: 'The scenario file does not exist or cannot be read' },
  WACRM_PORT_IN_USE: { exitCode: 3, title: 'A port wacrm needs is already taken' },
  WACRM_PREFLIGHT_FAILED: { exitCode: 3, title: 'The external connector is not wired to the mocks' },
  WACRM_CONNECTOR_UNREACHABLE: { exitCode: 3, title: 'The connector could not be reached' },
  WACRM_CONNECTOR_EXITED: { exitCode: 3, title: 'The connector process exited' },
  WACRM_RUN_INVALID: { exitCode: 3, title: 'The run is invalid (the harness itself saturated)' },
  WACRM_RUN_DIR_INVALID: { exitCode: 2, title: 'The run directory is missing or not a wacrm run' },
  WACRM_RUN_DIR_BUSY: { exitCode: 2, title: 'Another process is writing this run directory' },
  WACRM_ACCEPTANCE_NOT_FOUND: { exitCode: 2, title: 'The acceptance table does not exist or cannot be read' },
  WACRM_ACCEPTANCE_INVALID: { exitCode: 2, title: 'The acceptance table is not valid' },
  WACRM_THRESHOLD_FAILED: { exitCode: 1, title: 'A graded metric, check or conformance case failed' },
  WACRM_REGRESSION: { exitCode: 1, title: 'The second run is worse than the first' },
  WACRM_REPORT_WRITE_FAILED: { exitCode: 3, title: 'The report files could not be written' },
  WACRM_INTERRUPTED: { exitCode: 130, title: 'The run was interrupted (SIGINT, Ctrl-C)' },
  WACRM_TERMINATED: { exitCode: 143, title: 'The run was stopped (SIGTERM)' },
  WACRM_EXPORT_UNSUPPORTED: { exitCode: 2, title: 'The scenario cannot be exported to k6' },
  WACRM_EXPORT_FAILED: { exitCode: 3, title: 'The k6 export could not be written' },
  WACRM_COLLECT_UNREACHABLE: { exitCode: 2, title: "A mock's admin API could not be reached" },
  WACRM_COLLECT_NOT_A_MOCK: { exitCode: 2, title: 'The URL does not answer as a wacrm mock' },
  WACRM_COLLECT_EMPTY: { exitCode: 2, title: 'The journals hold no flow of a load run' },
  WACRM_COLLECT_UNSUPPORTED: { exitCode: 2, title: 'The scenario has no suite collect can grade' },
  WACRM_K6_SUMMARY_INVALID: { exitCode: 2, title: 'The k6 summary file is not valid' },
} as const;

/** A key of {@link errorCodes}. */
export type ErrorCode = keyof typeof errorCodes;

/** An error with a code from the table, a message for the user, and an optional hint. */
export class WacrmError extends Error {
  readonly exitCode: number;
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'WacrmError';
    this.exitCode = errorCodes[code].exitCode;
  }
}
