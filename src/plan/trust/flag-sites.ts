import type { FlagSite, HostFacts } from '../../facts/types.js';
import type { FileChange } from '../actions.js';
import { removeFromVariable, sourcedVariable } from '../../formats/env-file.js';
import { flagWords, insecureFlagSpans, withoutInsecureRegistryFlags } from '../../formats/dockerd-flags.js';
import { execWords } from '../../formats/systemd-unit.js';
import type { Templates } from '../../templates.js';
import { dropInWrite } from './systemd-dropin.js';

/** Sites in files dockerd reads whose --insecure-registry flags are in force. */
export function effectiveFileSites(facts: HostFacts): FlagSite[] {
  return facts.startup.flagSites.filter((s) => s.effective && s.kind !== 'command-line' && s.registries.length > 0);
}

/**
 * Where dockerd's flags come from: its running command line is what a reload checks daemon.json
 * against; a start or restart reads the unit's ExecStart and the variables it expands (the running
 * command line counts too: it holds what the init script adds on its own).
 */
export function flagSources(facts: HostFacts, at: 'reload' | 'start'): { words: string[]; where: string }[] {
  const running = facts.docker.argv ? [{ words: facts.docker.argv, where: "the running dockerd's command line" }] : [];
  if (at === 'reload') return running;
  const files = facts.startup.flagSites
    .filter((s) => s.effective && s.kind !== 'command-line')
    .map((s) =>
      s.kind === 'exec-start'
        ? { words: execWords(s.value), where: `ExecStart in ${s.file}` }
        : { words: flagWords(s.value), where: `${s.variable} in ${s.file}` },
    );
  return [...files, ...running];
}

/**
 * A `$NAME` in an environment file systemd reads reaches dockerd as it is written: EnvironmentFile=
 * expands nothing (the shell's `DOCKER_OPTS="$DOCKER_OPTS ..."` of the blog posts is for init
 * scripts), and dockerd refuses to start on the word ("accepts no argument(s)"). The fix names the
 * line the shell would have made of it, when that can be written plainly.
 */
export function unexpandedReferences(facts: HostFacts): { problem: string; fix: string }[] {
  if (facts.init !== 'systemd') return [];
  return facts.startup.flagSites.flatMap((s) => {
    const reference = s.kind === 'env-var' && s.effective ? /\$\{?[A-Za-z_][A-Za-z0-9_]*\}?/.exec(s.value)?.[0] : undefined;
    if (!reference || !s.file || !s.variable) return [];
    const meant = meantValue(facts.startup.envFiles[s.file] ?? '', s.variable, s.file);
    return [
      {
        problem: `${s.variable} in ${s.file} holds ${reference}, which systemd does not expand (EnvironmentFile= takes $ literally): dockerd gets "${reference}" as an argument and will not start ("accepts no argument(s)")`,
        fix: `write ${s.variable}'s options out in one assignment in ${s.file}, without ${reference}${meant === null ? '' : `: ${s.variable}="${meant}"`}`,
      },
    ];
  });
}

/** What the shell would have made of the variable, when it holds nothing that needs quoting in "..."; else null. */
function meantValue(text: string, variable: string, file: string): string | null {
  try {
    const value = sourcedVariable(text, variable, file) ?? '';
    return /["\\$`]/.test(value) ? null : value.trim().replace(/\s+/g, ' ');
  } catch {
    return null;
  }
}

export function registriesInFlags(facts: HostFacts): string[] {
  return unique(effectiveFileSites(facts).flatMap((s) => s.registries));
}

/**
 * Edits that take every --insecure-registry flag out of the files dockerd reads, keeping every
 * other flag. Used to move them into daemon.json (dockerd refuses the same directive in both).
 */
export function removeAllFlags(facts: HostFacts, templates: Templates): FileChange[] {
  const writes: FileChange[] = [];
  for (const site of effectiveFileSites(facts)) {
    if (site.kind === 'env-var' && site.file && site.variable) {
      const before = facts.startup.envFiles[site.file]!;
      const after = removeFromVariable(before, site.variable, site.file, (value) => insecureFlagSpans(value));
      writes.push({ kind: 'write-file', path: site.file, before, after, mode: 0o644, why: `move --insecure-registry flags from ${site.variable} into daemon.json` });
    } else if (site.kind === 'exec-start') {
      const w = dropInWrite(facts, templates, 'ExecStart without --insecure-registry flags, which now live in daemon.json', (exec) =>
        execWords(exec).length ? withoutInsecureRegistryFlags(exec) : exec,
      );
      if (w) writes.push(w);
    }
  }
  return writes;
}

export function unique<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}
