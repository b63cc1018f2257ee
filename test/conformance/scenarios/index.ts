// Every conformance scenario. The suite starts them in this order (longest
// first, so the concurrency cap in runner.ts leaves the short ones for last).
import type { Scenario } from '../runner.js';
import sanity from './sanity.js';
import s01 from './01-restart-after-failed-start.js';
import s02 from './02-probe-restarts.js';
import s03 from './03-poststart-status.js';
import s04 from './04-force-deletion.js';
import s05 from './05-attempts.js';
import s06 from './06-sidecar-termination.js';
import s07 from './07-grpc-errors.js';
import s08 from './08-run-as-non-root.js';
import s09 from './09-sandbox-recreate.js';
import s10 from './10-unknown-never.js';
import s11 from './11-ephemeral-target.js';
import s12 from './12-kill-failure.js';
import s13 from './13-init-readiness.js';

const all: Scenario[] = [...sanity, ...s01, ...s02, ...s03, ...s04, ...s05, ...s06, ...s07, ...s08, ...s09, ...s10, ...s11, ...s12, ...s13];

/** Rough expected run time, for the start order (seconds). */
const expected = (s: Scenario): number => s.deadlineMs;

export const scenarios: Scenario[] = [...all].sort((a, b) => expected(b) - expected(a));
