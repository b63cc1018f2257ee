// Replay (`statelet visualize <run.ndjson>`): the page fetches /replay.json
// (src/inspect/replay.ts builds it) and feeds the model what a live client
// would have received up to the scrubber's time. Moving forward applies the
// next messages; moving back rebuilds from the start (a run of thousands of
// lines takes a few milliseconds).

import type { ReplayData, ReplayEvent } from '../../src/inspect/protocol.js';
import type { InspectorModel } from '../../src/inspect/view-model.js';

export async function loadReplay(): Promise<ReplayData | undefined> {
  try {
    const res = await fetch('replay.json', { cache: 'no-store' });
    if (!res.ok) return undefined;
    const data = (await res.json()) as ReplayData;
    return data && data.type === 'statelet.replay' ? data : undefined;
  } catch {
    return undefined;
  }
}

export class ReplayPlayer {
  /** Epoch ms of the scrubber. */
  position: number;
  /** Index of the last entry applied (-1: none). */
  private applied = -1;

  constructor(
    readonly data: ReplayData,
    private readonly model: InspectorModel,
  ) {
    this.position = data.start;
  }

  get start(): number {
    return this.data.start;
  }
  get end(): number {
    return this.data.end;
  }

  /** Index of the last entry at or before t (-1 when none). */
  private indexAt(t: number): number {
    const e = this.data.entries;
    let lo = 0;
    let hi = e.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (e[mid]!.at <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo - 1;
  }

  /** Moves to time t; returns true when the model was rebuilt from the start. */
  seek(t: number): boolean {
    const target = Math.max(this.start, Math.min(this.end, t));
    const upTo = this.indexAt(target);
    const m = this.model;
    let rebuilt = false;
    if (upTo < this.applied || this.applied < 0) {
      m.nowOverride = this.start;
      for (const msg of this.data.preamble) m.apply(msg);
      this.applied = -1;
      rebuilt = true;
    }
    for (let i = this.applied + 1; i <= upTo; i++) {
      const { at, msg } = this.data.entries[i]!;
      m.nowOverride = at;
      m.apply(msg);
    }
    this.applied = upTo;
    this.position = target;
    m.nowOverride = target;
    return rebuilt;
  }

  /** Times of the recorded transitions (of one actor, or all), ascending. */
  transitionTimes(sessionId?: string): number[] {
    const out: number[] = [];
    for (const { at, msg } of this.data.entries) {
      if (msg.type !== '@statelet.transition') continue;
      if (sessionId && msg.sessionId !== sessionId) continue;
      if (out[out.length - 1] !== at) out.push(at);
    }
    return out;
  }

  /**
   * Events as `kubectl describe` lists them at the scrubber's time: the last
   * version of each (its count by then), of one pod when given.
   */
  eventsAt(t: number, pod?: { uid?: string; name: string; namespace: string }): ReplayEvent[] {
    const latest = new Map<string, ReplayEvent>();
    for (const ev of this.data.events) {
      if (ev.at > t) break;
      const io = ev.involvedObject ?? {};
      if (pod) {
        const same = pod.uid && io.uid ? io.uid === pod.uid : io.name === pod.name && (io.namespace ?? 'default') === (pod.namespace || 'default');
        if (!same) continue;
      }
      const key = [io.uid, io.fieldPath, ev.type, ev.reason, ev.message, ev.firstTimestamp].join('\u0000');
      latest.delete(key);
      latest.set(key, ev);
    }
    return [...latest.values()];
  }
}
