// The kubelet configuration flags shared by the commands that run pods (`run`,
// `serve`): --feature-gates and the crash-loop back-off knobs.
//
//   addKubeletOptions(cmd);                        // declares them
//   const k = kubeletOptionsFrom(raw, cmd);        // in .action(): checked before anything starts
//   new RuntimeManager({ backOff: k.backOff, container: { featureGates: k.featureGates } })
//   loadPod(text, source, { gates: k.featureGates })
//
// A bad value exits 2 with a message naming the flag, as commander's usage errors do.
import { InvalidArgumentError, type Command } from 'commander';
import { DEFAULT_FEATURE_GATES, parseFeatureGates, type FeatureGates } from '../../machines/features.js';
import { maxContainerRestartPeriodError, type CrashLoopKnobs } from '../kubelet-config.js';

/** --feature-gates may be given more than once; later settings win, as with the kubelet's flag. */
function featureGatesArg(value: string, previous: FeatureGates | undefined): FeatureGates {
  try {
    return parseFeatureGates(value, previous ?? DEFAULT_FEATURE_GATES);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
}

const seconds = (v: string): number => {
  const n = Number(v);
  if (v.trim() === '' || !Number.isFinite(n) || n < 0) throw new InvalidArgumentError(`expected a number of seconds >= 0, got ${JSON.stringify(v)}`);
  return n;
};

/** Declares --feature-gates, --backoff-initial and --backoff-max. */
export function addKubeletOptions(cmd: Command): Command {
  const gates = Object.entries(DEFAULT_FEATURE_GATES)
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
  return cmd
    .option('--feature-gates <gates>', `kubelet feature gates, Name=true|false,... (1.36 defaults: ${gates})`, featureGatesArg)
    .option('--backoff-initial <seconds>', 'initial CrashLoopBackOff delay (statelet knob; default 10, or 1 with ReduceDefaultCrashLoopBackOffDecay)', seconds)
    .option('--backoff-max <seconds>', 'maximum CrashLoopBackOff delay, 1-300 (the kubelet\'s crashLoopBackOff.maxContainerRestartPeriod, KEP-5593; default 300, or 60 with ReduceDefaultCrashLoopBackOffDecay)', seconds);
}

export interface KubeletOptions {
  featureGates: FeatureGates;
  /** Undefined when neither knob was given (the gates' curve applies). */
  backOff?: CrashLoopKnobs;
}

/** Reads what addKubeletOptions declared; a bad combination is reported as a usage error (exit 2). */
export function kubeletOptionsFrom(raw: Record<string, unknown>, cmd?: Command): KubeletOptions {
  const featureGates = (raw['featureGates'] as FeatureGates | undefined) ?? { ...DEFAULT_FEATURE_GATES };
  const initial = raw['backoffInitial'] as number | undefined;
  const max = raw['backoffMax'] as number | undefined;
  const problem = maxContainerRestartPeriodError(max === undefined ? undefined : max * 1000, featureGates);
  if (problem) {
    const text = `--backoff-max: ${problem}`;
    if (!cmd) throw new Error(text);
    cmd.error(`error: ${text}`, { exitCode: 2, code: 'statelet.kubeletFlags' });
  }
  const backOff = initial !== undefined || max !== undefined ? { initialMs: initial !== undefined ? initial * 1000 : undefined, maxMs: max !== undefined ? max * 1000 : undefined } : undefined;
  return { featureGates, backOff };
}
