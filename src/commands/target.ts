import { readState, STATE_FILE, type InstallState } from '../plan/state.js';
import { DEFAULTS, entryOf, parseAddress, parseDataDir, parseImage, parseName, parsePort } from '../plan/wanted.js';
import type { ContainerWanted } from '../plan/container.js';
import { parseMethod } from '../plan/trust/index.js';
import { UsageError } from '../errors.js';

export interface TargetFlags {
  address?: string;
  port?: string;
  name?: string;
  image?: string;
  dataDir?: string;
  method?: string;
}

/**
 * The registry a life-cycle command (check, repair, catalog ...) is about: what install recorded
 * in the state file, overridden by flags, else the defaults.
 */
export function resolveTarget(flags: TargetFlags, stateText: string | null, fallbackAddress: string | null): ContainerWanted & { entry: string; state: InstallState | null } {
  const read = readState(stateText);
  const state = 'state' in read ? read.state : null;
  const address = flags.address !== undefined ? parseAddress(flags.address) : (state?.address ?? fallbackAddress);
  if (!address) {
    const why = 'problem' in read ? `${STATE_FILE} cannot be read (${read.problem}; an install rewrites it)` : `no ${STATE_FILE}`;
    throw new UsageError(`no registry recorded on this host (${why}): pass --address (a host that only trusts a registry elsewhere: check --registry HOST:PORT)`);
  }
  const w: ContainerWanted = {
    address,
    port: flags.port !== undefined ? parsePort(flags.port) : (state?.port ?? DEFAULTS.port),
    name: flags.name !== undefined ? parseName(flags.name) : (state?.name ?? DEFAULTS.name),
    image: flags.image !== undefined ? parseImage(flags.image) : (state?.image ?? DEFAULTS.image),
    dataDir: flags.dataDir !== undefined ? parseDataDir(flags.dataDir) : (state?.dataDir ?? DEFAULTS.dataDir),
    method: flags.method !== undefined ? parseMethod(flags.method) : (state?.method ?? 'auto'),
    methodRecorded: flags.method === undefined && state?.method !== undefined,
    timeoutMs: DEFAULTS.timeoutSeconds * 1000,
    // A secure registry stays secure: the recorded TLS and auth carry over (no new password needed).
    ...(state?.tls ? { tls: { sans: state.tls.sans, ...(state.tls.provided ? { provided: 'kept' as const } : {}) } } : {}),
    ...(state?.auth ? { auth: {} } : {}),
  };
  return { ...w, entry: entryOf(w), state };
}
