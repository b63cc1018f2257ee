// `statelet describe pod NAME`: kubectl describe's layout (src/kubectl/describe.ts)
// for one pod of a running agent, with its Events table.
import type { Command } from 'commander';
import { describePod } from '../kubectl/describe.js';
import { addTargetOptions, CliError, listEvents, resolvePod, runTool, targetFrom } from './agent-client.js';

export function registerDescribeCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('describe')
    .description('show one pod of a running agent as kubectl describe pod does: containers, conditions, events')
    .argument('<resource>', 'pod (pods, po)')
    .argument('<name>', 'the pod (a static pod\'s name with or without the node suffix)');
  addTargetOptions(cmd);
  cmd.action(async (resource: string, name: string, raw: Record<string, unknown>) => {
    setExitCode(
      await runTool(async () => {
        if (!['pod', 'pods', 'po'].includes(resource.toLowerCase())) throw new CliError(`error: the server doesn't have a resource type "${resource}"`);
        const t = targetFrom(raw);
        const pod = await resolvePod(t, name);
        const events = await listEvents(t.server, { uid: pod.metadata.uid });
        process.stdout.write(describePod(pod, events, Date.now()));
      }),
    );
  });
}
