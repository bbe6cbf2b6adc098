import { HostRefusal } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { managerOf } from '../knowledge/service-managers.js';
import type { Templates } from '../templates.js';
import type { DaemonAction, FileChange } from './actions.js';
import { chooseMethod } from './trust/index.js';
import { configuredEntries, trustedLive, withReadableDaemonJson } from './trust/daemon-json.js';
import { flagSources, unexpandedReferences } from './trust/flag-sites.js';
import { apiOutOfReach, flagConflicts, misreadKeys, type FlagConflict } from '../knowledge/dockerd-options.js';
import { INSECURE_KEY } from '../formats/daemon-json.js';
import type { MethodName, TrustMethod } from './trust/types.js';

export type DaemonOutcome = 'none' | 'reload' | 'restart' | 'start';

export interface TrustPlan {
  method: TrustMethod;
  writes: FileChange[];
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
  // Taken out of every file, yet still live: a run cut short between its write and the reload or restart.
  const onCommandLine = facts.startup.flagSites.filter((s) => s.kind === 'command-line').flatMap((s) => s.registries);
  const stillLive = req.remove.filter((e) => facts.docker.liveInsecure?.registries.includes(e) && !configuredEntries(facts).includes(e));
  if (effect === 'none' && facts.docker.running && (notLive.length > 0 || stillLive.length > 0)) {
    // A flag on the running command line goes only with a restart, which reads the files again.
    effect = method.name === 'daemon-json' && !stillLive.some((e) => onCommandLine.includes(e)) ? 'reload' : 'restart';
    const how = effect === 'reload' ? 'reloaded' : 'restarted';
    if (notLive.length) notes.push(`${notLive.join(', ')} configured but not live in dockerd: it will be ${how}`);
    if (stillLive.length) notes.push(`${stillLive.join(', ')} no longer configured but still live in dockerd (an earlier run cut short?): it will be ${how}`);
  }
  const { daemon, outcome } = daemonActions(facts, effect, change.unitsChanged);
  notes.push(...refuseWhatDockerdRejects(facts, outcome));
  return { method, writes: withReadableDaemonJson(facts, change.writes), daemon, outcome, notes };
}

/** No trust change (a TLS registry is trusted through certs.d): only start dockerd when it is down. */
export function planDaemonOnly(facts: HostFacts, notes: string[]): TrustPlan {
  refuseUnknownDaemon(facts);
  const actions = daemonActions(facts, 'none', false);
  return { method: chooseMethod(facts, 'auto'), writes: withReadableDaemonJson(facts, []), ...actions, notes: [...notes, ...refuseWhatDockerdRejects(facts, actions.outcome)] };
}

/** Without dockerd's answers a plan would start a dockerd that may well be running: no plan at all. */
function refuseUnknownDaemon(facts: HostFacts): void {
  if (facts.docker.podman) {
    throw new HostRefusal(
      'the docker command here is Podman (podman-docker), which has no dockerd to trust a registry: install Docker (docker-ce from Docker\'s repository, or moby-engine on Fedora) and run again; Podman itself reads /etc/containers/registries.conf',
    );
  }
  if (facts.docker.denied) throw new HostRefusal(`cannot ask dockerd: its socket is not open to this user (${facts.docker.error}); run as root (for --dry-run, membership of the docker group will do)`);
  // Running, but out of reach: a start would change nothing, and the wait for it would time out.
  const outOfReach = !facts.docker.running && facts.docker.pid !== null ? apiOutOfReach(facts.docker.pid, facts.docker.argv, facts.daemonJson.config, facts.daemonJson.path) : null;
  if (outOfReach) throw new HostRefusal(`${outOfReach.problem}: ${outOfReach.fix}, then run again`);
}

/**
 * A directive both given as a flag and in daemon.json, or a key dockerd knows no directive for,
 * makes dockerd refuse the file: a reload then fails (and the change never takes effect), a start
 * fails (and a restart leaves dockerd down, with no earlier configuration to roll back to: the
 * fault is already in it). So a plan that needs either is refused, nothing changed; one that does
 * not gets a note. The trust's own key is left to the methods, which move the entries out of the way.
 */
function refuseWhatDockerdRejects(facts: HostFacts, outcome: DaemonOutcome): string[] {
  // A $NAME systemd passes on as it is: a start or restart would leave dockerd down.
  const unexpanded = unexpandedReferences(facts);
  if (unexpanded.length && (outcome === 'start' || outcome === 'restart')) {
    throw new HostRefusal(`dockerd cannot ${outcome === 'start' ? 'start' : 'restart'} as this host starts it: ${unexpanded[0]!.problem}; ${unexpanded[0]!.fix}, then run again`);
  }
  const config = facts.daemonJson.config;
  const conflictsAt = (at: 'reload' | 'start') => flagConflicts(flagSources(facts, at), config).filter((c) => c.key !== INSECURE_KEY);
  const describe = (cs: FlagConflict[]) => cs.map((c) => `"${c.key}" is in ${facts.daemonJson.path} and also given as ${c.flag} (${c.where})`).join('; ');
  const when = outcome === 'start' ? 'dockerd cannot start' : `dockerd would refuse its configuration at the ${outcome} this needs`;
  const since = (what: string) => (outcome === 'start' ? '' : `, and runs now only because it has not re-read ${what} since it started`);
  const fatal = outcome === 'none' ? [] : conflictsAt(outcome === 'reload' ? 'reload' : 'start');
  if (fatal.length > 0) throw new HostRefusal(`${when}: ${describe(fatal)}${since('them')}; keep one of the two, then run again`);
  // A key dockerd knows no directive for makes it refuse the whole file, at every start and reload alike.
  const unknown = misreadKeys(config).filter((m) => m.dockerd === 'refuses');
  const named = unknown.map((m) => `"${m.key}" in ${facts.daemonJson.path} is no key dockerd knows (it means "${m.meant}")`).join('; ');
  if (unknown.length && outcome !== 'none') throw new HostRefusal(`${when}: ${named}${since('the file')}; rename it, then run again`);
  const latent = conflictsAt('start');
  return [
    ...(latent.length ? [`${describe(latent)}: dockerd will refuse to start at its next restart or boot; keep one of the two`] : []),
    ...(unknown.length ? [`${named}: dockerd will refuse to start at its next restart or boot; rename it`] : []),
    ...unexpanded.map((u) => `${u.problem}, at its next restart or boot; ${u.fix}`),
  ];
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
    // One that runs and does not answer yet is most likely still starting (loading its containers): a start waits for it.
    const why = facts.docker.pid !== null ? `dockerd (pid ${facts.docker.pid}) runs but does not answer yet (still starting?): started (nothing to do if it runs), then waited for` : 'dockerd is not running';
    daemon.push({ kind: 'daemon', op: 'start', via: manager.start(), why, logs: manager.logs() });
  } else if (effect === 'restart') {
    outcome = 'restart';
    // docker.service allows 3 starts a minute (StartLimitBurst): a provisioning pass that trusts registries one by one would hit it.
    const clear = manager.clearFailure();
    if (clear) daemon.push({ kind: 'daemon', op: 'clear-failure', via: clear, why: `systemd refuses to start ${facts.startup.unit} once it has started StartLimitBurst times within StartLimitInterval (3 in 60 s in Docker's units): the count is reset, so that this restart is not taken for a crash loop` });
    daemon.push({ kind: 'daemon', op: 'restart', via: manager.restart(), why: 'flags are read only at start', logs: manager.logs() });
  } else if (effect === 'reload') {
    const via = manager.reload(facts.docker.pid);
    outcome = via ? 'reload' : 'restart';
    daemon.push(
      via
        ? // A refused reload leaves only a log line: enough of the log to find it.
          { kind: 'daemon', op: 'reload', via, why: 'dockerd re-reads daemon.json on SIGHUP; running containers are not touched', logs: manager.logs(200) }
        : { kind: 'daemon', op: 'restart', via: manager.restart(), why: 'the running dockerd was not found to signal' },
    );
  }
  return { daemon, outcome };
}

/** A --restart always container only comes back after a reboot if dockerd starts at boot. */
export function enableAtBoot(facts: HostFacts): DaemonAction[] {
  const enable = managerOf(facts).enableAtBoot();
  const service = facts.init === 'systemd' ? facts.startup.unit : '/etc/init.d/docker';
  return enable && facts.startup.unitEnabled === false
    ? [{ kind: 'daemon', op: 'enable', via: enable, why: `a --restart always registry only comes back after a reboot if ${service} starts at boot` }]
    : [];
}
