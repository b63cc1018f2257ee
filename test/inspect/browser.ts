// Shared by the Chromium tests: Debian's chromium through playwright-core, the
// visualizer bundle, the statelet CLI as a child process, and in-page waits.

import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const haveBrowser = existsSync(CHROMIUM);
export const inCI = process.env.CI === 'true';
// dist/test/inspect/*.js → repository root
export const root = fileURLToPath(new URL('../../../', import.meta.url));

/** The `skip` option of a browser test: skipped without chromium, except under CI where that fails. */
export const skipBrowser = !haveBrowser && !inCI ? `chromium not found at ${CHROMIUM} (apt-get install -y chromium); skipping the browser test` : false;

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export function launch(): Promise<Browser> {
  if (!haveBrowser) throw new Error(`chromium is required when CI=true: ${CHROMIUM} is missing (apt-get install -y chromium)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

function newestMtime(dir: string): number {
  let t = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    t = Math.max(t, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return t;
}

/** The CLI serves visualizer/dist: build it when it is missing or older than its sources (npm test builds it first). */
export async function ensureVisualizerBuilt(): Promise<void> {
  const main = join(root, 'visualizer', 'dist', 'main.js');
  const worker = join(root, 'visualizer', 'dist', 'elk-worker.min.js');
  const sources = Math.max(newestMtime(join(root, 'visualizer', 'src')), newestMtime(join(root, 'src', 'inspect')));
  if (existsSync(main) && existsSync(worker) && statSync(main).mtimeMs >= sources) return;
  const { buildVisualizer } = (await import(pathToFileURL(join(root, 'visualizer', 'build.mjs')).href)) as {
    buildVisualizer: () => Promise<unknown>;
  };
  await buildVisualizer();
}

/** Collects page errors and console errors (a test ends by asserting there were none). */
export function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (err) => errors.push(String(err)));
  page.on('console', (msg) => {
    if (msg.type() === 'error') errors.push(msg.text());
  });
  return errors;
}

export interface Cli {
  proc: ChildProcessWithoutNullStreams;
  stdout: () => string;
  stderr: () => string;
  /** Resolves with the first match of `re` on stderr (capture group 1, else the whole match). */
  waitStderr(re: RegExp, what: string, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM (the pod is deleted), then SIGKILL after 10 s. */
  stop(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Runs `node bin/statelet.js <args>` from the repository root. */
export function startCli(args: string[], opts: { keepStdout?: boolean } = {}): Cli {
  const proc = spawn(process.execPath, [join(root, 'bin', 'statelet.js'), ...args], { cwd: root, env: { ...process.env, NO_COLOR: '1' } });
  let stderr = '';
  let stdout = '';
  proc.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  if (opts.keepStdout) proc.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  else proc.stdout.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => proc.on('exit', (code, signal) => resolve({ code, signal })));
  let gone = false;
  void exited.then(() => (gone = true));
  return {
    proc,
    stdout: () => stdout,
    stderr: () => stderr,
    waitStderr(re, what, timeoutMs = 20_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = re.exec(stderr);
          if (!m) return false;
          resolve(m[1] ?? m[0]);
          return true;
        };
        if (check()) return;
        const onData = (): void => {
          if (check()) done();
        };
        const timer = setTimeout(() => {
          done();
          reject(new Error(`no ${what} on stderr after ${timeoutMs}ms:\n${stderr}`));
        }, timeoutMs);
        const done = (): void => {
          clearTimeout(timer);
          proc.stderr.off('data', onData);
        };
        proc.stderr.on('data', onData);
        void exited.then(({ code }) => {
          if (check()) return;
          done();
          reject(new Error(`statelet exited (${code}) before printing ${what}:\n${stderr}`));
        });
      });
    },
    exited,
    async stop() {
      if (!gone) {
        proc.kill('SIGTERM');
        const t = setTimeout(() => proc.kill('SIGKILL'), 10_000);
        const r = await exited;
        clearTimeout(t);
        return r;
      }
      return exited;
    },
  };
}

/** Polls a predicate in the page (20 ms) with a timeout and a readable failure. */
export async function until<A>(page: Page, what: string, fn: (arg: A) => boolean, arg?: A, timeout = 15_000): Promise<void> {
  try {
    await page.waitForFunction(fn as (a: unknown) => boolean, arg as unknown, { timeout, polling: 20 });
  } catch (err) {
    const state = await page
      .locator('[data-testid="selected-actor"]')
      .getAttribute('data-state-value', { timeout: 1000 })
      .catch(() => '?');
    throw new Error(`timed out waiting for ${what} (selected actor state: ${state}): ${(err as Error).message.split('\n')[0]}`);
  }
}
