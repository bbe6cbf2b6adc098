import type { HostFiles } from '../ports/files.js';
import type { Distro } from '../knowledge/distros.js';
import { variableAsRead, type InitSystem } from '../knowledge/service-managers.js';
import { readVariable, UnknowableValue } from '../formats/env-file.js';
import { effectiveService, execWords, referencedVariables, type UnitSource } from '../formats/systemd-unit.js';
import { insecureRegistryFlags, optionValues } from '../formats/dockerd-flags.js';
import type { FlagSite, StartupFacts } from './types.js';

// systemd's unit search path, highest precedence first.
const UNIT_DIRS = ['/etc/systemd/system', '/run/systemd/system', '/usr/local/lib/systemd/system', '/usr/lib/systemd/system', '/lib/systemd/system'];
export const UNIT = 'docker.service';
export const DEFAULT_DAEMON_JSON = '/etc/docker/daemon.json';
export const SNAP_DAEMON_JSON = '/var/snap/docker/current/config/daemon.json';

/** Reads the unit with its drop-ins the way systemd merges them. */
export async function readUnitSources(files: HostFiles, name = UNIT): Promise<UnitSource[]> {
  let unit: UnitSource | null = null;
  for (const dir of UNIT_DIRS) {
    const text = await files.read(`${dir}/${name}`);
    if (text !== null) {
      unit = { path: `${dir}/${name}`, text };
      break;
    }
  }
  // A drop-in name in an earlier directory masks the same name in later ones; all apply in name order.
  const dropIns = new Map<string, string>();
  for (const dir of UNIT_DIRS) {
    for (const conf of await files.list(`${dir}/${name}.d`)) {
      if (conf.endsWith('.conf') && !dropIns.has(conf)) dropIns.set(conf, `${dir}/${name}.d/${conf}`);
    }
  }
  const ordered = [...dropIns.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const sources: UnitSource[] = unit ? [unit] : [];
  for (const [, p] of ordered) sources.push({ path: p, text: (await files.read(p)) ?? '' });
  return sources;
}

/** Facts are gathered for check too: a value the shell makes with a command is taken as written here, and refused where a plan needs it. */
function readForFacts(text: string, name: string, file: string, init: InitSystem): string | undefined {
  try {
    return variableAsRead(text, name, file, init);
  } catch (err) {
    if (err instanceof UnknowableValue) return readVariable(text, name, file);
    throw err;
  }
}

export async function startupFacts(files: HostFiles, init: InitSystem, distro: Distro, argv: string[] | null, unit = UNIT): Promise<StartupFacts> {
  const unitSources = init === 'systemd' ? await readUnitSources(files, unit) : [];
  const service = unitSources.length > 0 ? effectiveService(unitSources) : null;
  const envPaths = new Set<string>();
  if (distro.knowledge.envFile) envPaths.add(distro.knowledge.envFile);
  for (const f of service?.environmentFiles ?? []) envPaths.add(f.path);
  const envFiles: Record<string, string | null> = {};
  await Promise.all([...envPaths].map(async (p) => (envFiles[p] = await files.read(p))));

  const flagSites: FlagSite[] = [];
  const sitesOf = (file: string, variable: string, effective: boolean) => {
    const text = envFiles[file];
    const value = text == null ? undefined : readForFacts(text, variable, file, init);
    if (value !== undefined) flagSites.push({ kind: 'env-var', file, variable, value, registries: insecureRegistryFlags(value), effective });
  };

  if (service) {
    const exec = service.execStart ?? '';
    flagSites.push({ kind: 'exec-start', file: service.execStartFrom, variable: null, value: exec, registries: insecureRegistryFlags(execWords(exec).join(' ')), effective: true });
    const loaded = service.environmentFiles.map((f) => f.path);
    const used = referencedVariables(exec);
    for (const variable of used) {
      // The last environment file that sets the variable is the one in force.
      const from = [...loaded].reverse().find((f) => envFiles[f] != null && readForFacts(envFiles[f]!, variable, f, init) !== undefined);
      if (from) sitesOf(from, variable, true);
    }
    const { envFile, optionsVariable } = distro.knowledge;
    if (envFile && optionsVariable && !(loaded.includes(envFile) && used.includes(optionsVariable))) sitesOf(envFile, optionsVariable, false);
  } else if (distro.knowledge.envFile && distro.knowledge.optionsVariable) {
    sitesOf(distro.knowledge.envFile, distro.knowledge.optionsVariable, init === 'sysvinit');
  }
  if (argv) flagSites.push({ kind: 'command-line', file: null, variable: null, value: argv.join(' '), registries: optionValues(argv, ['--insecure-registry']), effective: true });

  const bootLinks = init === 'sysvinit' ? await sysvBootLinks(files) : null;
  const unitEnabled = init === 'systemd' ? await isEnabled(files, unit) : bootLinks === null ? null : bootLinks === 'start';
  return { unit, unitSources, service, unitEnabled, bootLinks, envFiles, flagSites };
}

/**
 * Whether the init script starts dockerd in the default runlevel (/etc/inittab's initdefault,
 * Debian's 2 without one): an S link in its rc directory, a K link where `update-rc.d docker
 * disable` left it, or none. null without /etc/init.d/docker: dockerd starts some other way.
 */
async function sysvBootLinks(files: HostFiles): Promise<StartupFacts['bootLinks']> {
  if (!(await files.exists('/etc/init.d/docker'))) return null;
  const runlevel = /^[^#:]*:(\d):initdefault:/m.exec((await files.read('/etc/inittab')) ?? '')?.[1] ?? '2';
  const links = (await files.list(`/etc/rc${runlevel}.d`)).filter((l) => /^[SK]\d\ddocker$/.test(l));
  return links.some((l) => l.startsWith('S')) ? 'start' : links.length ? 'stop' : 'none';
}

async function isEnabled(files: HostFiles, unit: string): Promise<boolean> {
  for (const target of ['multi-user.target', 'default.target', 'graphical.target']) {
    if (await files.exists(`/etc/systemd/system/${target}.wants/${unit}`)) return true;
  }
  return false;
}

/** The daemon.json dockerd actually reads: --config-file wherever it is given, the snap's, or the default. */
export function daemonJsonPath(argv: string[] | null, startup: Pick<StartupFacts, 'flagSites'>): string {
  const fromArgv = argv ? optionValues(argv, ['--config-file']).at(-1) : undefined;
  if (fromArgv) return fromArgv;
  for (const site of startup.flagSites) {
    if (!site.effective || site.kind === 'command-line') continue;
    const words = site.kind === 'exec-start' ? execWords(site.value) : site.value.split(/\s+/);
    const found = optionValues(words, ['--config-file']).at(-1);
    if (found) return found;
  }
  if (argv?.[0] && argv[0].includes('/snap/')) return SNAP_DAEMON_JSON;
  return DEFAULT_DAEMON_JSON;
}

