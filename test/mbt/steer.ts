// Shared by the model-based tests: a CRI client whose calls are logged, so the
// order of CRI calls can be checked against the kubelet's.
import { CriClient } from '../../src/cri/client.js';

export interface LoggedCall {
  method: string;
  req: Record<string, unknown>;
}

/** A CriClient whose calls are logged, to check call-order invariants. */
export function loggingClient(endpoint: string, log: LoggedCall[]): CriClient {
  const client = new CriClient({ endpoint });
  return new Proxy(client, {
    get(target, prop, receiver) {
      const v = Reflect.get(target, prop, receiver);
      if (typeof v !== 'function' || prop === 'getContainerEvents' || prop === 'close') return v;
      return (req: Record<string, unknown>, opts: unknown) => {
        log.push({ method: String(prop), req });
        return (v as (...a: unknown[]) => unknown).call(target, req, opts);
      };
    },
  });
}

