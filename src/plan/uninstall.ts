import { describeDataDir, entryOf, isVolume } from './wanted.js';
import type { HostFacts } from '../facts/types.js';
import type { Templates } from '../templates.js';
import type { Action, RemovePath } from './actions.js';
import { MANAGED_LABEL } from './container.js';
import { STATE_FILE, type InstallState } from './state.js';
import { planDaemonOnly, planTrust, type DaemonOutcome } from './trust-plan.js';
import type { MethodName } from './trust/types.js';
import { METHODS } from './trust/index.js';
import { AUTH_DIR, CA_DIR, certsDirAliasCa, certsDirCa, certsDirCas, TLS_DIR } from '../tls/paths.js';

export interface UninstallPlan {
  actions: Action[];
  notes: string[];
  daemon: DaemonOutcome;
  kept: string[];
}

/**
 * Undoes exactly what install recorded: the container, the trust entries it added (never ones it
 * found), the state file; the data stays unless purged. Every other key and entry is kept.
 */
export function planUninstall(facts: HostFacts, state: InstallState | null, templates: Templates, opts: { purge: boolean }): UninstallPlan {
  const actions: Action[] = [];
  const notes: string[] = [];
  const kept: string[] = [];
  const c = facts.container;
  const name = state?.name ?? 'registry';
  if (c && (state || c.labels[MANAGED_LABEL] === 'true')) {
    actions.push({ kind: 'container', op: 'remove', argv: ['docker', 'rm', '-f', name], why: 'remove the registry container' });
  }
  let daemon: DaemonOutcome = 'none';
  const byMethod = new Map<MethodName, string[]>();
  for (const a of state?.added ?? []) byMethod.set(a.method, [...(byMethod.get(a.method) ?? []), a.entry]);
  for (const [method, entries] of byMethod) {
    // A method this host no longer reads (DOCKER_OPTS under docker-ce's unit): its files are edited, dockerd left alone.
    if (METHODS[method].unusable(facts) !== null) {
      actions.push(...(METHODS[method].forget?.(facts, templates, entries) ?? []));
      continue;
    }
    const trust = planTrust(facts, templates, { method, add: [], remove: entries });
    actions.push(...trust.writes);
    // One daemon operation, the strongest any method needs.
    if (rank(trust.outcome) > rank(daemon)) {
      for (let i = actions.length - 1; i >= 0; i--) if (actions[i]!.kind === 'daemon') actions.splice(i, 1);
      actions.push(...trust.daemon);
      daemon = trust.outcome;
    }
    notes.push(...trust.notes);
  }
  // With dockerd down its containers are not known, and the registry (restart always) would come
  // back with dockerd: dockerd is started, and the recorded container removed, before anything else goes.
  if (state && facts.docker.installed && !facts.docker.running) {
    if (daemon !== 'start') {
      const start = planDaemonOnly(facts, []);
      actions.push(...start.daemon);
      daemon = start.outcome;
    }
    actions.push({ kind: 'container', op: 'remove', argv: ['docker', 'rm', '-f', name], why: 'remove the registry container, if it is there (dockerd was down: it would have started it again)' });
  }
  if (state?.tls) {
    const alias = certsDirAliasCa(entryOf(state));
    if (facts.tls?.certsD != null) actions.push({ kind: 'remove-path', path: certsDirCa(entryOf(state)), why: "Docker stops trusting the registry's CA" });
    if (alias && facts.tls?.certsDAlias != null) actions.push({ kind: 'remove-path', path: alias, why: "Docker stops trusting the registry's CA (by its name without port 443)" });
    if (opts.purge) for (const dir of [CA_DIR, TLS_DIR, AUTH_DIR]) actions.push({ kind: 'remove-path', path: dir, why: '--purge: delete the CA, the certificate and the password file' });
    else kept.push(`the CA, certificate and password file in ${CA_DIR}, ${TLS_DIR}, ${AUTH_DIR} (delete them with --purge)`);
  }
  if (state) {
    // Written ahead by a change of address or port that was cut short.
    const current = state.tls ? certsDirCas(entryOf(state)) : [];
    for (const path of facts.tls?.recordedCas ?? []) if (!current.includes(path)) actions.push({ kind: 'remove-path', path, why: 'Docker stops trusting the CA an install cut short put here' });
    const why = '--purge: delete the pushed images';
    // Only the registry's own tree goes: a data directory taken over or given may hold other things too.
    const dir = state.dataDir.replace(/\/+$/, '');
    const registryFiles: RemovePath = { kind: 'remove-path', path: `${dir}/docker/registry`, thenIfEmpty: [`${dir}/docker`, ...(dir ? [dir] : [])], why };
    if (opts.purge) actions.push(isVolume(state.dataDir) ? { kind: 'container', op: 'remove-volume', argv: ['docker', 'volume', 'rm', state.dataDir], why } : registryFiles);
    // A volume no container uses is what `docker volume prune` deletes: the operator should know.
    else kept.push(`the registry's data in ${describeDataDir(state.dataDir)} (delete it with --purge${isVolume(state.dataDir) ? '; unused now, so `docker volume prune` would delete it too' : ''})`);
    actions.push({ kind: 'remove-path', path: STATE_FILE, why: 'forget the install' });
  }
  return { actions, notes, daemon, kept };
}

function rank(o: DaemonOutcome): number {
  return ['none', 'reload', 'restart', 'start'].indexOf(o);
}
