// The two rxjs classes statelet's runtime code uses, from their own modules.
// `import ... from 'rxjs'` loads rxjs's whole CommonJS index (some 220 modules,
// about 12 MiB of RSS in a fresh process; bench/memory) where Subject and
// Observable need some 20. rxjs's index re-exports these very modules, so an
// Observable made here is the `Observable` an embedder imports from 'rxjs'
// (same class, every operator applies).
export { Observable } from 'rxjs/internal/Observable';
export { Subject } from 'rxjs/internal/Subject';
export type { Subscription } from 'rxjs';
