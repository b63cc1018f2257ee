// The pod-wide pieces of the sandbox config as the kubelet generates them
// (release-1.34): DNS (pkg/kubelet/network/dns/dns.go GetPodDNS), hostname and
// domain (kubelet_pods.go GeneratePodHostNameAndDomain, util.GetNodenameForKernel),
// port mappings (kubecontainer.MakePortMappings) and the managed /etc/hosts
// (kubelet_pods.go managedHostsFileContent / nodeHostsFileContent).
import { readFileSync } from 'node:fs';
import type { DNSConfig, PortMapping } from '../cri/types.js';
import type { HostAlias, Pod } from '../k8s/types.js';

/** The resolver configuration of the node (the kubelet's --resolv-conf, default /etc/resolv.conf). */
export interface ResolvConf {
  servers: string[];
  searches: string[];
  options: string[];
}

/** parseResolvConf: nameserver, search (the last line wins) and options lines. */
export function parseResolvConf(text: string): ResolvConf {
  const out: ResolvConf = { servers: [], searches: [], options: [] };
  for (const raw of text.split('\n')) {
    const line = raw.replace(/[#;].*$/, '').trim();
    const fields = line.split(/\s+/).filter(Boolean);
    if (fields.length === 0) continue;
    if (fields[0] === 'nameserver' && fields[1]) out.servers.push(fields[1]);
    else if (fields[0] === 'search') out.searches = fields.slice(1).map((s) => s.replace(/\.$/, '') || '.');
    else if (fields[0] === 'options') out.options.push(...fields.slice(1));
  }
  return out;
}

export function readHostResolvConf(path = '/etc/resolv.conf'): ResolvConf {
  try {
    return parseResolvConf(readFileSync(path, 'utf8'));
  } catch {
    return { servers: [], searches: [], options: [] };
  }
}

const omitDuplicates = (xs: string[]): string[] => [...new Set(xs)];

/** mergeDNSOptions: the pod's options override the node's of the same name (order kept). */
function mergeDNSOptions(existing: string[], pod: { name?: string; value?: string }[]): string[] {
  const m = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(':');
    if (i >= 0) m.set(op.slice(0, i), op.slice(i + 1));
    else m.set(op, '');
  }
  for (const op of pod) if (op.name) m.set(op.name, op.value ?? '');
  return [...m].map(([k, v]) => (v ? `${k}:${v}` : k));
}

/** validation.MaxDNSNameservers / MaxDNSSearchPaths / MaxDNSSearchListChars (formDNSConfigFitsLimits). */
const MAX_NAMESERVERS = 3;
const MAX_SEARCHES = 32;
const MAX_SEARCH_CHARS = 2048;

/** Which branch of GetPodDNS a pod takes. statelet has no cluster DNS (no --cluster-dns), so ClusterFirst falls back to Default. */
export function podDNSType(pod: Pod): 'None' | 'Cluster' | 'Host' {
  switch (pod.spec.dnsPolicy) {
    case 'None':
      return 'None';
    case 'ClusterFirstWithHostNet':
      return 'Cluster';
    case 'Default':
      return 'Host';
    default:
      return pod.spec.hostNetwork === true ? 'Host' : 'Cluster';
  }
}

/**
 * The kubelet's Warning when a ClusterFirst pod meets a node without cluster DNS
 * (MissingClusterDNS), or undefined. The text after `pod: "<pod>". ` is the node's message.
 */
export function missingClusterDNSMessage(pod: Pod, podRef: string): string | undefined {
  if (podDNSType(pod) !== 'Cluster') return undefined;
  const policy = pod.spec.dnsPolicy === 'ClusterFirstWithHostNet' ? 'ClusterFirstWithHostNet' : 'ClusterFirst';
  return `pod: ${JSON.stringify(podRef)}. kubelet does not have ClusterDNS IP configured and cannot create Pod using ${JSON.stringify(policy)} policy. Falling back to "Default" policy.`;
}

/** GetPodDNS for a node without cluster DNS. */
export function podDNSConfig(pod: Pod, host: ResolvConf): DNSConfig {
  let dns: Required<DNSConfig> = { servers: [...host.servers], searches: [...host.searches], options: [...host.options] };
  if (podDNSType(pod) === 'None') dns = { servers: [], searches: [], options: [] };
  const pc = pod.spec.dnsConfig;
  if (pc) {
    dns.servers = omitDuplicates([...dns.servers, ...(pc.nameservers ?? [])]);
    dns.searches = omitDuplicates([...dns.searches, ...(pc.searches ?? [])]);
    dns.options = mergeDNSOptions(dns.options, pc.options ?? []);
  }
  // formDNSConfigFitsLimits: the kubelet trims and records DNSConfigForming.
  dns.servers = dns.servers.slice(0, MAX_NAMESERVERS);
  let searches = dns.searches.slice(0, MAX_SEARCHES);
  while (searches.join(' ').length > MAX_SEARCH_CHARS) searches = searches.slice(0, -1);
  dns.searches = searches;
  return dns;
}

/**
 * GeneratePodHostNameAndDomain: spec.hostname (else the pod name, cut to 63
 * characters without a trailing '-' or '.'), and `<subdomain>.<namespace>.svc.<cluster domain>`.
 */
export function podHostnameAndDomain(pod: Pod, clusterDomain = ''): { hostname: string; domain: string } {
  let hostname = pod.spec.hostname || pod.metadata.name;
  if (hostname.length > 63) hostname = hostname.slice(0, 63).replace(/[-.]+$/, '');
  const domain = pod.spec.subdomain ? `${pod.spec.subdomain}.${pod.metadata.namespace ?? 'default'}.svc.${clusterDomain}` : '';
  return { hostname, domain };
}

/** GetNodenameForKernel: the UTS hostname; the FQDN with setHostnameAsFQDN (at most 64 characters). */
export function kernelHostname(pod: Pod, clusterDomain = ''): string {
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  if (pod.spec.setHostnameAsFQDN === true && domain) {
    const fqdn = `${hostname}.${domain}`;
    if (fqdn.length > 64) {
      throw new Error(`failed to construct FQDN from pod hostname and cluster domain, FQDN ${fqdn} is too long (64 characters is the max, ${fqdn.length} characters requested)`);
    }
    return fqdn;
  }
  return hostname;
}

/** The sandbox's port mappings: every port of every regular container (MakePortMappings, duplicates by name dropped). */
export function portMappings(pod: Pod): PortMapping[] {
  const out: PortMapping[] = [];
  for (const c of pod.spec.containers) {
    const names = new Set<string>();
    for (const p of c.ports ?? []) {
      const family = p.hostIP ? (p.hostIP.includes(':') ? 'v6' : 'v4') : 'any';
      const name = p.name || `${family}-${p.protocol ?? 'TCP'}-${p.hostIP ?? ''}:${p.containerPort}:${p.hostPort ?? 0}`;
      if (names.has(name)) continue;
      names.add(name);
      out.push({ protocol: p.protocol ?? 'TCP', containerPort: p.containerPort, hostPort: p.hostPort ?? 0, hostIp: p.hostIP ?? '' });
    }
  }
  return out;
}

function hostAliasEntries(aliases: HostAlias[] | undefined): string {
  if (!aliases?.length) return '';
  let s = '\n# Entries added by HostAliases.\n';
  for (const a of aliases) s += `${a.ip}\t${(a.hostnames ?? []).join('\t')}\n`;
  return s;
}

/** The /etc/hosts the kubelet writes for a pod (the node's own for host-network pods, plus hostAliases). */
export function hostsFileContent(pod: Pod, podIPs: string[], clusterDomain = '', nodeHostsPath = '/etc/hosts'): string {
  if (pod.spec.hostNetwork === true) {
    let node = '';
    try {
      node = readFileSync(nodeHostsPath, 'utf8');
    } catch {
      /* an empty node file */
    }
    return `# Kubernetes-managed hosts file (host network).\n${node}${hostAliasEntries(pod.spec.hostAliases)}`;
  }
  const { hostname, domain } = podHostnameAndDomain(pod, clusterDomain);
  let s = '# Kubernetes-managed hosts file.\n';
  s += '127.0.0.1\tlocalhost\n';
  s += '::1\tlocalhost ip6-localhost ip6-loopback\n';
  s += 'fe00::0\tip6-localnet\n';
  s += 'fe00::0\tip6-mcastprefix\n';
  s += 'fe00::1\tip6-allnodes\n';
  s += 'fe00::2\tip6-allrouters\n';
  for (const ip of podIPs) s += domain ? `${ip}\t${hostname}.${domain}\t${hostname}\n` : `${ip}\t${hostname}\n`;
  return s + hostAliasEntries(pod.spec.hostAliases);
}
