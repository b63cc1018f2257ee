// `statelet get pods [NAME] [-o wide|json|yaml|name] [-w]`: kubectl get pods
// against a running agent (its /pods), with kubectl's columns and its STATUS
// computation (src/kubectl/printers.ts). -w prints the table, then a row each
// time a pod's row changes, from the agent's watch stream.
import { Option, type Command } from 'commander';
import { yaml } from '../lazy-deps.js';
import type { Pod } from '../k8s/types.js';
import { podCells, printPods } from '../kubectl/printers.js';
import { table } from '../kubectl/tabwriter.js';
import { addTargetOptions, agentInfo, CliError, findPod, get, listPods, ndjson, runTool, serverError, readBody, targetFrom, type AgentTarget } from './agent-client.js';

const POD_RESOURCES = new Set(['pod', 'pods', 'po']);

/** Keys sorted at every level: kubectl prints the server's (unstructured) objects so. */
export function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v as object).sort()) {
      const x = (v as Record<string, unknown>)[k];
      if (x !== undefined) out[k] = sortKeys(x);
    }
    return out;
  }
  return v;
}

/** kubectl -o json: four-space indent, sorted keys. */
export function toJson(obj: unknown): string {
  return JSON.stringify(sortKeys(obj), null, 4) + '\n';
}

/** kubectl -o yaml: sorted keys, sequences not indented under their key. */
export function toYaml(obj: unknown): string {
  return yaml().stringify(sortKeys(obj), { indentSeq: false, lineWidth: 0 });
}

export type GetOutput = 'table' | 'wide' | 'json' | 'yaml' | 'name';

interface GetOptions {
  output: GetOutput;
  watch: boolean;
  allNamespaces: boolean;
}

export function registerGetCommand(program: Command, setExitCode: (code: number) => void): void {
  const cmd = program
    .command('get')
    .description('list pods of a running agent as kubectl get pods does (NAME READY STATUS RESTARTS AGE)')
    .argument('<resource>', 'pods (pod, po)')
    .argument('[name]', 'one pod (a static pod\'s name with or without the node suffix)')
    .addOption(new Option('-o, --output <format>', 'wide, json, yaml or name').choices(['wide', 'json', 'yaml', 'name']))
    .option('-w, --watch', 'after listing, print each change');
  addTargetOptions(cmd, { allNamespaces: true });
  cmd.action(async (resource: string, name: string | undefined, raw: Record<string, unknown>) => {
    setExitCode(
      await runTool(() =>
        getPods(targetFrom(raw), resource, name, {
          output: (raw['output'] as GetOutput | undefined) ?? 'table',
          watch: raw['watch'] === true,
          allNamespaces: raw['allNamespaces'] === true,
        }),
      ),
    );
  });
}

function render(pods: Pod[], single: boolean, o: GetOptions, now: number): string {
  if (o.output === 'json' || o.output === 'yaml') {
    const obj = single ? pods[0] : { apiVersion: 'v1', items: pods, kind: 'List', metadata: { resourceVersion: '' } };
    return o.output === 'json' ? toJson(obj) : toYaml(obj);
  }
  if (o.output === 'name') return pods.map((p) => `pod/${p.metadata.name}\n`).join('');
  if (!pods.length) return '';
  return printPods(pods, now, { wide: o.output === 'wide', allNamespaces: o.allNamespaces });
}

async function getPods(t: AgentTarget, resource: string, name: string | undefined, o: GetOptions): Promise<number> {
  if (!POD_RESOURCES.has(resource.toLowerCase())) throw new CliError(`error: the server doesn't have a resource type "${resource}" (statelet serves pods; events: statelet events)`);
  const [pods, info] = await Promise.all([listPods(t.server), agentInfo(t.server).catch(() => undefined)]);
  const pick = (all: Pod[]): Pod[] => {
    if (name !== undefined) {
      const p = findPod(all, name, t.namespace, info?.nodeName);
      return p ? [p] : [];
    }
    return o.allNamespaces ? all : all.filter((p) => (p.metadata.namespace ?? 'default') === t.namespace);
  };
  let shown = pick(pods);
  if (name !== undefined && !shown.length) throw new CliError(`Error from server (NotFound): pods "${name}" not found`);
  const out = render(shown, name !== undefined, o, Date.now());
  if (!out && o.output !== 'json' && o.output !== 'yaml') {
    if (!o.watch) process.stderr.write(o.allNamespaces ? 'No resources found\n' : `No resources found in ${t.namespace} namespace.\n`);
  } else process.stdout.write(out);
  if (!o.watch) return 0;

  // -w: one line (or object) per change of a shown pod's row.
  const printed = new Map<string, string>();
  const key = (p: Pod) => {
    const c = podCells(p, Date.now(), { wide: o.output === 'wide', allNamespaces: o.allNamespaces });
    // AGE and the "(5s ago)" part tick by themselves: a change is anything else.
    return JSON.stringify([...c.slice(0, 3), c[3]?.replace(/ \(.*\)$/, ''), ...c.slice(5)]);
  };
  for (const p of shown) printed.set(p.metadata.uid ?? '', key(p));
  const known = new Map(shown.map((p) => [p.metadata.uid ?? '', p]));
  const params = new URLSearchParams();
  if (!o.allNamespaces) params.set('namespace', t.namespace);
  if (name !== undefined && shown[0]) params.set('pod', shown[0].metadata.name);
  const res = await get(t.server, `/statelet/v1/watch?${params}`);
  if ((res.statusCode ?? 500) >= 300) throw serverError(res.statusCode ?? 500, await readBody(res));
  for await (const line of ndjson(res)) {
    if (line['kind'] !== 'Pod') continue;
    const uid = (line['metadata'] as { uid?: string } | undefined)?.uid ?? '';
    let fresh = pick(await listPods(t.server)).find((p) => p.metadata.uid === uid);
    const last = known.get(uid);
    // Gone from the agent already (its removal finished): its last status, as the deleted pod it is.
    if (!fresh && last && line['status']) {
      fresh = { ...last, metadata: { ...last.metadata, deletionTimestamp: last.metadata.deletionTimestamp ?? new Date().toISOString() }, status: line['status'] as Pod['status'] };
    }
    if (!fresh) continue;
    known.set(uid, fresh);
    const k = key(fresh);
    if (printed.get(uid) === k) continue;
    printed.set(uid, k);
    if (o.output === 'json') process.stdout.write(toJson(fresh));
    else if (o.output === 'yaml') process.stdout.write(`---\n${toYaml(fresh)}`);
    else if (o.output === 'name') process.stdout.write(`pod/${fresh.metadata.name}\n`);
    else process.stdout.write(table(undefined, [podCells(fresh, Date.now(), { wide: o.output === 'wide', allNamespaces: o.allNamespaces })]));
  }
  throw new CliError(`the agent at ${t.server} closed the watch`);
}
