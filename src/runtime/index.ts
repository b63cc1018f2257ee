import { existsSync, mkdtempSync } from 'node:fs';
import { chmod, lstat, mkdir, rm, unlink } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { FaultEngine, type FaultController, type FaultRule } from './faults.js';
import { RuntimeCore } from './runtime.js';
import { buildCriServer } from './server.js';

export { loadFaultFile, validateFaultRule, grpcCodeOf } from './faults.js';
export type { FaultRule, FaultController } from './faults.js';
export { RUNTIME_NAME, RUNTIME_VERSION, START_ERROR_EXIT_CODE, UNKNOWN_EXIT_CODE, UNKNOWN_EXIT_REASON } from './runtime.js';
export { normalizeImageRef, imageIdFor } from './images.js';

export interface EmbeddedRuntimeOptions {
  /** 'unix:///path' (also 'unix:path' or '/path'); default <stateDir>/statelet-runtime.sock. */
  listen?: string;
  /** Where sandboxes, containers, images and raw output live; default a fresh mkdtemp dir under os.tmpdir(). */
  stateDir?: string;
  faults?: FaultRule[];
  log?: (msg: string) => void;
  /** Treat every image as present (pulled on first use by CreateContainer). Default false: ImageStatus → PullImage first. */
  autoPullImages?: boolean;
}

export interface EmbeddedRuntime {
  endpoint: string;
  stateDir: string;
  faults: FaultController;
  /**
   * Stops the server; kills all container processes it started only when
   * opts.killOnClose !== false. (With killOnClose they also die if this
   * process ends without close(): a crash, SIGKILL or an abrupt exit.)
   */
  close(): Promise<void>;
}

/** Turns a listen address into an absolute socket path. */
export function socketPathOf(listen: string): string {
  const l = listen.trim();
  let p: string;
  if (l.startsWith('unix://')) p = l.slice('unix://'.length);
  else if (l.startsWith('unix:')) p = l.slice('unix:'.length);
  else if (l.startsWith('/') || l.startsWith('.')) p = l;
  else throw new Error(`unsupported listen address ${JSON.stringify(listen)}: use unix:///path/to.sock`);
  if (p === '') throw new Error(`listen address ${JSON.stringify(listen)} has no socket path`);
  return resolve(p);
}

/** Removes a stale socket file; refuses when something still answers on it (two runtimes on one socket break each other). */
async function prepareSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => null);
  if (!st) {
    await mkdir(dirname(path), { recursive: true });
    return;
  }
  if (!st.isSocket()) throw new Error(`cannot listen on ${path}: a non-socket file is in the way`);
  const alive = await new Promise<boolean>((res) => {
    const s = connect(path);
    s.once('connect', () => {
      s.destroy();
      res(true);
    });
    s.once('error', () => res(false));
  });
  if (alive) throw new Error(`cannot listen on ${path}: another server is already serving on it`);
  await unlink(path).catch(() => {});
}

/** Starts the embedded CRI v1 runtime (containers as host processes) on a unix socket. */
export async function startEmbeddedRuntime(opts: EmbeddedRuntimeOptions & { killOnClose?: boolean } = {}): Promise<EmbeddedRuntime> {
  const log = opts.log ?? (() => {});
  const madeStateDir = !opts.stateDir;
  const stateDir = resolve(opts.stateDir ?? mkdtempSync(join(tmpdir(), 'statelet-runtime-')));
  // The runtime runs commands as whoever runs it (root, often): its state and socket are
  // the owner's only, whatever the umask.
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  await chmod(stateDir, 0o700);
  const sockPath = socketPathOf(opts.listen ?? `unix://${join(stateDir, 'statelet-runtime.sock')}`);
  const endpoint = `unix://${sockPath}`;
  const faults = new FaultEngine(opts.faults ?? []);
  const core = new RuntimeCore({
    stateDir,
    autoPullImages: opts.autoPullImages,
    log,
    killContainersOnExit: opts.killOnClose !== false,
    // A temporary state dir we made holds nothing worth keeping once the containers are gone:
    // if this process dies without close(), the launcher removes it after killing them.
    removeOnExit: madeStateDir && opts.killOnClose !== false ? stateDir : undefined,
  });
  await core.init();
  await prepareSocket(sockPath);
  const { server, endStreams } = buildCriServer(core, faults, log);
  try {
    await new Promise<void>((res, rej) => server.bindAsync(endpoint, grpc.ServerCredentials.createInsecure(), (err) => (err ? rej(err) : res())));
  } catch (err) {
    await core.close(opts.killOnClose !== false);
    throw new Error(`cannot listen on ${endpoint}: ${(err as Error).message}`);
  }
  // Whoever can connect can run commands as this user: owner-only, whatever the umask.
  // (The default socket also sits in the 0700 state dir, so the moment before chmod is closed too.)
  await chmod(sockPath, 0o600);
  let closing: Promise<void> | null = null;
  return {
    endpoint,
    stateDir,
    faults,
    close() {
      closing ??= (async () => {
        endStreams();
        await new Promise<void>((res) => {
          const t = setTimeout(() => {
            server.forceShutdown();
            res();
          }, 500);
          server.tryShutdown(() => {
            clearTimeout(t);
            res();
          });
        });
        await core.close(opts.killOnClose !== false);
        if (existsSync(sockPath)) await unlink(sockPath).catch(() => {});
        // A state dir we made ourselves, whose containers are gone, has nothing left to find again.
        if (madeStateDir && opts.killOnClose !== false) await rm(stateDir, { recursive: true, force: true }).catch(() => {});
      })();
      return closing;
    },
  };
}
