import { HostRefusal } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { serviceManager } from '../knowledge/service-managers.js';
import type { Templates } from '../templates.js';
import type { Action, DaemonAction } from './actions.js';
import { planContainer } from './container.js';
import { parseState, renderState, STATE_FILE, type InstallState } from './state.js';
import { chooseMethod } from './trust/index.js';
import { trustedLive } from './trust/daemon-json.js';
import type { MethodName } from './trust/types.js';
import { entryOf, type Wanted } from './wanted.js';

export type DaemonOutcome = 'none' | 'reload' | 'restart' | 'start';

export interface Plan {
  entry: string;
  method: MethodName;
  actions: Action[];
  /** Things said before applying, e.g. why dockerd must restart. */
  notes: string[];
  daemon: DaemonOutcome;
  state: InstallState;
}

/**
 * The install planner: pure, from host facts and the wanted state to the actions that converge
 * the host. Refuses (throws, nothing changed) when converging would harm the host.
 */
export function planInstall(facts: HostFacts, wanted: Wanted, templates: Templates): Plan {
  if (!facts.docker.installed) throw new Error('docker is not installed on this host (no docker command found); install Docker first (Debian/Ubuntu: apt-get install docker.io)');
  if (facts.daemonJson.error) throw new HostRefusal(facts.daemonJson.error);
  const entry = entryOf(wanted);
  if (facts.portHolder && !facts.portHolder.ours) {
    throw new HostRefusal(`port ${wanted.port} is already in use by ${facts.portHolder.description}; choose another with --port`);
  }
  const method = chooseMethod(facts, wanted.method);
  const trust = method.plan({ facts, templates, add: [entry], remove: [] });
  const notes = [...trust.notes];
  let effect = trust.effect;
  if (effect === 'none' && facts.docker.running && !trustedLive(facts, entry)) {
    effect = method.name === 'daemon-json' ? 'reload' : 'restart';
    notes.push(`${entry} is configured but not live in dockerd: it will be ${effect === 'reload' ? 'reloaded' : 'restarted'}`);
  }

  const manager = serviceManager(facts.init);
  const daemon: DaemonAction[] = [];
  const unitReload = manager.reloadUnits();
  if (trust.unitsChanged && unitReload) daemon.push({ kind: 'daemon', op: 'unit-reload', via: unitReload, why: 'systemd re-reads the changed docker.service drop-in' });
  let outcome: DaemonOutcome = 'none';
  if (!facts.docker.running) {
    outcome = 'start';
    const clear = manager.clearFailure();
    if (clear) daemon.push({ kind: 'daemon', op: 'clear-failure', via: clear, why: 'a docker.service that failed to start is refused until reset' });
    daemon.push({ kind: 'daemon', op: 'start', via: manager.start(), why: 'dockerd is not running' });
  } else if (effect === 'restart') {
    outcome = 'restart';
    daemon.push({ kind: 'daemon', op: 'restart', via: manager.restart(), why: 'flags are read only at start' });
  } else if (effect === 'reload') {
    const via = manager.reload(facts.docker.pid);
    outcome = via ? 'reload' : 'restart';
    daemon.push(
      via
        ? { kind: 'daemon', op: 'reload', via, why: 'dockerd re-reads daemon.json on SIGHUP; running containers are not touched' }
        : { kind: 'daemon', op: 'restart', via: manager.restart(), why: 'the running dockerd was not found to signal' },
    );
  }
  const enable = manager.enableAtBoot();
  if (enable && facts.startup.unitEnabled === false) {
    daemon.push({ kind: 'daemon', op: 'enable', via: enable, why: 'a --restart always container only comes back after a reboot if docker.service starts at boot' });
  }

  const container = planContainer(facts.container, wanted, facts.image.present);
  // Pulling first means a missing image stops the run before any file changes.
  const pull = container.filter((a) => a.op === 'pull');
  const rest = container.filter((a) => a.op !== 'pull');

  const state = nextState(facts, wanted, method.name, entry, trust.writes.length > 0 && !method.configured(facts).includes(entry), trust.writes[0]?.path);
  const stateText = renderState(state);
  const stateWrite: Action[] =
    stateText === facts.stateText ? [] : [{ kind: 'write-file', path: STATE_FILE, before: facts.stateText, after: stateText, mode: 0o644, why: 'record what setup-registry set up (for check, repair and uninstall)' }];

  return { entry, method: method.name, actions: [...pull, ...trust.writes, ...daemon, ...rest, ...stateWrite], notes, daemon: outcome, state };
}

function nextState(facts: HostFacts, w: Wanted, method: MethodName, entry: string, addsEntry: boolean, file: string | undefined): InstallState {
  const previous = parseState(facts.stateText);
  const added = previous?.added.filter((a) => a.entry !== entry || a.method === method) ?? [];
  if (addsEntry && file && !added.some((a) => a.entry === entry && a.method === method)) added.push({ entry, method, file });
  return { version: 1, address: w.address, port: w.port, name: w.name, image: w.image, dataDir: w.dataDir, method, added };
}
