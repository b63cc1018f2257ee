// `statelet events [-w] [-A] [--for pod/NAME]`: the agent's Events as `kubectl
// events` prints them (LAST SEEN with "(xN over ...)", TYPE, REASON, OBJECT,
// MESSAGE); -w goes on printing each event as it is recorded.
import type { Command } from 'commander';
import type { Event } from '../k8s/types.js';
import { eventCells, printEvents } from '../kubectl/printers.js';
import { table } from '../kubectl/tabwriter.js';
import { addTargetOptions, CliError, get, listEvents, ndjson, readBody, resolvePod, runTool, serverError, targetFrom } from './agent-client.js';

export function registerEventsCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('events')
    .description('list the Events of a running agent as kubectl events does')
    .option('-w, --watch', 'after listing, print each new event')
    .option('--for <pod/name>', 'only the events of one pod');
  addTargetOptions(cmd, { allNamespaces: true });
  cmd.action(async (raw: Record<string, unknown>) => {
    setExitCode(
      await runTool(async () => {
        const t = targetFrom(raw);
        const all = raw['allNamespaces'] === true;
        let uid: string | undefined;
        let podName: string | undefined;
        if (typeof raw['for'] === 'string') {
          const [kind, name] = raw['for'].includes('/') ? raw['for'].split('/', 2) : ['pod', raw['for']];
          if (!['pod', 'pods', 'po'].includes(kind!.toLowerCase()) || !name) throw new CliError(`error: --for: expected pod/<name>, got ${JSON.stringify(raw['for'])}`);
          const pod = await resolvePod(t, name);
          uid = pod.metadata.uid;
          podName = pod.metadata.name;
        }
        const events = await listEvents(t.server, { namespace: all ? undefined : t.namespace, uid });
        if (events.length) process.stdout.write(printEvents(events, Date.now(), { allNamespaces: all }));
        else if (raw['watch'] !== true) process.stderr.write(all ? 'No events found.\n' : `No events found in ${t.namespace} namespace.\n`);
        if (raw['watch'] !== true) return 0;
        const params = new URLSearchParams();
        if (!all) params.set('namespace', t.namespace);
        if (podName) params.set('pod', podName);
        const res = await get(t.server, `/statelet/v1/watch?${params}`);
        if ((res.statusCode ?? 500) >= 300) throw serverError(res.statusCode ?? 500, await readBody(res));
        let header = events.length === 0;
        for await (const line of ndjson(res)) {
          if (line['kind'] !== 'Event') continue;
          const ev = line as unknown as Event;
          if (uid && ev.involvedObject.uid !== uid) continue;
          const cells = eventCells(ev, Date.now(), { allNamespaces: all });
          process.stdout.write(header ? printEvents([ev], Date.now(), { allNamespaces: all }) : table(undefined, [cells]));
          header = false;
        }
        throw new CliError(`the agent at ${t.server} closed the watch`);
      }),
    );
  });
}
