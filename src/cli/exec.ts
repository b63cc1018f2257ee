// `statelet exec POD [-c C] -- CMD...`: runs a command in a container (CRI
// ExecSync) through the agent's exec socket, which /statelet/v1/info names; the
// socket is the agent's alone (mode 0600), as exec is never served on the TCP
// port. Prints the command's stdout and stderr and exits with its exit code,
// after kubectl's "command terminated with exit code N".
import { request } from 'node:http';
import type { Command } from 'commander';
import type { ExecResponse } from '../api/server.js';
import { addTargetOptions, agentInfo, CliError, pickContainer, resolvePod, runTool, targetFrom } from './agent-client.js';

export function registerExecCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('exec')
    .description('run a command in a container of a running agent\'s pod (ExecSync); exits with the command\'s exit code')
    .argument('<pod>', 'the pod (a static pod\'s name with or without the node suffix)')
    .argument('<command...>', 'the command and its arguments, after --')
    .option('-c, --container <name>', 'the container (required when the pod has several)')
    .option('--timeout <seconds>', 'give up after this long (default: none, as kubectl exec)', (v) => Number(v));
  addTargetOptions(cmd);
  cmd.action(async (podName: string, command: string[], raw: Record<string, unknown>) => {
    setExitCode(
      await runTool(async () => {
        const t = targetFrom(raw);
        const [pod, info] = await Promise.all([resolvePod(t, podName), agentInfo(t.server)]);
        const container = pickContainer(pod, raw['container'] as string | undefined);
        if (!info.execSocket) throw new CliError(`the agent at ${t.server} serves no exec socket`);
        const out = await execOverSocket(info.execSocket, pod.metadata.namespace ?? 'default', pod.metadata.name, container, command, (raw['timeout'] as number | undefined) ?? 0);
        process.stdout.write(Buffer.from(out.stdout, 'base64'));
        process.stderr.write(Buffer.from(out.stderr, 'base64'));
        if (out.exitCode !== 0) process.stderr.write(`command terminated with exit code ${out.exitCode}\n`);
        return out.exitCode;
      }),
    );
  });
}

export function execOverSocket(socketPath: string, namespace: string, pod: string, container: string, command: string[], timeout = 0): Promise<ExecResponse> {
  const body = JSON.stringify({ command, timeout });
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path: `/exec/${encodeURIComponent(namespace)}/${encodeURIComponent(pod)}/${encodeURIComponent(container)}`, method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          if ((res.statusCode ?? 500) !== 200) return reject(new CliError(`error: unable to exec: ${text.trim()}`));
          try {
            resolve(JSON.parse(text) as ExecResponse);
          } catch {
            reject(new CliError(`error: the exec socket ${socketPath} answered something that is not an exec result`));
          }
        });
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EACCES') reject(new CliError(`cannot open the agent's exec socket ${socketPath}: permission denied (it is the agent's user's only; run as that user)`));
      else if (err.code === 'ENOENT' || err.code === 'ECONNREFUSED') reject(new CliError(`the agent's exec socket ${socketPath} is not there (exec runs on the agent's machine, through its unix socket)`));
      else reject(new CliError(`exec socket ${socketPath}: ${err.message}`));
    });
    req.end(body);
  });
}
