import type { OsRelease } from '../formats/os-release.js';

/**
 * Everything the tool knows about distributions, in one table. Each family says where its
 * packaged dockerd reads extra options from when it is not started by a unit that says otherwise.
 */
export type Family = 'debian' | 'rhel' | 'other';

export interface PackageTool {
  install: string[];
  refresh: string[];
  query: (pkg: string) => string[];
}

export interface FamilyKnowledge {
  family: Family;
  label: string;
  ids: readonly string[];
  /** The env file the family's init script (and Debian's docker.io unit) sources. */
  envFile: string | null;
  /** Variable in that file that carries dockerd flags. */
  optionsVariable: string | null;
  /** The package managers, preferred first (the first one this host can run is used): install (non-interactive), refresh of its package lists, and an installed package's version. */
  packages: readonly PackageTool[] | null;
  /** The distro's own package of the registry binary, for an image built without Docker Hub. */
  registryPackage: { name: string; binary: string; service: string } | null;
}

export const FAMILIES: readonly FamilyKnowledge[] = [
  { family: 'debian', label: 'Debian/Ubuntu', ids: ['debian', 'ubuntu', 'linuxmint', 'raspbian', 'pop', 'elementary', 'kali'], envFile: '/etc/default/docker', optionsVariable: 'DOCKER_OPTS',
    // A fresh cloud VM's unattended-upgrades holds dpkg's lock for minutes after boot: apt waits for it
    // (as dnf does by itself) instead of failing "Could not get lock"; apt before 1.9.11 ignores the option.
    packages: [{ install: ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'install', '-y', '--no-install-recommends'], refresh: ['apt-get', '-o', 'DPkg::Lock::Timeout=300', 'update'], query: (p) => ['dpkg-query', '-W', '-f=${Version}', p] }],
    registryPackage: { name: 'docker-registry', binary: '/usr/bin/docker-registry', service: 'docker-registry' } },
  { family: 'rhel', label: 'CentOS/RHEL', ids: ['centos', 'rhel', 'rocky', 'almalinux', 'fedora', 'amzn', 'ol', 'centos-stream'], envFile: '/etc/sysconfig/docker', optionsVariable: 'OPTIONS',
    // RHEL/CentOS 7 has yum only; from 8 on, yum is dnf under another name.
    packages: [
      { install: ['dnf', 'install', '-y'], refresh: ['dnf', 'makecache'], query: (p) => ['rpm', '-q', '--qf', '%{VERSION}-%{RELEASE}', p] },
      { install: ['yum', 'install', '-y'], refresh: ['yum', 'makecache'], query: (p) => ['rpm', '-q', '--qf', '%{VERSION}-%{RELEASE}', p] },
    ],
    registryPackage: { name: 'docker-distribution', binary: '/usr/bin/registry', service: 'docker-distribution' } },
];

export const GENERIC: FamilyKnowledge = { family: 'other', label: 'generic Linux', ids: [], envFile: null, optionsVariable: null, packages: null, registryPackage: null };

/**
 * Which package gives this host a dockerd: Debian/Ubuntu's docker.io; on the Red Hat family
 * docker-ce when Docker's repository is configured, Fedora's moby-engine, else none (RHEL 8+
 * ships podman, which has no dockerd), with the reason.
 */
export function dockerPackage(distro: Distro, hasDockerCeRepo: boolean): { name: string; why: string } | { name: null; why: string } {
  if (distro.family === 'debian') return { name: 'docker.io', why: `${distro.name} packages Docker as docker.io` };
  if (distro.family === 'rhel') {
    if (hasDockerCeRepo) return { name: 'docker-ce', why: "Docker's own repository (docker-ce.repo) is configured" };
    if (distro.id === 'fedora') return { name: 'moby-engine', why: 'Fedora packages Docker as moby-engine' };
    // Red Hat's docker 1.13, in CentOS 7's extras (its unit reads /etc/sysconfig/docker).
    if (['centos', 'rhel'].includes(distro.id) && /^7(\.|$)/.test(distro.versionId)) return { name: 'docker', why: `${distro.name} packages Docker 1.13 as docker (extras)` };
    return { name: null, why: `${distro.name} has no dockerd package of its own (podman-docker only emulates the CLI): add Docker's repository (docker-ce.repo) first` };
  }
  return { name: null, why: `no known package manager on ${distro.name}: install Docker by hand` };
}

export interface Distro {
  id: string;
  versionId: string;
  name: string;
  family: Family;
  supported: boolean;
  knowledge: FamilyKnowledge;
}

export function classifyDistro(os: OsRelease): Distro {
  const candidates = [os.id, ...os.idLike];
  const knowledge = FAMILIES.find((f) => candidates.some((c) => f.ids.includes(c))) ?? GENERIC;
  return { id: os.id, versionId: os.versionId, name: os.prettyName, family: knowledge.family, supported: knowledge !== GENERIC, knowledge };
}

/** The first of the family's package managers this host can run (the first one when none can: its failure names it). */
export function packageToolOf(distro: Distro, canRun: (command: string) => boolean): PackageTool | null {
  const tools = distro.knowledge.packages;
  return tools?.find((t) => canRun(t.install[0]!)) ?? tools?.[0] ?? null;
}
