import { FaultSpecError, parseFaults } from '../../kernel/connector-faults.js';
import { SpecError } from '../../kernel/distributions.js';
import { parseFaultSpec } from '../../kernel/fault-spec.js';

/**
 * Fault specs checked with the very grammars that will run them (the mocks' fault parser, the
 * reference connector's switch parser), so a spec that passes `wacrm validate` cannot fail mid-run.
 */

/** Why a mock fault spec (`outage=nope`, `latency=fast`) would be refused at run time, or null when it parses. */
export function mockFaultProblem(spec: string): string | null {
  try {
    parseFaultSpec(spec, 0);
    return null;
  } catch (e) {
    if (e instanceof SpecError) return e.message;
    throw e;
  }
}

/** Why a reference-connector fault switch (`drop-inbound=lots`) would be refused at start-up, or null. */
export function connectorFaultProblem(spec: string): string | null {
  try {
    parseFaults([spec]);
    return null;
  } catch (e) {
    if (e instanceof FaultSpecError) return e.message;
    throw e;
  }
}
