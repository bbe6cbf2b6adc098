import { HostRefusal } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { managerOf } from '../knowledge/service-managers.js';
import type { Templates } from '../templates.js';
import type { DaemonAction, WriteFile } from './actions.js';
import { chooseMethod } from './trust/index.js';
import { trustedLive } from './trust/daemon-json.js';
import type { MethodName, TrustMethod } from './trust/types.js';

export type DaemonOutcome = 'none' | 'reload' | 'restart' | 'start';

export interface TrustPlan {
  method: TrustMethod;
  writes: WriteFile[];
  daemon: DaemonAction[];
  outcome: DaemonOutcome;
  notes: string[];
}

/**
 * The trust part of every command that changes it (install, trust, untrust, uninstall): the file
 * edits of the chosen method, then the least disruptive daemon operation that makes them live.
 */
export function planTrust(facts: HostFacts, templates: Templates, req: { method: MethodName | 'auto'; add: string[]; remove: string[] }): TrustPlan {
  if (!facts.docker.installed) throw new Error('docker is not installed on this host (no docker command found); install Docker first (Debian/Ubuntu: apt-get install docker.io)');
  refuseUnknownDaemon(facts);
  if (facts.daemonJson.error) throw new HostRefusal(facts.daemonJson.error);
  const method = chooseMethod(facts, req.method);
  const change = method.plan({ facts, templates, add: req.add, remove: req.remove });
  const notes = [...change.notes];
  let effect = change.effect;
  const notLive = req.add.filter((e) => !trustedLive(facts.docker.liveInsecure, e));
  if (effect === 'none' && facts.docker.running && notLive.length > 0) {
    effect = method.name === 'daemon-json' ? 'reload' : 'restart';
    notes.push(`${notLive.join(', ')} configured but not live in dockerd: it will be ${effect === 'reload' ? 'reloaded' : 'restarted'}`);
  }
  const { daemon, outcome } = daemonActions(facts, effect, change.unitsChanged);
  return { method, writes: change.writes, daemon, outcome, notes };
}

/** No trust change (a TLS registry is trusted through certs.d): only start dockerd when it is down. */
export function planDaemonOnly(facts: HostFacts, notes: string[]): TrustPlan {
  refuseUnknownDaemon(facts);
  return { method: chooseMethod(facts, 'auto'), writes: [], ...daemonActions(facts, 'none', false), notes };
}

/** Without dockerd's answers a plan would start a dockerd that may well be running: no plan at all. */
function refuseUnknownDaemon(facts: HostFacts): void {
  if (facts.docker.podman) {
    throw new HostRefusal(
      'the docker command here is Podman (podman-docker), which has no dockerd to trust a registry: install Docker (docker-ce from Docker\'s repository, or moby-engine on Fedora) and run again; Podman itself reads /etc/containers/registries.conf',
    );
  }
  if (facts.docker.denied) throw new HostRefusal(`cannot ask dockerd: its socket is not open to this user (${facts.docker.error}); run as root (for --dry-run, membership of the docker group will do)`);
}

function daemonActions(facts: HostFacts, effect: 'none' | 'reload' | 'restart', unitsChanged: boolean): { daemon: DaemonAction[]; outcome: DaemonOutcome } {
  const manager = managerOf(facts);
  const daemon: DaemonAction[] = [];
  const unitReload = manager.reloadUnits();
  if (unitsChanged && unitReload) daemon.push({ kind: 'daemon', op: 'unit-reload', via: unitReload, why: 'systemd re-reads the changed docker.service drop-in' });
  let outcome: DaemonOutcome = 'none';
  if (!facts.docker.running) {
    outcome = 'start';
    const clear = manager.clearFailure();
    if (clear) daemon.push({ kind: 'daemon', op: 'clear-failure', via: clear, why: 'a docker.service that failed to start is refused until reset' });
    daemon.push({ kind: 'daemon', op: 'start', via: manager.start(), why: 'dockerd is not running', logs: manager.logs });
  } else if (effect === 'restart') {
    outcome = 'restart';
    daemon.push({ kind: 'daemon', op: 'restart', via: manager.restart(), why: 'flags are read only at start', logs: manager.logs });
  } else if (effect === 'reload') {
    const via = manager.reload(facts.docker.pid);
    outcome = via ? 'reload' : 'restart';
    daemon.push(
      via
        ? { kind: 'daemon', op: 'reload', via, why: 'dockerd re-reads daemon.json on SIGHUP; running containers are not touched' }
        : { kind: 'daemon', op: 'restart', via: manager.restart(), why: 'the running dockerd was not found to signal' },
    );
  }
  return { daemon, outcome };
}

/** Under systemd, a --restart always container only comes back after a reboot if docker.service starts at boot. */
export function enableAtBoot(facts: HostFacts): DaemonAction[] {
  const enable = managerOf(facts).enableAtBoot();
  return enable && facts.startup.unitEnabled === false
    ? [{ kind: 'daemon', op: 'enable', via: enable, why: 'a --restart always registry only comes back after a reboot if docker.service starts at boot' }]
    : [];
}
