// What the kubelet knows about its node that goes into generated configs:
// memory capacity (cadvisor MachineInfo), allocatable cpu and memory (the
// downward API's default limits), the node's IPs and name, the cgroup mode and
// hugepage sizes. Read once from the host; tests pass their own.
import { existsSync, readdirSync, statfsSync } from 'node:fs';
import { cpus, hostname, networkInterfaces, totalmem } from 'node:os';

export interface NodeInfo {
  /** spec.nodeName of a static pod: the node's hostname, lower-cased. */
  nodeName: string;
  /** status.hostIPs: the node's addresses (IPv4 first). */
  hostIPs: string[];
  memoryCapacityBytes: number;
  /** Allocatable cpu in millicores. */
  cpuMillis: number;
  ephemeralStorageBytes: number;
  cgroupV2: boolean;
  /** Whether cgroup v1 has the memsw controller (swap limits). */
  swapControllerV1: boolean;
  /** Host hugepage sizes, as the CRI names them ("2MB", "1GB"). */
  hugePageSizes: string[];
}

/** HugePageUnitSizeFromByteSize: 2097152 -> "2MB". */
export function hugePageUnitSize(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
  let i = 0;
  let size = bytes;
  while (size >= 1024 && i < units.length - 1 && size % 1024 === 0) {
    size /= 1024;
    i++;
  }
  return `${size}${units[i]}`;
}

function hostAddresses(): string[] {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) {
      if (a.internal) continue;
      if (a.family === 'IPv4') v4.push(a.address);
      else if (!a.address.startsWith('fe80')) v6.push(a.address);
    }
  }
  const first = v4[0] ?? v6[0];
  return first ? [first, ...(v4[0] && v6[0] ? [v6[0]] : [])] : ['127.0.0.1'];
}

let cached: NodeInfo | undefined;

/** The host's facts (computed once per process). */
export function hostNodeInfo(): NodeInfo {
  if (cached) return cached;
  let storage = 0;
  try {
    const st = statfsSync('/');
    storage = Number(st.blocks) * Number(st.bsize);
  } catch {
    /* unknown */
  }
  let sizes: string[] = [];
  try {
    sizes = readdirSync('/sys/kernel/mm/hugepages')
      .map((d) => /^hugepages-(\d+)kB$/.exec(d)?.[1])
      .filter((x): x is string => !!x)
      .map((kb) => hugePageUnitSize(Number(kb) * 1024));
  } catch {
    /* no hugepages */
  }
  cached = {
    nodeName: hostname().toLowerCase(),
    hostIPs: hostAddresses(),
    memoryCapacityBytes: totalmem(),
    cpuMillis: cpus().length * 1000,
    ephemeralStorageBytes: storage,
    cgroupV2: existsSync('/sys/fs/cgroup/cgroup.controllers'),
    swapControllerV1: existsSync('/sys/fs/cgroup/memory/memory.memsw.limit_in_bytes'),
    hugePageSizes: sizes,
  };
  return cached;
}
