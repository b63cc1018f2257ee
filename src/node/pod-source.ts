// Where a node agent's pods come from (the kubelet's config sources: file, http,
// apiserver). A source tells the agent the complete set of pods it holds, each
// time that set changes (the kubelet's PodUpdate with Op SET); the agent works
// out what was added, removed or changed. The static-pod directory is one source
// (static-source.ts); an API-server source would implement the same interface.
import type { FieldError } from '../k8s/manifest.js';
import type { Pod } from '../k8s/types.js';

export interface SourcedPod {
  pod: Pod;
  /** Where it came from, for messages (a file path, a URL). */
  origin: string;
  /**
   * True when the pod's UID was given by the source (metadata.uid in the manifest): a
   * changed spec is then an update of the same pod. Otherwise a changed spec is a new
   * pod with a new UID, and the old one is deleted.
   */
  fixedUid: boolean;
}

/** A manifest the source could not use: reported, and the rest of the source goes on. */
export interface SourceProblem {
  source: string;
  origin: string;
  errors: FieldError[];
  /** The pod the origin held before it went bad, if any (it keeps running). */
  lastGood?: Pod;
}

export interface PodSourceHandlers {
  /** The complete set of pods the source holds now. */
  set(pods: SourcedPod[]): void;
  problem(p: SourceProblem): void;
}

export interface PodSource {
  /** kubetypes.FileSource, ApiserverSource, ... (`file` for static pods). */
  readonly name: string;
  /** Starts watching; resolves once the first complete set was delivered (the source is "seen"). */
  start(handlers: PodSourceHandlers): Promise<void>;
  stop(): void;
}
