import { HostRefusal } from '../../errors.js';
import { insecureRegistryFlags, withInsecureRegistryFlag, withoutInsecureRegistryFlags } from '../../formats/dockerd-flags.js';
import { insecureRegistriesOf } from '../../formats/daemon-json.js';
import { effectiveService, execWords } from '../../formats/systemd-unit.js';
import type { HostFacts } from '../../facts/types.js';
import { fill, type Templates } from '../../templates.js';
import type { FileChange } from '../actions.js';
import type { TrustChange, TrustMethod, TrustRequest } from './types.js';

/** Our drop-in for the unit dockerd runs as. */
export function dropInPath(unit: string): string {
  return `/etc/systemd/system/${unit}.d/setup-registry.conf`;
}

export const DROP_IN = dropInPath('docker.service');

/**
 * Our drop-in resets ExecStart and sets the full command line: the ExecStart in force without our
 * drop-in, changed by `edit`. Returns null when the drop-in would not change. Once the command line
 * is the unit's own again, our drop-in goes: left, it would pin that ExecStart past a package
 * upgrade that changes the unit's.
 */
export function dropInWrite(facts: HostFacts, templates: Templates, why: string, edit: (execStart: string) => string): FileChange | null {
  const sources = facts.startup.unitSources;
  const path = dropInPath(facts.startup.unit);
  const ours = sources.find((s) => s.path === path);
  const later = sources.filter((s) => s.path.includes('.service.d/') && s.path.split('/').pop()! > 'setup-registry.conf');
  const base = effectiveService(sources.filter((s) => s !== ours && !later.includes(s))).execStart;
  if (!base) throw new HostRefusal(`${facts.startup.unit} has no ExecStart to extend`);
  if (effectiveService(later).execStart) {
    throw new HostRefusal(`${later.map((s) => s.path).join(', ')} sets ExecStart after ${path}, so a drop-in of ours would not take effect`);
  }
  const execStart = edit(base);
  if (execWords(execStart).join(' ') === execWords(base).join(' ')) {
    return ours ? { kind: 'remove-path', path, why: `${why}: no flag is left in it, so it goes, and ${facts.startup.unit}'s own ExecStart is in force again` } : null;
  }
  const after = fill(templates.systemdDropIn, { why, execStart });
  if (ours?.text === after) return null;
  return { kind: 'write-file', path, before: ours?.text ?? null, after, mode: 0o644, why };
}

/**
 * Our drop-in pins a copy of the unit's ExecStart: when a package upgrade changes the unit's (a
 * new flag, another path to dockerd), dockerd still starts as the copy says. That copy, and the
 * unit's ExecStart now, when they differ in more than our flags; else null.
 */
export function staleDropIn(facts: HostFacts): { path: string; runs: string; unitHas: string } | null {
  const sources = facts.startup.unitSources;
  const path = dropInPath(facts.startup.unit);
  const ours = sources.find((s) => s.path === path);
  if (!ours) return null;
  const runs = effectiveService([ours]).execStart;
  const unitHas = effectiveService(sources.filter((s) => s !== ours)).execStart;
  if (!runs || !unitHas || effectiveService(sources).execStart !== runs) return null;
  const withoutOurs = (exec: string) => execWords(withoutInsecureRegistryFlags(exec, insecureRegistryFlags(ours.text))).join(' ');
  return withoutOurs(runs) === withoutOurs(unitHas) ? null : { path, runs, unitHas };
}

export const systemdDropInMethod: TrustMethod = {
  name: 'systemd-dropin',
  unusable: (facts) => (facts.init !== 'systemd' ? 'this host does not run systemd' : facts.startup.unitSources.length === 0 ? `no ${facts.startup.unit} unit found` : null),
  configured: (facts) => insecureRegistryFlags(facts.startup.unitSources.find((s) => s.path === dropInPath(facts.startup.unit))?.text ?? ''),
  plan({ facts, templates, add, remove }: TrustRequest): TrustChange {
    const inFile = facts.daemonJson.config ? insecureRegistriesOf(facts.daemonJson.config) : [];
    if (inFile.length > 0 && add.length > 0) {
      throw new HostRefusal(`${facts.daemonJson.path} already lists insecure-registries; a flag too would stop dockerd from starting (docker/for-linux#327). Use --method daemon-json`);
    }
    const wanted = [...new Set([...systemdDropInMethod.configured(facts).filter((e) => !remove.includes(e)), ...add])];
    const write = dropInWrite(facts, templates, 'trust the private registry by dockerd flags', (exec) => {
      let line = withoutInsecureRegistryFlags(exec, remove);
      for (const entry of wanted) line = withInsecureRegistryFlag(line, entry);
      return line;
    });
    if (!write) return { writes: [], effect: 'none', unitsChanged: false, notes: [] };
    return {
      writes: [write],
      effect: 'restart',
      unitsChanged: true,
      notes: ['dockerd will be restarted: ExecStart flags are only read when dockerd starts (after systemctl daemon-reload)'],
    };
  },
};
