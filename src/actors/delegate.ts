// Runs one promise actor's logic inside another, through XState's public API only
// (createActor + toPromise), so a wrapper needs nothing of the logic it wraps but its
// input and output: the adoption wrappers and the instrumented probe use it instead
// of reading the promise creator out of the logic (a private field of XState's).
import { createActor, toPromise, type PromiseActorLogic } from 'xstate';

/** The inner actor stops when the outer call is aborted (the chart left the state that invoked it). */
export function delegate<O, I>(logic: PromiseActorLogic<O, I>, input: I, signal: AbortSignal): Promise<O> {
  const actor = createActor(logic, { input });
  const abort = (): void => {
    actor.stop();
  };
  signal.addEventListener('abort', abort, { once: true });
  return toPromise(actor.start()).finally(() => signal.removeEventListener('abort', abort));
}
