// The inspector as a user meets it: `statelet run examples/crashloop.yaml
// --inspect 0` (embedded runtime, short back-off), the printed URL opened in
// Debian's chromium (playwright-core). Real machines, real clock, real
// processes: CLI → inspection server → WebSocket → browser model → DOM.

import assert from 'node:assert/strict';
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';
// dist/test/inspect/*.js → repository root
const root = fileURLToPath(new URL('../../../', import.meta.url));

const skip = !haveBrowser && !inCI ? `chromium not found at ${CHROMIUM} (apt-get install -y chromium); skipping the browser test` : false;

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

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
async function ensureVisualizerBuilt(): Promise<void> {
  const main = join(root, 'visualizer', 'dist', 'main.js');
  const sources = Math.max(newestMtime(join(root, 'visualizer', 'src')), newestMtime(join(root, 'src', 'inspect')));
  if (existsSync(main) && statSync(main).mtimeMs >= sources) return;
  const { buildVisualizer } = (await import(pathToFileURL(join(root, 'visualizer', 'build.mjs')).href)) as {
    buildVisualizer: () => Promise<unknown>;
  };
  await buildVisualizer();
}

interface Cli {
  proc: ChildProcessWithoutNullStreams;
  stderr: () => string;
  url: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startCli(): Cli {
  const proc = spawn(
    process.execPath,
    [join(root, 'bin', 'statelet.js'), 'run', 'examples/crashloop.yaml', '--inspect', '0', '--backoff-initial', '1', '--backoff-max', '2'],
    { cwd: root, env: { ...process.env, NO_COLOR: '1' } },
  );
  let stderr = '';
  proc.stdout.resume(); // the live view; not needed here
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    proc.on('exit', (code, signal) => resolve({ code, signal })),
  );
  const url = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no inspector URL on stderr after 20s:\n${stderr}`)), 20_000);
    proc.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      const m = /statelet: inspector: (http:\/\/127\.0\.0\.1:\d+\/) \(WebSocket ws:\/\/127\.0\.0\.1:\d+\/ws\)/.exec(stderr);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then(({ code }) => {
      clearTimeout(timer);
      reject(new Error(`statelet exited (${code}) before printing the inspector URL:\n${stderr}`));
    });
  });
  return { proc, stderr: () => stderr, url, exited };
}

/** Polls a predicate in the page (20 ms) with a timeout and a readable failure. */
async function until(page: Page, what: string, fn: () => boolean, timeout = 15_000): Promise<void> {
  try {
    await page.waitForFunction(fn, undefined, { timeout, polling: 20 });
  } catch (err) {
    const state = await page
      .locator('[data-testid="selected-actor"]')
      .getAttribute('data-state-value')
      .catch(() => '?');
    throw new Error(`timed out waiting for ${what} (selected actor state: ${state}): ${(err as Error).message.split('\n')[0]}`);
  }
}

describe('visualizer in a real browser', () => {
  test(
    'statelet run examples/crashloop.yaml --inspect: tree, live chart, CrashLoopBackOff and back, log details, timeline',
    { skip, timeout: 90_000 },
    async () => {
      assert.ok(haveBrowser, `chromium is required when CI=true: ${CHROMIUM} is missing (apt-get install -y chromium)`);
      await ensureVisualizerBuilt();

      const cli = startCli();
      let browser: Browser | undefined;
      const pageErrors: string[] = [];
      let terminated = false;
      try {
        const url = await cli.url;
        browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
        const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
        page.on('pageerror', (err) => pageErrors.push(String(err)));
        page.on('console', (msg) => {
          if (msg.type() === 'error') pageErrors.push(msg.text());
        });
        await page.goto(url);
        await page.waitForSelector('[data-testid="connection-status"][data-state="open"]', { timeout: 10_000 });

        // ---- actor tree: pod → container ----
        const podNode = page.locator('[data-testid="actor-node"][data-actor-id="default/crashloop"]');
        const crasherNode = page.locator('[data-testid="actor-node"][data-actor-id="container:crasher"]');
        await crasherNode.waitFor({ timeout: 15_000 });
        assert.equal(await podNode.getAttribute('data-machine-id'), 'pod');
        assert.equal(await crasherNode.getAttribute('data-machine-id'), 'container');
        assert.equal(await crasherNode.getAttribute('data-label'), 'crasher');
        // Nesting in the DOM mirrors the actor tree.
        const podItem = page.locator('.tree-item', { has: podNode }).first();
        assert.equal(await podItem.locator('[data-actor-id="container:crasher"]').count(), 1);
        // (Probers would hang under the container; crashloop.yaml configures none: see view-model.test.ts.)
        assert.equal(await page.locator('[data-testid="actor-node"][data-kind="machine"]').count(), 2);

        // ---- select the container: its chart ----
        await crasherNode.click();
        await page.waitForSelector('[data-testid="selected-actor"][data-actor-id="container:crasher"]');
        assert.equal(await crasherNode.getAttribute('data-selected'), 'true');
        const chart = page.locator('[data-testid="statechart"]');
        await page.waitForSelector('[data-testid="statechart"][data-machine-id="container"] svg', { timeout: 15_000 });
        const stateIds = await chart.locator('[data-testid="state-node"]').evaluateAll((els) => els.map((e) => e.getAttribute('data-state-id')));
        for (const key of [
          'Pending', 'Pulling', 'Pulling.Inspecting', 'Pulling.Pulling', 'ErrImagePull', 'ImagePullBackOff', 'ErrImageNeverPull',
          'ImageInspectError', 'Creating', 'CreateContainerConfigError', 'CreateContainerError', 'Created', 'Started',
          'PostStartRunning', 'Running', 'Terminating', 'Terminating.Deciding', 'Terminating.PreStop', 'Terminating.Stopping',
          'Terminating.KillFailed', 'Terminating.Stopped', 'ExitDecision', 'BackOffCheck', 'CrashLoopBackOff',
          'RunContainerError', 'PostStartHookError', 'Restarting', 'Exited',
        ]) {
          assert.ok(stateIds.includes(`container.${key}`), `state container.${key} drawn`);
        }
        // Nested states are drawn inside their parents. Both boxes are measured in one go in
        // the page: the pane follows the active state and may scroll between two separate reads.
        for (const [child, parent] of [
          ['container.Terminating.Stopping', 'container.Terminating'],
          ['container.Terminating.Stopped', 'container.Terminating'],
          ['container.Pulling.Inspecting', 'container.Pulling'],
        ] as const) {
          const inside = await page.evaluate(
            ([c, p]) => {
              const rect = (id: string) => document.querySelector(`[data-testid="state-node"][data-state-id="${id}"] > rect.box`)?.getBoundingClientRect();
              const a = rect(c);
              const b = rect(p);
              return !!a && !!b && a.left >= b.left - 0.5 && a.top >= b.top - 0.5 && a.right <= b.right + 0.5 && a.bottom <= b.bottom + 0.5;
            },
            [child, parent] as const,
          );
          assert.ok(inside, `${child} inside ${parent}`);
        }
        // Readable: drawn at a zoom where labels are legible (the pane scrolls and follows the active state).
        const zoom = Number(await chart.getAttribute('data-zoom'));
        assert.ok(zoom >= 0.6, `chart zoom ${zoom} is readable`);
        // Fan-in transitions (DELETE → Exited from most states) are one note, not a dozen edges.
        assert.ok((await chart.locator('[data-testid="folded-transition"][data-event-type="DELETE"][data-target="container.Exited"]').count()) === 1);
        const stateNode = (key: string) => chart.locator(`[data-testid="state-node"][data-state-id="container.${key}"]`);

        // ---- live: into CrashLoopBackOff, with a countdown ----
        await until(
          page,
          'CrashLoopBackOff, active in the chart',
          () =>
            document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') === 'CrashLoopBackOff' &&
            document.querySelector('[data-testid="state-node"][data-state-id="container.CrashLoopBackOff"]')?.getAttribute('data-active') === 'true',
          20_000,
        );
        // Followed: the active state is scrolled into the visible part of the pane.
        // (Polled: following may scroll over a few frames, and the state may move on meanwhile.)
        const inView = await page
          .waitForFunction(
            () => {
              const pane = document.querySelector('[data-testid="statechart"]')?.getBoundingClientRect();
              // The deepest active state (the actor's state value), whichever it is by now.
              const value = document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value');
              const active = document.querySelector(`[data-testid="state-node"][data-state-id="container.${value}"] > rect.box`)?.getBoundingClientRect();
              return !!pane && !!active && active.left >= pane.left && active.top >= pane.top && active.right <= pane.right && active.bottom <= pane.bottom;
            },
            undefined,
            { timeout: 5_000 },
          )
          .then(() => true, () => false);
        assert.ok(inView, 'the active state is in view');
        const countdown = page.locator('[data-testid="timeline-row"][data-label="crasher"] [data-testid="backoff-countdown"]');
        await countdown.waitFor({ timeout: 5_000 });
        const remaining = Number(await countdown.getAttribute('data-remaining-ms'));
        const backOffMs = Number(await countdown.getAttribute('data-backoff-ms'));
        assert.ok([1000, 2000].includes(backOffMs), `back-off ${backOffMs}ms (initial 1s, max 2s)`);
        assert.ok(remaining >= 0 && remaining <= backOffMs + 100, `countdown ${remaining}ms within the ${backOffMs}ms back-off`);
        assert.match((await countdown.textContent()) ?? '', /CrashLoopBackOff · restart in [\d.]+m?s of [12]\.0s/);
        assert.match((await page.locator('[data-testid="selected-actor"]').textContent()) ?? '', /waiting · CrashLoopBackOff/);

        // ---- ... and back: the back-off timer restarts it ----
        await until(page, 'the restart after the back-off', () =>
          /^(Restarting|Pulling|Creating|Created|Started|Running)/.test(
            document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') ?? '',
          ),
        );
        assert.equal(await stateNode('CrashLoopBackOff').getAttribute('data-active'), 'false');
        await until(page, 'Running again', () => document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') === 'Running');
        assert.equal(await stateNode('Running').getAttribute('data-active'), 'true');
        const restarts = JSON.parse((await page.locator('[data-testid="actor-context"]').textContent()) ?? '{}').context?.restartCount;
        assert.ok(restarts >= 2, `restartCount ${restarts}`);

        // ---- transition log: the back-off expiry, named by its delay ----
        const expiry = page
          .locator('[data-testid="transition-row"][data-source="container.CrashLoopBackOff"][data-target="container.Restarting"]')
          .first();
        await expiry.waitFor();
        assert.equal(await expiry.getAttribute('data-event-type'), 'xstate.after.backOffRemaining.container.CrashLoopBackOff');
        assert.equal(await expiry.getAttribute('data-delay'), 'backOffRemaining');
        assert.match((await expiry.textContent()) ?? '', /after backOffRemaining\s*CrashLoopBackOff → Restarting/);
        await expiry.click();
        const details = page.locator('[data-testid="transition-details"]');
        await page.waitForSelector('[data-testid="transition-details"][data-event-type^="xstate.after.backOffRemaining"]');
        assert.equal(await details.getAttribute('data-source'), 'container.CrashLoopBackOff');
        assert.equal(await details.getAttribute('data-target'), 'container.Restarting');
        assert.equal(await details.locator('[data-field="event"]').textContent(), 'after backOffRemaining');
        assert.equal(await details.locator('[data-field="descriptor"]').textContent(), 'xstate.after.backOffRemaining.container.CrashLoopBackOff');
        assert.match((await details.locator('[data-field="delay"]').textContent()) ?? '', /^backOffRemaining \(named delay/);
        // ... and on the chart: the edge and its label line, source and target.
        assert.equal(await stateNode('CrashLoopBackOff').getAttribute('data-highlight'), 'source');
        assert.equal(await stateNode('Restarting').getAttribute('data-highlight'), 'target');
        const hl = chart.locator('[data-testid="transition-edge"].hl');
        assert.equal(await hl.count(), 1);
        assert.equal(await hl.getAttribute('data-source'), 'container.CrashLoopBackOff');
        assert.equal(await hl.getAttribute('data-target'), 'container.Restarting');
        assert.equal(await chart.locator('.edge-label-text.hl').textContent(), 'after backOffRemaining');

        // A guarded transition: the exit reported by the runtime.
        const exitRow = page
          .locator('[data-testid="transition-row"][data-event-type="RUNTIME.STATUS"][data-target="container.ExitDecision"]')
          .first();
        assert.equal(await exitRow.getAttribute('data-guard'), 'instanceExited');
        await exitRow.click();
        await page.waitForSelector('[data-testid="transition-details"][data-event-type="RUNTIME.STATUS"]');
        assert.equal(await details.locator('[data-field="guard"]').textContent(), 'instanceExited');
        assert.equal(await chart.locator('.edge-label-text.hl').textContent(), 'RUNTIME.STATUS [instanceExited]');
        // An eventless one, named by its guard.
        const toBackOff = page.locator('[data-testid="transition-row"][data-target="container.CrashLoopBackOff"][data-guard="inCrashLoopBackOff"]').first();
        assert.equal(await toBackOff.getAttribute('data-event-type'), '');

        // ---- timeline: starts, exits (from lastTermination), back-off ----
        const tlRows = page.locator('[data-testid="timeline-row"]');
        assert.deepEqual(await tlRows.evaluateAll((els) => els.map((e) => e.getAttribute('data-label'))), ['crasher']);
        const markers = tlRows.first().locator('[data-testid="timeline-marker"]');
        const kinds = await markers.evaluateAll((els) => els.map((e) => e.getAttribute('data-kind')));
        assert.ok(kinds.filter((k) => k === 'start').length >= 2, `starts: ${kinds}`);
        assert.ok(kinds.filter((k) => k === 'exit').length >= 2, `exits: ${kinds}`);
        assert.ok(kinds.includes('backoff'), `back-off: ${kinds}`);
        assert.equal(await tlRows.first().locator('[data-testid="timeline-marker"][data-kind="exit"]').first().getAttribute('data-label'), 'exited 1 (Error)');
        assert.ok((await tlRows.first().locator('[data-testid="timeline-segment"][data-category="backoff"]').count()) >= 1);
        assert.ok((await tlRows.first().locator('[data-testid="timeline-segment"][data-category="running"]').count()) >= 2);

        // ---- the next back-off, for the picture ----
        await toBackOff.click();
        await page.waitForSelector('[data-testid="transition-details"][data-target="container.CrashLoopBackOff"]');
        assert.match((await details.locator('[data-field="event"]').textContent()) ?? '', /^always \(eventless/);
        await until(page, 'the next CrashLoopBackOff', () =>
          document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') === 'CrashLoopBackOff' &&
          Number(document.querySelector('[data-testid="backoff-countdown"]')?.getAttribute('data-remaining-ms') ?? 0) > 600,
        20_000);
        const outDir = join(root, 'test-output');
        await mkdir(outDir, { recursive: true });
        await page.screenshot({ path: join(outDir, 'visualizer.png') });

        assert.deepEqual(pageErrors, []);

        // ---- SIGTERM: the pod is deleted and the CLI exits 0 ----
        await browser.close();
        browser = undefined;
        terminated = true;
        cli.proc.kill('SIGTERM');
        const result = await Promise.race([
          cli.exited,
          new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 20_000).unref()),
        ]);
        assert.notEqual(result, 'timeout', `statelet did not exit within 20s of SIGTERM:\n${cli.stderr()}`);
        assert.deepEqual(result, { code: 0, signal: null }, cli.stderr());
        assert.match(cli.stderr(), /SIGTERM: deleting pod default\/crashloop/);
      } finally {
        await browser?.close().catch(() => {});
        if (cli.proc.exitCode === null && cli.proc.signalCode === null) {
          if (!terminated) cli.proc.kill('SIGTERM');
          const t = setTimeout(() => cli.proc.kill('SIGKILL'), 10_000);
          await cli.exited;
          clearTimeout(t);
        }
      }
    },
  );
});
