// `statelet logs POD [-c C] [-f] [-p] [--tail N] [--timestamps] [--since D]
// [--limit-bytes N]`: kubectl logs against a running agent's /containerLogs,
// which reads the CRI log files with the kubelet's semantics (src/api/logs.ts).
import type { Command } from 'commander';
import { parseGoDuration } from '../api/metrics.js';
import { addTargetOptions, CliError, get, pickContainer, readBody, resolvePod, runTool, serverError, targetFrom } from './agent-client.js';

const int = (flag: string) => (v: string) => {
  if (!/^-?\d+$/.test(v)) throw new Error(`${flag}: expected an integer, got ${JSON.stringify(v)}`);
  return Number(v);
};

export function registerLogsCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('logs')
    .description('print a container\'s log from a running agent, as kubectl logs does')
    .argument('<pod>', 'the pod (a static pod\'s name with or without the node suffix)')
    .option('-c, --container <name>', 'the container (required when the pod has several)')
    .option('-f, --follow', 'stream the log until the container stops')
    .option('-p, --previous', 'the previous (terminated) instance of the container')
    .option('--tail <n>', 'the last n lines (-1: all)', int('--tail'), -1)
    .option('--timestamps', 'prefix each line with its RFC3339Nano time')
    .option('--since <duration>', 'only lines newer than this (5s, 2m, 1h)')
    .option('--since-time <rfc3339>', 'only lines newer than this time')
    .option('--limit-bytes <n>', 'at most this many bytes', int('--limit-bytes'));
  addTargetOptions(cmd);
  cmd.action(async (podName: string, raw: Record<string, unknown>) => {
    setExitCode(
      await runTool(async () => {
        const t = targetFrom(raw);
        const pod = await resolvePod(t, podName);
        const container = pickContainer(pod, raw['container'] as string | undefined);
        const q = new URLSearchParams();
        if (raw['follow'] === true) q.set('follow', 'true');
        if (raw['previous'] === true) q.set('previous', 'true');
        if (raw['timestamps'] === true) q.set('timestamps', 'true');
        if ((raw['tail'] as number) >= 0) q.set('tailLines', String(raw['tail']));
        if (raw['since'] !== undefined) {
          const secs = parseGoDuration(String(raw['since']));
          if (!Number.isFinite(secs) || secs <= 0) throw new CliError(`error: --since: expected a duration such as 5s, 2m or 1h, got ${JSON.stringify(raw['since'])}`);
          q.set('sinceSeconds', String(Math.max(1, Math.ceil(secs))));
        }
        if (raw['sinceTime'] !== undefined) q.set('sinceTime', String(raw['sinceTime']));
        if (raw['limitBytes'] !== undefined) q.set('limitBytes', String(raw['limitBytes']));
        const path = `/containerLogs/${encodeURIComponent(pod.metadata.namespace ?? 'default')}/${encodeURIComponent(pod.metadata.name)}/${encodeURIComponent(container)}?${q}`;
        const abort = new AbortController();
        const stop = () => abort.abort();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
        try {
          const res = await get(t.server, path, abort.signal);
          if ((res.statusCode ?? 500) >= 300) throw serverError(res.statusCode ?? 500, await readBody(res));
          for await (const chunk of res) {
            if (!process.stdout.write(chunk as Buffer)) await new Promise((r) => process.stdout.once('drain', r));
          }
        } catch (err) {
          if (abort.signal.aborted) return 0; // ^C ends a follow, as with kubectl
          throw err;
        } finally {
          process.off('SIGINT', stop);
          process.off('SIGTERM', stop);
        }
        return 0;
      }),
    );
  });
}
