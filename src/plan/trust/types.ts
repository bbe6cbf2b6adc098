import type { HostFacts } from '../../facts/types.js';
import type { FileChange } from '../actions.js';
import type { Templates } from '../../templates.js';

export type MethodName = 'daemon-json' | 'docker-opts' | 'systemd-dropin' | 'sysconfig';
export const METHOD_NAMES: readonly MethodName[] = ['daemon-json', 'docker-opts', 'systemd-dropin', 'sysconfig'];

/** What dockerd must do for a change to take effect. Ordered: a later one includes the earlier. */
export type DaemonEffect = 'none' | 'reload' | 'restart';

export interface TrustChange {
  writes: FileChange[];
  effect: DaemonEffect;
  /** A unit file or drop-in changed: systemd must re-read units before the restart. */
  unitsChanged: boolean;
  /** Why a restart is needed, said before doing it. */
  notes: string[];
}

export interface TrustRequest {
  facts: HostFacts;
  templates: Templates;
  add: readonly string[];
  remove: readonly string[];
}

/** One way of telling dockerd which registries to trust. Each lives in its own module. */
export interface TrustMethod {
  name: MethodName;
  /** Why this method cannot serve on this host, or null. */
  unusable(facts: HostFacts): string | null;
  /** Entries this method's files configure now. */
  configured(facts: HostFacts): string[];
  plan(req: TrustRequest): TrustChange;
  /**
   * Takes entries an earlier install wrote out of this method's files once this host no longer
   * reads them (the method gave way, see methodToUse): left, they would clash with daemon.json the
   * day they are read again. Nothing for a method whose files cannot outlive it.
   */
  forget?(facts: HostFacts, templates: Templates, entries: readonly string[]): FileChange[];
}
