import { HostRefusal } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import type { Templates } from '../templates.js';
import type { Action, WriteFile } from './actions.js';
import { planContainer } from './container.js';
import { parseState, renderState, STATE_FILE, type InstallState } from './state.js';
import type { MethodName } from './trust/types.js';
import { enableAtBoot, planTrust, type DaemonOutcome } from './trust-plan.js';
import { entryOf, type Wanted } from './wanted.js';

export type { DaemonOutcome };

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
  const entry = entryOf(wanted);
  if (facts.portHolder && !facts.portHolder.ours) {
    throw new HostRefusal(`port ${wanted.port} is already in use by ${facts.portHolder.description}; choose another with --port`);
  }
  const trust = planTrust(facts, templates, { method: wanted.method, add: [entry], remove: [] });
  // With dockerd down, the container's state is unknown: it is planned once dockerd runs (a second pass).
  const container = facts.docker.running ? planContainer(facts.container, wanted, facts.image.present) : [];
  if (!facts.docker.running) trust.notes.push('the registry container is checked once dockerd runs again');
  // Pulling first means a missing image stops the run before any file changes.
  const pull = container.filter((a) => a.op === 'pull');
  const rest = container.filter((a) => a.op !== 'pull');

  const method = trust.method;
  const state = nextState(facts, wanted, method.name, entry, trust.writes.length > 0 && !method.configured(facts).includes(entry), trust.writes[0]);
  const stateText = renderState(state);
  const stateWrite: Action[] =
    stateText === facts.stateText ? [] : [{ kind: 'write-file', path: STATE_FILE, before: facts.stateText, after: stateText, mode: 0o644, why: 'record what setup-registry set up (for check, repair and uninstall)' }];

  return {
    entry,
    method: method.name,
    actions: [...pull, ...trust.writes, ...trust.daemon, ...enableAtBoot(facts), ...rest, ...stateWrite],
    notes: trust.notes,
    daemon: trust.outcome,
    state,
  };
}

function nextState(facts: HostFacts, w: Wanted, method: MethodName, entry: string, addsEntry: boolean, write: WriteFile | undefined): InstallState {
  const previous = parseState(facts.stateText);
  const added = previous?.added.filter((a) => a.entry !== entry || a.method === method) ?? [];
  if (addsEntry && write && !added.some((a) => a.entry === entry && a.method === method)) {
    added.push({ entry, method, file: write.path });
  }
  return { version: 1, address: w.address, port: w.port, name: w.name, image: w.image, dataDir: w.dataDir, method, added };
}
