import { UsageError } from '../../errors.js';
import type { HostFacts } from '../../facts/types.js';
import type { Templates } from '../../templates.js';
import type { FileChange } from '../actions.js';
import { daemonJsonMethod } from './daemon-json.js';
import { dockerOptsMethod, sysconfigMethod } from './env-flags.js';
import { systemdDropInMethod } from './systemd-dropin.js';
import { METHOD_NAMES, type MethodName, type TrustMethod } from './types.js';

const METHODS: Record<MethodName, TrustMethod> = {
  'daemon-json': daemonJsonMethod,
  'docker-opts': dockerOptsMethod,
  'systemd-dropin': systemdDropInMethod,
  sysconfig: sysconfigMethod,
};

export function parseMethod(value: string): MethodName | 'auto' {
  if (value === 'auto' || (METHOD_NAMES as readonly string[]).includes(value)) return value as MethodName | 'auto';
  throw new UsageError(`--method: unknown method "${value}" (choose auto, ${METHOD_NAMES.join(', ')})`);
}

/**
 * auto: daemon.json wherever dockerd reads it; on older dockerd, the flag file that this host's
 * start-up really reads (sysconfig, DOCKER_OPTS), else a systemd drop-in.
 */
export function chooseMethod(facts: HostFacts, requested: MethodName | 'auto'): TrustMethod {
  if (requested !== 'auto') {
    const method = METHODS[requested];
    const why = method.unusable(facts);
    if (why) throw new UsageError(`--method ${requested} cannot be used here: ${why}`);
    return method;
  }
  const order: TrustMethod[] = [daemonJsonMethod, sysconfigMethod, dockerOptsMethod, systemdDropInMethod];
  const usable = order.find((m) => m.unusable(facts) === null);
  if (!usable) throw new UsageError('no way to configure this dockerd was found; pass --method');
  return usable;
}

/**
 * The method to plan with: the one asked for, or the one an earlier install recorded unless this
 * host can no longer use it (DOCKER_OPTS under a unit that ignores it now, say): then auto.
 */
export function methodToUse(facts: HostFacts, wanted: { method: MethodName | 'auto'; methodRecorded?: boolean }): MethodName | 'auto' {
  return wanted.methodRecorded && wanted.method !== 'auto' && METHODS[wanted.method].unusable(facts) ? 'auto' : wanted.method;
}

/**
 * trust and untrust without --method: where this host's trusts already are. untrust edits the one
 * method whose files hold the entries (taking an entry out never needs the others moved, nor a
 * restart where a reload does); trust keeps to the method earlier trusts were recorded with, as
 * install keeps its own, unless this host can no longer use it. Else auto.
 */
export function methodInUse(facts: HostFacts, mode: 'trust' | 'untrust', entries: readonly string[], recorded: readonly { tls: boolean; method?: MethodName }[]): MethodName | 'auto' {
  const usable = (m: MethodName) => METHODS[m].unusable(facts) === null;
  if (mode === 'untrust') {
    const holding = METHOD_NAMES.filter((m) => usable(m) && METHODS[m].configured(facts).some((c) => entries.includes(c)));
    return holding.length === 1 ? holding[0]! : 'auto';
  }
  const methods = [...new Set(recorded.flatMap((r) => (!r.tls && r.method ? [r.method] : [])))];
  return methods.length === 1 && usable(methods[0]!) ? methods[0]! : 'auto';
}

/**
 * Entries recorded under a method this host can no longer use (DOCKER_OPTS under docker-ce's unit),
 * and the edits that take them out of that method's files: left, they would clash with daemon.json
 * the day a unit reads them again.
 */
export function unreadEntries<T extends { entry: string; method?: MethodName }>(facts: HostFacts, templates: Templates, recorded: readonly T[]): { unread: T[]; edits: FileChange[] } {
  const unread = recorded.filter((r) => r.method && METHODS[r.method].unusable(facts) !== null);
  const methods = [...new Set(unread.map((r) => r.method!))];
  return { unread, edits: methods.flatMap((m) => METHODS[m].forget?.(facts, templates, unread.filter((r) => r.method === m).map((r) => r.entry)) ?? []) };
}

export { METHODS };
