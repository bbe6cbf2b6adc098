import { UsageError } from '../../errors.js';
import type { HostFacts } from '../../facts/types.js';
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

export { METHODS };
