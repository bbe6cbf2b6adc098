import type { OsRelease } from '../formats/os-release.js';

/**
 * Everything the tool knows about distributions, in one table. Each family says where its
 * packaged dockerd reads extra options from when it is not started by a unit that says otherwise.
 */
export type Family = 'debian' | 'rhel' | 'other';

export interface FamilyKnowledge {
  family: Family;
  label: string;
  ids: readonly string[];
  /** The env file the family's init script (and Debian's docker.io unit) sources. */
  envFile: string | null;
  /** Variable in that file that carries dockerd flags. */
  optionsVariable: string | null;
}

export const FAMILIES: readonly FamilyKnowledge[] = [
  { family: 'debian', label: 'Debian/Ubuntu', ids: ['debian', 'ubuntu', 'linuxmint', 'raspbian', 'pop', 'elementary', 'kali'], envFile: '/etc/default/docker', optionsVariable: 'DOCKER_OPTS' },
  { family: 'rhel', label: 'CentOS/RHEL', ids: ['centos', 'rhel', 'rocky', 'almalinux', 'fedora', 'amzn', 'ol', 'centos-stream'], envFile: '/etc/sysconfig/docker', optionsVariable: 'OPTIONS' },
];

export const GENERIC: FamilyKnowledge = { family: 'other', label: 'generic Linux', ids: [], envFile: null, optionsVariable: null };

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
