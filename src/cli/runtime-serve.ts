import type { Command } from 'commander';
import { loadFaultFile, type FaultRule } from '../runtime/faults.js';
import { startEmbeddedRuntime } from '../lazy-entry.js';

interface ServeOptions {
  listen?: string;
  stateDir?: string;
  faults?: string;
  autoPullImages?: boolean;
  keepContainers?: boolean;
  verbose?: boolean;
}

/**
 * `statelet runtime serve`: the embedded CRI runtime as a standalone server
 * (what the kubelet-side of statelet, crictl or a benchmark talks to).
 */
export function registerRuntimeCommand(program: Command, setExitCode: (code: number) => void): void {
  const runtime = program.command('runtime').description('the embedded CRI v1 runtime (containers as host processes)');
  runtime
    .command('serve')
    .description('serve CRI v1 on a unix socket until SIGINT/SIGTERM')
    .option('--listen <endpoint>', 'unix:///path/to.sock (default: <state-dir>/statelet-runtime.sock)')
    .option('--state-dir <dir>', 'state directory; reuse it to find containers again after a restart (default: a fresh temp dir)')
    .option('--faults <file>', 'YAML fault rules (a list, or { rules: [...] })')
    .option('--auto-pull-images', 'treat every image as present (no PullImage needed)')
    .option('--keep-containers', 'leave container processes running on exit (a later serve with the same --state-dir finds them again)')
    .option('-v, --verbose', 'log runtime diagnostics to stderr')
    .action(async (opts: ServeOptions) => {
      let faults: FaultRule[] = [];
      if (opts.faults) {
        try {
          faults = loadFaultFile(opts.faults);
        } catch (err) {
          process.stderr.write(`statelet runtime: ${(err as Error).message}\n`);
          setExitCode(2);
          return;
        }
      }
      const log = (m: string) => process.stderr.write(`statelet runtime: ${m}\n`);
      let rt;
      try {
        rt = await startEmbeddedRuntime({
          listen: opts.listen,
          stateDir: opts.stateDir,
          faults,
          autoPullImages: opts.autoPullImages === true,
          killOnClose: opts.keepContainers !== true,
          log: opts.verbose ? log : (m) => (/fail|unreadable|dropping|found again/i.test(m) ? log(m) : undefined),
        });
      } catch (err) {
        log((err as Error).message);
        setExitCode(1);
        return;
      }
      log(`serving CRI v1 on ${rt.endpoint}`);
      const signal = await new Promise<NodeJS.Signals>((resolve) => {
        process.once('SIGINT', () => resolve('SIGINT'));
        process.once('SIGTERM', () => resolve('SIGTERM'));
      });
      // A second signal while shutting down exits at once.
      const force = () => process.exit(130);
      process.once('SIGINT', force);
      process.once('SIGTERM', force);
      if (opts.verbose) log(`${signal}: shutting down`);
      await rt.close();
      process.removeListener('SIGINT', force);
      process.removeListener('SIGTERM', force);
      setExitCode(0);
      // Nothing should keep the process alive now; exit anyway if something does.
      setTimeout(() => process.exit(0), 2000).unref();
    });
}
