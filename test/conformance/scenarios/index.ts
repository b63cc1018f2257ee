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
import s05KillContainer from './s05-kill-container.js';
import s06KillPod from './s06-kill-pod.js';
import s07ComputePodActions from './s07-compute-pod-actions.js';
import s08CrashLoop from './s08-crashloop.js';
import s09ImagePull from './s09-image-pull.js';
import s10Probes from './s10-probes.js';
import s11StatusPhase from './s11-status-phase.js';
// Issue 13: kubelet 1.35–1.36 behaviour.
import s13RestartRules from './s13-restart-rules.js';
import s13RestartAll from './s13-restart-all.js';
import s13Resize from './s13-resize.js';
import s13StatusDetails from './s13-status-details.js';

const all: Scenario[] = [...sanity, ...s01, ...s02, ...s03, ...s04, ...s05, ...s06, ...s07, ...s08, ...s09, ...s10, ...s11, ...s12, ...s13,
  // Facts sheet §5–§11 (kubelet-semantics.md), one file per section.
  ...s05KillContainer, ...s06KillPod, ...s07ComputePodActions, ...s08CrashLoop, ...s09ImagePull, ...s10Probes, ...s11StatusPhase,
  ...s13RestartRules, ...s13RestartAll, ...s13Resize, ...s13StatusDetails];

/** Rough expected run time, for the start order (seconds). */
const expected = (s: Scenario): number => s.deadlineMs;

export const scenarios: Scenario[] = [...all].sort((a, b) => expected(b) - expected(a));
