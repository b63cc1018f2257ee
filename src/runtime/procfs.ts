import { readFile } from 'node:fs/promises';

/** USER_HZ; 100 on every Linux architecture Node runs on. */
export const CLK_TCK = 100;

export interface ProcStat {
  /** R, S, D, Z, T, ... */
  state: string;
  utimeTicks: number;
  stimeTicks: number;
  /** Field 22: start time in clock ticks since boot. With the pid it identifies a process across pid reuse. */
  startTime: string;
}

export function parseProcStat(text: string): ProcStat | null {
  // comm (field 2) may contain spaces and parentheses: split after the last ')'.
  const i = text.lastIndexOf(')');
  if (i < 0) return null;
  const f = text.slice(i + 2).split(' ');
  if (f.length < 20) return null;
  return { state: f[0]!, utimeTicks: Number(f[11]), stimeTicks: Number(f[12]), startTime: f[19]! };
}

export async function readProcStat(pid: number): Promise<ProcStat | null> {
  if (!(pid > 0)) return null;
  try {
    return parseProcStat(await readFile(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return null;
  }
}

/** Resident set size in bytes from /proc/<pid>/status (VmRSS), or null. */
export async function readRssBytes(pid: number): Promise<number | null> {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(await readFile(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
