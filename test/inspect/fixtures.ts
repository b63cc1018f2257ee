// Toy charts for the inspection tests: a pod that spawns "containers" which
// crash-loop (run for a while, exit, wait an exponential back-off, restart),
// each with a periodic "probe" child. They only mimic the shape of statelet's
// real machines (meta.reason, backOffUntil, restartCount), not their logic.

import { assign, enqueueActions, sendTo, setup, type AnyActorRef } from 'xstate';

export interface DemoContainerInput {
  name: string;
  /** How long each run lasts before the container "exits". */
  runMs: number;
  backOffBaseMs: number;
  backOffCapMs?: number;
  restartPolicy?: 'Always' | 'OnFailure' | 'Never';
  exitCode?: number;
  hookMs?: number;
  probePeriodMs?: number;
}

export interface DemoContainerContext {
  name: string;
  runMs: number;
  backOffBaseMs: number;
  backOffCapMs: number;
  restartPolicy: 'Always' | 'OnFailure' | 'Never';
  exitCode: number;
  hookMs: number;
  probePeriodMs: number;
  restartCount: number;
  lastExitCode: number | null;
  /** Epoch ms when the current back-off ends (0 when not backing off). */
  backOffUntil: number;
}

export function backOffDelay(ctx: Pick<DemoContainerContext, 'backOffBaseMs' | 'backOffCapMs' | 'restartCount'>): number {
  return Math.min(ctx.backOffBaseMs * 2 ** ctx.restartCount, ctx.backOffCapMs);
}

export const demoProbeMachine = setup({
  types: {
    context: {} as { periodMs: number; successes: number },
    input: {} as { periodMs: number },
  },
  delays: { period: ({ context }) => context.periodMs },
}).createMachine({
  id: 'demoProbe',
  context: ({ input }) => ({ periodMs: input.periodMs, successes: 0 }),
  initial: 'idle',
  states: {
    idle: { after: { period: 'probing' } },
    probing: {
      after: { 5: { target: 'idle', actions: assign({ successes: ({ context }) => context.successes + 1 }) } },
    },
  },
});

export const demoContainerMachine = setup({
  types: {
    context: {} as DemoContainerContext,
    input: {} as DemoContainerInput,
    events: {} as { type: 'START' } | { type: 'STOP' },
  },
  guards: {
    shouldRestart: ({ context }) =>
      context.restartPolicy === 'Always' || (context.restartPolicy === 'OnFailure' && context.exitCode !== 0),
  },
  delays: {
    runFor: ({ context }) => context.runMs,
    backOff: ({ context }) => backOffDelay(context),
    hookTime: ({ context }) => context.hookMs,
  },
  actors: { probe: demoProbeMachine },
  actions: {
    recordExit: assign({ lastExitCode: ({ context }) => context.exitCode }),
    scheduleBackOff: assign({ backOffUntil: ({ context }) => Date.now() + backOffDelay(context) }),
    countRestart: assign({ restartCount: ({ context }) => context.restartCount + 1, backOffUntil: 0 }),
  },
}).createMachine({
  id: 'demoContainer',
  context: ({ input }) => ({
    name: input.name,
    runMs: input.runMs,
    backOffBaseMs: input.backOffBaseMs,
    backOffCapMs: input.backOffCapMs ?? input.backOffBaseMs * 8,
    restartPolicy: input.restartPolicy ?? 'Always',
    exitCode: input.exitCode ?? 1,
    hookMs: input.hookMs ?? 10,
    probePeriodMs: input.probePeriodMs ?? 1000,
    restartCount: 0,
    lastExitCode: null,
    backOffUntil: 0,
  }),
  initial: 'waiting',
  states: {
    waiting: {
      meta: { reason: 'ContainerCreating' },
      on: { START: 'running' },
    },
    running: {
      meta: { reason: 'Running' },
      initial: 'postStart',
      invoke: { src: 'probe', id: 'liveness', input: ({ context }) => ({ periodMs: context.probePeriodMs }) },
      states: {
        postStart: { after: { hookTime: 'up' } },
        up: {},
      },
      after: {
        runFor: [
          { guard: 'shouldRestart', target: 'crashLoopBackOff', actions: 'recordExit' },
          { target: 'terminated', actions: 'recordExit' },
        ],
      },
      on: { STOP: { target: 'terminated', actions: 'recordExit' } },
    },
    crashLoopBackOff: {
      meta: { reason: 'CrashLoopBackOff' },
      entry: 'scheduleBackOff',
      after: { backOff: { target: 'running', actions: 'countRestart' } },
      on: { STOP: 'terminated' },
    },
    terminated: { type: 'final', meta: { reason: 'Completed' } },
  },
});

export const demoPodMachine = setup({
  types: {
    input: {} as { containers: DemoContainerInput[] },
    context: {} as { containers: AnyActorRef[] },
    events: {} as { type: 'DELETE' },
  },
  actors: { container: demoContainerMachine },
}).createMachine({
  id: 'demoPod',
  context: ({ input, spawn }) => ({
    containers: input.containers.map((c) =>
      spawn('container', { id: c.name, systemId: `container:${c.name}`, input: c }),
    ),
  }),
  initial: 'running',
  states: {
    running: {
      entry: enqueueActions(({ context, enqueue }) => {
        for (const c of context.containers) enqueue(sendTo(c, { type: 'START' }));
      }),
      on: { DELETE: 'terminating' },
    },
    terminating: {
      entry: enqueueActions(({ context, enqueue }) => {
        for (const c of context.containers) enqueue.stopChild(c);
      }),
      always: 'deleted',
    },
    deleted: { type: 'final' },
  },
});
