// The inspector as a user meets it: `statelet run examples/crashloop.yaml
// --inspect 0` (embedded runtime, short back-off), the printed URL opened in
// Debian's chromium (playwright-core). Real machines, real clock, real
// processes: CLI → inspection server → WebSocket → browser model → DOM.

import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { buildChartModel, edgeLineLabel } from '../../src/inspect/layout.js';
import { ensureVisualizerBuilt, launch, root, skipBrowser as skip, startCli, until, watchErrors } from './browser.js';
import { containerChart } from './chart-facts.js';

describe('visualizer in a real browser', () => {
  test(
    'statelet run examples/crashloop.yaml --inspect: tree, live chart, CrashLoopBackOff and back, log details, timeline',
    { skip, timeout: 90_000 },
    async () => {
      await ensureVisualizerBuilt();
      // What the page must show, read from the chart (its states change; the kubelet facts in meta do not).
      const chartFacts = containerChart();
      const clbo = chartFacts.crashLoop.id;
      const clboValue = chartFacts.path(clbo);
      const running = chartFacts.running.id;
      const runningValue = chartFacts.path(running);

      const cli = startCli(['run', 'examples/crashloop.yaml', '--inspect', '0', '--backoff-initial', '1', '--backoff-max', '2']);
      let browser: Browser | undefined;
      let terminated = false;
      try {
        const url = await cli.waitStderr(/statelet: inspector: (http:\/\/127\.0\.0\.1:\d+\/) \(WebSocket ws:\/\/127\.0\.0\.1:\d+\/ws\)/, 'the inspector URL');
        browser = await launch();
        const page = await browser.newPage({ viewport: { width: 1500, height: 900 } });
        const pageErrors = watchErrors(page);
        await page.goto(url);
        await page.waitForSelector('[data-testid="connection-status"][data-state="open"]', { timeout: 10_000 });

        // ---- actor tree: namespace → pod → container ----
        const podNode = page.locator('[data-testid="actor-node"][data-actor-id="default/crashloop"]');
        const crasherNode = page.locator('[data-testid="actor-node"][data-actor-id="container:crasher"]');
        await crasherNode.waitFor({ timeout: 15_000 });
        assert.equal(await podNode.getAttribute('data-machine-id'), 'pod');
        assert.equal(await podNode.getAttribute('data-namespace'), 'default');
        assert.equal(await podNode.getAttribute('data-pod-name'), 'crashloop');
        assert.equal(await crasherNode.getAttribute('data-machine-id'), 'container');
        assert.equal(await crasherNode.getAttribute('data-label'), 'crasher');
        // Nesting in the DOM mirrors the actor tree.
        const group = page.locator('[data-testid="namespace-group"][data-namespace="default"]');
        assert.equal(await group.locator('[data-actor-id="default/crashloop"]').count(), 1);
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
        for (const s of chartFacts.states) assert.ok(stateIds.includes(s.id), `state ${s.id} drawn`);
        // Nested states are drawn inside their parents. The boxes are measured in one go in
        // the page: the pane follows the active state and may scroll between two separate reads.
        const outside = await page.evaluate((pairs) => {
          const rect = (id: string) => document.querySelector(`[data-testid="state-node"][data-state-id="${id}"] > .box`)?.getBoundingClientRect();
          return pairs
            .filter(([c, p]) => {
              const a = rect(c);
              const b = rect(p);
              return !(a && b && a.left >= b.left - 0.5 && a.top >= b.top - 0.5 && a.right <= b.right + 0.5 && a.bottom <= b.bottom + 0.5);
            })
            .map(([c, p]) => `${c} outside ${p}`);
        }, chartFacts.nested);
        assert.deepEqual(outside, []);
        // Readable: drawn at a zoom where labels are legible (the pane scrolls and follows the active state).
        const zoom = Number(await chart.getAttribute('data-zoom'));
        assert.ok(zoom >= 0.6, `chart zoom ${zoom} is readable`);
        // Fan-in transitions (one event to one state from many states), if the chart has any, are one note each, not a dozen edges.
        const folded = buildChartModel(chartFacts.json).folded;
        assert.equal(await chart.locator('[data-testid="folded-transition"]').count(), folded.length);
        for (const f of folded) {
          assert.equal(await chart.locator(`[data-testid="folded-transition"][data-event-type="${f.eventType}"][data-target="${f.target}"]`).count(), 1, `fold ${f.label} → ${f.target}`);
        }
        const stateNode = (id: string) => chart.locator(`[data-testid="state-node"][data-state-id="${id}"]`);

        // ---- live: into CrashLoopBackOff, with a countdown ----
        await until(
          page,
          'CrashLoopBackOff, active in the chart',
          ([value, id]) =>
            document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') === value &&
            document.querySelector(`[data-testid="state-node"][data-state-id="${id}"]`)?.getAttribute('data-active') === 'true',
          [clboValue, clbo] as const,
          20_000,
        );
        // Followed: the active state is scrolled into the visible part of the pane.
        // (Polled: following may scroll over a few frames, and the state may move on meanwhile.)
        const inView = await page
          .waitForFunction(
            () => {
              const pane = document.querySelector('[data-testid="statechart"]')?.getBoundingClientRect();
              // The deepest active state, whichever it is by now.
              const ids = (document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-active-states') ?? '').split(' ');
              const active = document.querySelector(`[data-testid="state-node"][data-state-id="${ids[ids.length - 1]}"] > .box`)?.getBoundingClientRect();
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
        await until(page, 'the restart after the back-off', (value) => {
          const v = document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') ?? '';
          return v !== '' && v !== value;
        }, clboValue);
        assert.equal(await stateNode(clbo).getAttribute('data-active'), 'false');
        await until(page, 'Running again', (value) => document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') === value, runningValue);
        assert.equal(await stateNode(running).getAttribute('data-active'), 'true');
        const restarts = JSON.parse((await page.locator('[data-testid="actor-context"]').textContent()) ?? '{}').context?.restartCount;
        assert.ok(restarts >= 2, `restartCount ${restarts}`);
        // The pod's phase and restarts in the list, from the v1 status the server sends.
        await until(page, 'the pod row with its restarts', () => Number(document.querySelector('[data-testid="actor-node"][data-pod="true"]')?.getAttribute('data-restarts') ?? 0) >= 2);
        assert.equal(await podNode.getAttribute('data-phase'), 'Running');
        const podStatus = page.locator('[data-testid="pod-status"]');
        assert.equal(await podStatus.getAttribute('data-phase'), 'Running');
        assert.ok(Number(await podStatus.locator('[data-testid="pod-status-container"][data-name="crasher"]').getAttribute('data-restarts')) >= 2);

        // ---- transition log: the back-off expiry, named by its delay ----
        const after = chartFacts.from(clbo).find((t) => t.eventType.startsWith('xstate.after.'));
        assert.ok(after?.target?.[0], `${clbo} has an after transition`);
        const restartTarget = after.target[0].replace(/^#/, '');
        const expiry = page.locator(`[data-testid="transition-row"][data-source="${clbo}"][data-target="${restartTarget}"][data-kind="after"]`).first();
        await expiry.waitFor();
        assert.equal(await expiry.getAttribute('data-event-type'), after.eventType);
        assert.equal(await expiry.getAttribute('data-delay'), String(after.delay));
        assert.match((await expiry.textContent()) ?? '', new RegExp(`after ${after.delay}\\s*${chartFacts.path(clbo)} → ${chartFacts.path(restartTarget)}`));
        await expiry.click();
        const details = page.locator('[data-testid="transition-details"]');
        await page.waitForSelector(`[data-testid="transition-details"][data-event-type="${after.eventType}"]`);
        assert.equal(await details.getAttribute('data-source'), clbo);
        assert.equal(await details.getAttribute('data-target'), restartTarget);
        assert.equal(await details.locator('[data-field="event"]').textContent(), `after ${after.delay}`);
        assert.equal(await details.locator('[data-field="descriptor"]').textContent(), after.eventType);
        assert.match((await details.locator('[data-field="delay"]').textContent()) ?? '', new RegExp(`^${after.delay} \\(named delay`));
        // ... and on the chart: the edge and its label line, source and target.
        assert.equal(await stateNode(clbo).getAttribute('data-highlight'), 'source');
        assert.equal(await stateNode(restartTarget).getAttribute('data-highlight'), 'target');
        const hl = chart.locator('[data-testid="transition-edge"].hl');
        assert.equal(await hl.count(), 1);
        assert.equal(await hl.getAttribute('data-source'), clbo);
        assert.equal(await hl.getAttribute('data-target'), restartTarget);
        assert.equal(await chart.locator('.edge-label-text.hl').textContent(), edgeLineLabel(after, chartFacts.states.find((x) => x.id === clbo)!));

        // A guarded transition: the exit reported by the runtime, out of the running state.
        const exitRow = page.locator(`[data-testid="transition-row"][data-source="${running}"][data-kind="event"][data-guard]`).first();
        const exitGuard = (await exitRow.getAttribute('data-guard')) ?? '';
        const exitEvent = (await exitRow.getAttribute('data-event-type')) ?? '';
        assert.ok(chartFacts.from(running).some((t) => t.eventType === exitEvent && t.guard === exitGuard), `${exitEvent} [${exitGuard}] is a transition of ${running}`);
        await exitRow.click();
        await page.waitForSelector(`[data-testid="transition-details"][data-event-type="${exitEvent}"]`);
        assert.equal(await details.locator('[data-field="guard"]').textContent(), exitGuard);
        assert.equal(await chart.locator('.edge-label-text.hl').textContent(), `${exitEvent} [${exitGuard}]`);
        // An eventless one into CrashLoopBackOff, named by its guard.
        const toBackOff = page.locator(`[data-testid="transition-row"][data-target="${clbo}"][data-event-type=""]`).first();
        const guards = chartFacts.eventlessInto(clbo).map((x) => x.t.guard);
        assert.ok(guards.includes((await toBackOff.getAttribute('data-guard')) ?? undefined), `guard of the eventless step into ${clbo}`);

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
        await page.waitForSelector(`[data-testid="transition-details"][data-target="${clbo}"]`);
        assert.match((await details.locator('[data-field="event"]').textContent()) ?? '', /^always \(eventless/);
        await until(page, 'the next CrashLoopBackOff', (value) =>
          document.querySelector('[data-testid="selected-actor"]')?.getAttribute('data-state-value') === value &&
          Number(document.querySelector('[data-testid="backoff-countdown"]')?.getAttribute('data-remaining-ms') ?? 0) > 600,
        clboValue, 20_000);
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
        if (!terminated || (cli.proc.exitCode === null && cli.proc.signalCode === null)) await cli.stop();
      }
    },
  );
});
