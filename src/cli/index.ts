import { Command, CommanderError, Option } from 'commander';
import { registerRuntimeCommand } from './runtime-serve.js';
import { registerRunCommand } from './run.js';
import { registerServeCommand } from './serve.js';
import { exportMachines, type ExportFormat } from './export-machines.js';
import { registerVisualizeCommand } from './visualize.js';
import { registerGetCommand } from './get.js';
import { registerDescribeCommand } from './describe.js';
import { registerLogsCommand } from './logs.js';
import { registerExecCommand } from './exec.js';
import { registerEventsCommand } from './events.js';
import { containerMachine } from '../../machines/container/index.js';
import { podMachine } from '../../machines/pod/index.js';
import { probeMachine } from '../../machines/probe.js';

/** The charts `statelet export-machines` writes, by file name. */
export async function allMachines() {
  const machines: Record<string, import('xstate').AnyStateMachine> = { container: containerMachine, pod: podMachine, probe: probeMachine };
  return machines;
}

/** Entry point of the `statelet` binary; resolves to the process exit code. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const setExitCode = (code: number) => {
    exitCode = code;
  };
  const program = new Command()
    .name('statelet')
    .description('A kubelet-grade container runtime manager: every pod and container is an XState actor')
    .exitOverride()
    .showHelpAfterError();
  registerRunCommand(program, setExitCode);
  registerServeCommand(program, setExitCode);
  registerRuntimeCommand(program, setExitCode);
  registerVisualizeCommand(program, setExitCode, allMachines);
  // Tools for a running agent (statelet serve's API), kubectl's way.
  registerGetCommand(program, setExitCode);
  registerDescribeCommand(program, setExitCode);
  registerLogsCommand(program, setExitCode);
  registerExecCommand(program, setExitCode);
  registerEventsCommand(program, setExitCode);
  program
    .command('export-machines')
    .description('write the container, pod and probe charts as JSON (Stately Studio) or Mermaid state diagrams')
    .addOption(new Option('--format <format>', 'json or mermaid').choices(['json', 'mermaid']).default('json'))
    .option('--out <dir>', 'directory to write <name>.json / <name>.mmd into (default: print to stdout)')
    .action(async (o: { format: ExportFormat; out?: string }) => {
      const res = await exportMachines(await allMachines(), { format: o.format, outDir: o.out });
      if (o.out) for (const f of res.files) process.stderr.write(`wrote ${f}\n`);
      else for (const [name, text] of Object.entries(res.text)) process.stdout.write(o.format === 'mermaid' ? `%% ${name}\n${text}\n` : `${text}\n`);
    });
  try {
    await program.parseAsync(argv);
  } catch (err) {
    if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
    throw err;
  }
  return exitCode;
}
