// Drives the real visualizer in Debian's chromium (playwright-core) against a
// crash-looping demo pod on the real clock (short delays), end to end:
// inspection server → WebSocket → browser model → DOM.

import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { createActor } from 'xstate';
import { startInspectionServer } from '../../src/inspect/server.js';
import { demoPodMachine } from './fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const haveBrowser = existsSync(CHROMIUM);
const inCI = process.env.CI === 'true';
// dist/test/inspect/*.js → repository root
const root = fileURLToPath(new URL('../../../', import.meta.url));

const skip = !haveBrowser && !inCI ? `chromium not found at ${CHROMIUM} (apt-get install -y chromium); skipping the browser test` : false;

describe('visualizer in a real browser', () => {
  test('shows the actor tree, a live statechart, the transition log and the back-off countdown', { skip, timeout: 60_000 }, async () => {
    assert.ok(haveBrowser, `chromium is required when CI=true: ${CHROMIUM} is missing (apt-get install -y chromium)`);

    // Build the current sources into a private directory (no race with `npm run build`).
    const outdir = await mkdtemp(join(tmpdir(), 'statelet-visualizer-'));
    const { buildVisualizer } = (await import(pathToFileURL(join(root, 'visualizer', 'build.mjs')).href)) as {
      buildVisualizer: (o: { outdir: string; minify?: boolean }) => Promise<unknown>;
    };
    await buildVisualizer({ outdir, minify: true });

    const server = await startInspectionServer({ port: 0, staticDir: outdir });
    const pod = createActor(demoPodMachine, {
      inspect: server.inspect,
      input: {
        containers: [
          { name: 'app', runMs: 700, backOffBaseMs: 400, backOffCapMs: 1600, hookMs: 80, probePeriodMs: 1500 },
          { name: 'sidecar', runMs: 3_600_000, backOffBaseMs: 400, hookMs: 80, probePeriodMs: 1500 },
        ],
      },
    });
    // Started before the page opens: the page joins late and must get the picture.
    pod.start();

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    const pageErrors: string[] = [];
    try {
      const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
      page.on('pageerror', (err) => pageErrors.push(String(err)));
      page.on('console', (msg) => {
        if (msg.type() === 'error') pageErrors.push(msg.text());
      });
      await page.goto(server.url);
      await page.waitForSelector('[data-testid="connection-status"][data-state="open"]', { timeout: 10_000 });

      // Actor tree: pod → two containers → probes.
      const appNode = page.locator('[data-testid="actor-node"][data-label="container:app"]');
      await appNode.waitFor({ timeout: 10_000 });
      assert.equal(await page.locator('[data-testid="actor-node"][data-machine-id="demoContainer"]').count(), 2);
      assert.ok((await page.locator('[data-testid="actor-node"][data-machine-id="demoProbe"]').count()) >= 1);

      await appNode.click();
      const selectedBox = page.locator('[data-testid="selected-actor"]');
      await page.waitForSelector('[data-testid="selected-actor"][data-label="container:app"]');
      assert.equal(await appNode.getAttribute('data-selected'), 'true');

      // The statechart is laid out with every state; compound `running` holds its children.
      const chart = page.locator('[data-testid="statechart"]');
      await page.waitForSelector('[data-testid="statechart"][data-machine-id="demoContainer"] svg');
      const stateIds = await chart.locator('[data-testid="state-node"]').evaluateAll((els) =>
        els.map((e) => e.getAttribute('data-state-id')),
      );
      for (const id of [
        'demoContainer',
        'demoContainer.waiting',
        'demoContainer.running',
        'demoContainer.running.postStart',
        'demoContainer.running.up',
        'demoContainer.crashLoopBackOff',
        'demoContainer.terminated',
      ]) {
        assert.ok(stateIds.includes(id), `state ${id} drawn`);
      }
      assert.ok((await chart.locator('[data-testid="transition-edge"]').count()) >= 8);
      const stateNode = (id: string) => chart.locator(`[data-testid="state-node"][data-state-id="${id}"]`);

      // Live: into CrashLoopBackOff (highlighted, with a countdown) ...
      await page.waitForFunction(
        () =>
          document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') === 'crashLoopBackOff' &&
          document
            .querySelector('[data-testid="state-node"][data-state-id="demoContainer.crashLoopBackOff"]')
            ?.getAttribute('data-active') === 'true',
        undefined,
        { timeout: 10_000, polling: 20 },
      );
      const countdown = page.locator('[data-testid="timeline-row"] [data-testid="backoff-countdown"]');
      await countdown.first().waitFor({ timeout: 5_000 });
      const remaining = Number(await countdown.first().getAttribute('data-remaining-ms'));
      assert.ok(remaining >= 0 && remaining <= 1600 + 100, `countdown ${remaining}ms within the back-off cap`);
      assert.match((await countdown.first().textContent()) ?? '', /CrashLoopBackOff: restart in/);

      // ... and back to running after the back-off.
      await page.waitForFunction(
        () =>
          (document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') ?? '').startsWith('running') &&
          document
            .querySelector('[data-testid="state-node"][data-state-id="demoContainer.running"]')
            ?.getAttribute('data-active') === 'true',
        undefined,
        { timeout: 10_000, polling: 20 },
      );
      assert.equal(await stateNode('demoContainer.crashLoopBackOff').getAttribute('data-active'), 'false');
      assert.match((await selectedBox.textContent()) ?? '', /restarts\s*[1-9]/);

      // Timeline of both containers, with start/exit markers for the app.
      assert.deepEqual(
        await page.locator('[data-testid="timeline-row"]').evaluateAll((els) => els.map((e) => e.textContent?.split(' ')[0])),
        ['container:app', 'container:sidecar'],
      );
      assert.ok((await page.locator('[data-testid="timeline-row"]').first().locator('[data-testid="timeline-marker"][data-kind="exit"]').count()) >= 1);

      // The transition log names the event, the guard and the delay; clicking a row highlights it.
      const crashRow = page
        .locator('[data-testid="transition-row"][data-event-type="xstate.after.runFor.demoContainer.running"][data-guard="shouldRestart"]')
        .first();
      await crashRow.waitFor();
      assert.match((await crashRow.textContent()) ?? '', /after runFor\s*\[shouldRestart\]\s*running → crashLoopBackOff/);
      await crashRow.click();
      await page.waitForSelector('[data-testid="transition-row"][data-selected="true"]');
      assert.equal(await crashRow.getAttribute('data-selected'), 'true');
      const details = page.locator('[data-testid="transition-details"]');
      assert.equal(await details.getAttribute('data-source'), 'demoContainer.running');
      assert.equal(await details.getAttribute('data-target'), 'demoContainer.crashLoopBackOff');
      const detailsText = (await details.textContent()) ?? '';
      assert.match(detailsText, /guard\s*shouldRestart/);
      assert.match(detailsText, /delay\s*runFor \(named delay\)/);
      assert.equal(await stateNode('demoContainer.running').getAttribute('data-highlight'), 'source');
      assert.equal(await stateNode('demoContainer.crashLoopBackOff').getAttribute('data-highlight'), 'target');
      assert.equal(await chart.locator('[data-testid="transition-edge"].hl').count(), 1);
      assert.equal(
        await chart.locator('[data-testid="transition-edge"].hl').getAttribute('data-target'),
        'demoContainer.crashLoopBackOff',
      );

      // Context/status JSON of the selected actor.
      const context = JSON.parse((await page.locator('[data-testid="actor-context"]').textContent()) ?? '{}');
      assert.equal(context.status, 'active');
      assert.equal(context.context.name, 'app');
      assert.equal(typeof context.context.restartCount, 'number');

      // Wait for the next back-off so the picture shows the countdown, then keep a screenshot.
      await page.waitForFunction(
        () => document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') === 'crashLoopBackOff',
        undefined,
        { timeout: 10_000, polling: 20 },
      );
      await page.waitForTimeout(150);
      const outDir = join(root, 'test-output');
      await mkdir(outDir, { recursive: true });
      await page.screenshot({ path: join(outDir, 'visualizer.png') });

      assert.deepEqual(pageErrors, []);
    } finally {
      await browser.close();
      pod.stop();
      await server.close();
      await rm(outdir, { recursive: true, force: true });
    }
  });
});
