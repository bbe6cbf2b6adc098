import { HostRefusal } from '../../errors.js';
import { endsInBareInsecureFlag, insecureFlagSpans, insecureRegistryFlags } from '../../formats/dockerd-flags.js';
import { appendToVariable, removeEmptyCommentedAssignments, removeFromVariable } from '../../formats/env-file.js';
import { variableAsRead } from '../../knowledge/service-managers.js';
import { insecureRegistriesOf } from '../../formats/daemon-json.js';
import type { HostFacts } from '../../facts/types.js';
import type { FileChange } from '../actions.js';
import type { Templates } from '../../templates.js';
import type { MethodName, TrustChange, TrustMethod, TrustRequest } from './types.js';

/**
 * Trust by `--insecure-registry` flags in a shell variable file that dockerd's start-up reads:
 * DOCKER_OPTS in /etc/default/docker (Debian/Ubuntu init scripts and docker.io unit), or
 * INSECURE_REGISTRY in /etc/sysconfig/docker (Red Hat's docker 1.13 unit).
 */
/** Written above a line this tool adds whole, so that line goes whole once its last flag goes (not left as `NAME=""`). */
const ADDED_LINE = '# Added by setup-registry: the line below goes when its last --insecure-registry flag does.';

function envFlagMethod(name: MethodName, file: string, variable: string): TrustMethod {
  /**
   * The file's new text once flags are taken out: the line this tool added goes once it is empty,
   * and the file, when this tool wrote it and nothing else is left in it (null).
   */
  const tidied = (text: string, templates: Templates): string | null => {
    const after = removeEmptyCommentedAssignments(text, variable, file, ADDED_LINE);
    return after === templates.envFileHeader ? null : after;
  };
  const change = (before: string | null, after: string | null, why: string): FileChange =>
    after === null ? { kind: 'remove-path', path: file, why: `${why}; nothing else was in the file, which setup-registry wrote: it goes` } : { kind: 'write-file', path: file, before, after, mode: 0o644, why };
  const readsIt = (facts: HostFacts) => {
    if (facts.init === 'sysvinit') return facts.distro.knowledge.envFile === file;
    const loaded = facts.startup.service?.environmentFiles.some((f) => f.path === file);
    const exec = facts.startup.service?.execStart ?? '';
    return Boolean(loaded && (exec.includes(`$${variable}`) || exec.includes(`\${${variable}}`)));
  };
  const valueIn = (facts: HostFacts, text: string | null | undefined) => (text == null ? '' : (variableAsRead(text, variable, file, facts.init) ?? ''));
  const current = (facts: HostFacts) => valueIn(facts, facts.startup.envFiles[file]);
  return {
    name,
    unusable(facts) {
      if (readsIt(facts)) return null;
      return facts.init === 'systemd'
        ? `${facts.startup.unit} does not read ${variable} from ${file} (the unit's ExecStart does not use it; moby#23040), so a flag there would be ignored`
        : `this host's docker init script does not read ${file}`;
    },
    configured: (facts) => insecureRegistryFlags(current(facts)),
    forget(facts, templates, entries) {
      const before = facts.startup.envFiles[file];
      if (before == null) return [];
      let after: string | null;
      try {
        after = tidied(removeFromVariable(before, variable, file, (v) => insecureFlagSpans(v, entries)), templates);
      } catch {
        return []; // a flag written with quotes inside: left as it is, unread
      }
      return after === before ? [] : [change(before, after, `take ${entries.join(', ')} out of ${variable}, which dockerd no longer reads: left, it would clash with daemon.json should it be read again`)];
    },
    plan({ facts, templates, add, remove }: TrustRequest): TrustChange {
      const inFile = facts.daemonJson.config ? insecureRegistriesOf(facts.daemonJson.config) : [];
      if (inFile.length > 0 && add.length > 0) {
        throw new HostRefusal(`${facts.daemonJson.path} already lists insecure-registries; adding a flag too would stop dockerd from starting (docker/for-linux#327). Use --method daemon-json`);
      }
      const before = facts.startup.envFiles[file] ?? null;
      // Edited as written (a `$DOCKER_OPTS` in it, quotes, comments stay); the value is read back as dockerd's start-up reads it.
      let after = removeFromVariable(before ?? templates.envFileHeader, variable, file, (v) => insecureFlagSpans(v, remove));
      if (add.length && endsInBareInsecureFlag(valueIn(facts, after))) {
        throw new HostRefusal(`${variable} in ${file} ends in --insecure-registry with no registry after it, which dockerd refuses ("flag needs an argument"), and a flag added after it would become its value; finish or remove it by hand, then run again`);
      }
      for (const entry of add) if (!insecureRegistryFlags(valueIn(facts, after)).includes(entry)) after = appendToVariable(after, variable, `--insecure-registry ${entry}`, file, ADDED_LINE);
      const value = valueIn(facts, after);
      if (value === current(facts)) return { writes: [], effect: 'none', unitsChanged: false, notes: [] };
      const final = add.length ? after : tidied(after, templates);
      return {
        writes: [change(before, final, value ? `set ${variable} to "${value}"` : `empty ${variable}`)],
        effect: 'restart',
        unitsChanged: false,
        notes: [`dockerd will be restarted: ${variable} in ${file} is only read when dockerd starts`],
      };
    },
  };
}

export const dockerOptsMethod = envFlagMethod('docker-opts', '/etc/default/docker', 'DOCKER_OPTS');
export const sysconfigMethod = envFlagMethod('sysconfig', '/etc/sysconfig/docker', 'INSECURE_REGISTRY');
