// A placeholder for an actor the charts name but do not implement: machines do no
// I/O, so every CRI-backed actor is supplied with .provide({ actors }) (src/actors/
// createRuntimeActors, or an embedder's own). Typed by output and input, so the
// chart's `invoke` sees the real actor's types without a cast.
import { fromPromise } from 'xstate';

export function notProvided<TOutput, TInput>(name: string) {
  return fromPromise<TOutput, TInput>(async () => {
    throw new Error(`statelet: actor "${name}" is not provided; create the machine with createRuntimeActors() or .provide({ actors })`);
  });
}
