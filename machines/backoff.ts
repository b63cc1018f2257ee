// Pure back-off arithmetic mirroring the kubelet's flowcontrol.Backoff as used for
// CrashLoopBackOff (kuberuntime doBackOff) and image pulls (image manager).
// Everything is plain data so it can live in XState context and be persisted.
//
// Kubelet facts mirrored (semantics §1, §8, §9):
// - factor 2, no jitter; crashloop 10 s initial, 300 s max;
// - Next(): a new or expired entry starts at `initial`, otherwise min(2x, max);
//   lastUpdate := now (the time of the restart, not of the exit);
// - an entry has expired when `eventTime - lastUpdate > maxAge` (600 s, fixed since 1.32
//   for crashloop; 2*max for the image back-off, which is 600 s with the defaults);
// - crashloop: IsInBackOffSince(key, finishedAt) = now - finishedAt < backoff;
// - image pull: IsInBackOffSinceUpdate(key, now) = now - lastUpdate < backoff.

export interface BackOffPolicy {
  initialMs: number;
  maxMs: number;
  /** Entry considered absent once `eventTime - lastUpdate > resetAfterMs`. */
  resetAfterMs: number;
}

export interface BackOffEntry {
  /** Current back-off duration (the value printed in `back-off <d> restarting ...`). */
  backoffMs: number;
  /** Clock time of the last Next(). */
  lastUpdateMs: number;
}

export const CRASHLOOP_INITIAL_MS = 10_000;
export const CRASHLOOP_MAX_MS = 300_000;
/** Hard-coded 600 s reset since 1.32 (was 2*max before). */
export const CRASHLOOP_RESET_MS = 600_000;

export const CRASHLOOP_BACKOFF: BackOffPolicy = Object.freeze({
  initialMs: CRASHLOOP_INITIAL_MS,
  maxMs: CRASHLOOP_MAX_MS,
  resetAfterMs: CRASHLOOP_RESET_MS,
});

/** `[1.33 alpha ReduceDefaultCrashLoopBackOffDecay]`: 1 s / 60 s. */
export const REDUCED_CRASHLOOP_BACKOFF: BackOffPolicy = Object.freeze({
  initialMs: 1_000,
  maxMs: 60_000,
  resetAfterMs: CRASHLOOP_RESET_MS,
});

/** Image pull back-off: 10 s / 300 s, entries expire after 2*max = 600 s idle. */
export const IMAGE_PULL_BACKOFF: BackOffPolicy = Object.freeze({
  initialMs: 10_000,
  maxMs: 300_000,
  resetAfterMs: 600_000,
});

/**
 * Builds a policy from node knobs (KEP-4603 `crashLoopBackOff.maxContainerRestartPeriod`):
 * defaults are the crashloop values; if max < initial then initial := max.
 */
export function makeBackOffPolicy(opts: { initialMs?: number; maxMs?: number; resetAfterMs?: number } = {}): BackOffPolicy {
  const maxMs = opts.maxMs ?? CRASHLOOP_MAX_MS;
  let initialMs = opts.initialMs ?? CRASHLOOP_INITIAL_MS;
  if (maxMs < initialMs) initialMs = maxMs;
  return { initialMs, maxMs, resetAfterMs: opts.resetAfterMs ?? CRASHLOOP_RESET_MS };
}

/** flowcontrol hasExpired: the entry no longer counts once `eventTime - lastUpdate > resetAfter`. */
export function isExpired(entry: BackOffEntry, eventTimeMs: number, policy: BackOffPolicy): boolean {
  return eventTimeMs - entry.lastUpdateMs > policy.resetAfterMs;
}

/** The entry that is still live at eventTime, or undefined (absent or expired). */
export function liveEntry(
  entry: BackOffEntry | undefined,
  eventTimeMs: number,
  policy: BackOffPolicy,
): BackOffEntry | undefined {
  if (!entry || isExpired(entry, eventTimeMs, policy)) return undefined;
  return entry;
}

export interface BackOffCheck {
  /** True when the start must be refused now (CrashLoopBackOff / ImagePullBackOff). */
  inBackOff: boolean;
  /** Remaining wait from now; 0 when not in back-off. */
  delayMs: number;
  /** Current back-off duration of the live entry (0 when none): shown in the waiting message. */
  currentBackoffMs: number;
}

/**
 * CrashLoopBackOff check for a container whose newest Exited instance finished at
 * `finishedAtMs` (kubelet doBackOff: IsInBackOffSince(key, FinishedAt)). The first exit has
 * no entry and restarts at once; the entry is treated as absent when the run since the last
 * restart lasted more than resetAfterMs.
 */
export function restartDelay(
  entry: BackOffEntry | undefined,
  finishedAtMs: number,
  nowMs: number,
  policy: BackOffPolicy = CRASHLOOP_BACKOFF,
): BackOffCheck {
  const live = liveEntry(entry, finishedAtMs, policy);
  if (!live) return { inBackOff: false, delayMs: 0, currentBackoffMs: 0 };
  const dueAt = finishedAtMs + live.backoffMs;
  const inBackOff = nowMs - finishedAtMs < live.backoffMs;
  return { inBackOff, delayMs: inBackOff ? dueAt - nowMs : 0, currentBackoffMs: live.backoffMs };
}

export interface DoBackOffResult extends BackOffCheck {
  /** The entry after the check: Next() applied when the start goes ahead after an exit. */
  entry: BackOffEntry | undefined;
}

/**
 * kuberuntime_manager.go doBackOff (release-1.34), the one source for every restart gate:
 * - it looks only at the newest *Exited* instance in the pod status snapshot the sync works
 *   on; with none (first start, or a kill-and-restart whose killed instance was still
 *   Running in that snapshot) the start goes ahead and Next() is NOT called;
 * - IsInBackOffSince(key, FinishedAt): refuse the start (CrashLoopBackOff);
 * - otherwise Next(key, FinishedAt) and start.
 */
export function doBackOff(
  entry: BackOffEntry | undefined,
  newestExitedFinishedAtMs: number | undefined,
  nowMs: number,
  policy: BackOffPolicy = CRASHLOOP_BACKOFF,
): DoBackOffResult {
  if (newestExitedFinishedAtMs === undefined) return { inBackOff: false, delayMs: 0, currentBackoffMs: 0, entry };
  const check = restartDelay(entry, newestExitedFinishedAtMs, nowMs, policy);
  if (check.inBackOff) return { ...check, entry };
  return { ...check, entry: nextBackOff(entry, nowMs, policy, newestExitedFinishedAtMs) };
}

/**
 * The kubelet's Next(): called when a start is attempted (crashloop) or a pull failed (image).
 * `eventTimeMs` is what the expiry is judged against (crashloop: the exit's FinishedAt;
 * image: now) and defaults to now.
 */
export function nextBackOff(
  entry: BackOffEntry | undefined,
  nowMs: number,
  policy: BackOffPolicy = CRASHLOOP_BACKOFF,
  eventTimeMs: number = nowMs,
): BackOffEntry {
  const live = liveEntry(entry, eventTimeMs, policy);
  const backoffMs = live ? Math.min(live.backoffMs * 2, policy.maxMs) : policy.initialMs;
  return { backoffMs, lastUpdateMs: nowMs };
}

/**
 * Image-pull check (IsInBackOffSinceUpdate(key, now)): in back-off while
 * `now - lastUpdate < backoff`, i.e. for `backoff` after the last failed pull.
 */
export function imagePullBackOff(
  entry: BackOffEntry | undefined,
  nowMs: number,
  policy: BackOffPolicy = IMAGE_PULL_BACKOFF,
): BackOffCheck {
  const live = liveEntry(entry, nowMs, policy);
  if (!live) return { inBackOff: false, delayMs: 0, currentBackoffMs: 0 };
  const elapsed = nowMs - live.lastUpdateMs;
  const inBackOff = elapsed < live.backoffMs;
  return { inBackOff, delayMs: inBackOff ? live.backoffMs - elapsed : 0, currentBackoffMs: live.backoffMs };
}

/** Crashloop back-off key (GetStableKey): pod identity + container name + container hash. */
export function crashLoopKey(pod: { name: string; namespace: string; uid: string }, containerName: string, hash: string): string {
  return `${pod.name}_${pod.namespace}_${pod.uid}_${containerName}_${hash}`;
}

/** Image back-off key: `<podUID>_<image>`. */
export function imagePullKey(podUid: string, image: string): string {
  return `${podUid}_${image}`;
}
