// `statelet visualize <run.ndjson|->`: serves the visualizer on a recorded run
// (the `--output json` of `run` or `serve`), with a time scrubber, until
// SIGINT or SIGTERM.

import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import type { Command } from 'commander';
import type { AnyStateMachine } from 'xstate';
import { machineToJSON } from '../inspect/chart.js';
import type { MachineJSON } from '../inspect/protocol.js';
import { buildReplay } from '../inspect/replay.js';
import { isLoopbackHost } from '../inspect/hosts.js';
import { startInspectionServer } from '../lazy-entry.js';

export interface VisualizeOptions {
  port: number;
  host: string;
  allowRemote: boolean;
  open: boolean;
  /** Directory of the built visualizer (tests). */
  staticDir?: string;
}

/**
 * Registers the command. `machines` are the charts a recording may come from
 * (by name: `pod`, `container`, `probe`); pod actors try `pod` first and their
 * children `container`, then any chart whose states fit.
 */
export function registerVisualizeCommand(
  program: Command,
  setExitCode: (code: number) => void,
  machines: () => Promise<Record<string, AnyStateMachine>>,
): void {
  program
    .command('visualize')
    .description('step through a recorded run (the --output json of run or serve) in the visualizer, with a time scrubber')
    .argument('<recording>', 'NDJSON file written by `statelet run|serve --output json`, or - for stdin')
    .option('--port <port>', 'port on --host (0: pick one)', '0')
    .option('--host <host>', 'address to listen on (non-loopback needs --inspect-allow-remote)', '127.0.0.1')
    .option('--inspect-allow-remote', 'allow --host to be a non-loopback address')
    .option('--no-open', 'do not open a browser')
    .action(async (recording: string, raw: Record<string, unknown>, cmd: Command) => {
      const port = Number(raw['port']);
      if (!Number.isInteger(port) || port < 0 || port > 65535) cmd.error(`error: --port: expected a port number, got ${JSON.stringify(raw['port'])}`, { exitCode: 2 });
      const host = String(raw['host']);
      const allowRemote = raw['inspectAllowRemote'] === true;
      if (!isLoopbackHost(host) && !allowRemote) {
        cmd.error(`error: --host ${host}: not a loopback address; a recording shows every actor's context. Add --inspect-allow-remote to expose it on purpose.`, { exitCode: 2 });
      }
      setExitCode(await visualize(recording, { port, host, allowRemote, open: raw['open'] !== false }, await machines()));
    });
}

/** Serves the replay until a signal; resolves the exit code (2: unreadable or empty recording). */
export async function visualize(recording: string, opts: VisualizeOptions, machines: Record<string, AnyStateMachine>): Promise<number> {
  const err = (line: string) => process.stderr.write(`statelet: ${line}\n`);
  let text: string;
  try {
    text = recording === '-' ? readFileSync(0, 'utf8') : readFileSync(recording, 'utf8');
  } catch (e) {
    err(`cannot read ${recording}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (e as Error).message}`);
    return 2;
  }
  const charts: Record<string, MachineJSON> = {};
  for (const [name, m] of Object.entries(machines)) charts[name] = machineToJSON(m);
  const source = recording === '-' ? 'stdin' : basename(recording);
  const data = buildReplay(text, { machines: charts, prefer: { root: ['pod'], child: ['container'] }, source });
  if (data.stats.lines === 0) {
    err(`${recording}: no Pod, Event or Transition lines (expected the NDJSON of \`statelet run --output json\`)`);
    return 2;
  }
  if (data.stats.transitions === 0) err(`${recording}: no Transition lines: only statuses and events can be shown`);
  const server = await startInspectionServer({ port: opts.port, host: opts.host, allowRemote: opts.allowRemote, replay: JSON.stringify(data), staticDir: opts.staticDir, log: err });
  const secs = ((data.end - data.start) / 1000).toFixed(1);
  err(`visualizer: ${server.url} (replay of ${source}: ${data.stats.transitions} transitions, ${data.stats.statuses} statuses, ${data.stats.events} events over ${secs}s)`);
  if (opts.open) await (await import('../inspect/session.js')).openInBrowser(server.url, err);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  await server.close();
  return 0;
}
