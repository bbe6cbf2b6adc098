import type { DaemonConfig } from '../formats/daemon-json.js';

/**
 * How dockerd names its options on the command line and in daemon.json, for dockerd's own rule:
 * a directive given both as a flag and in daemon.json makes it refuse the file, at start and at
 * every reload (`findConfigurationConflicts` in moby's daemon/config). A flag's key is its long
 * name, except for the list and map options below, which dockerd names in the plural.
 */
const KEY_OF_FLAG: Readonly<Record<string, string>> = {
  host: 'hosts',
  label: 'labels',
  'insecure-registry': 'insecure-registries',
  'registry-mirror': 'registry-mirrors',
  'storage-opt': 'storage-opts',
  'exec-opt': 'exec-opts',
  'log-opt': 'log-opts',
  'dns-opt': 'dns-opts',
  'authorization-plugin': 'authorization-plugins',
  'default-ulimit': 'default-ulimits',
  'node-generic-resource': 'node-generic-resources',
  'cluster-store-opt': 'cluster-store-opts',
  'default-address-pool': 'default-address-pools',
  'add-runtime': 'runtimes',
};

/** dockerd's one-letter flags, by their long names. */
const LONG_OF_SHORT: Readonly<Record<string, string>> = { H: 'host', D: 'debug', l: 'log-level', G: 'group', s: 'storage-driver', g: 'graph', b: 'bridge', p: 'pidfile' };

/** Keys dockerd merges from both places instead of refusing them (its skipDuplicates). */
const MERGED = new Set(['runtimes']);

/** daemon.json objects read whole; the keys of any other object count as top-level keys (its configValuesSet). */
const WHOLE_OBJECTS = new Set(['cluster-store-opts', 'log-opts', 'runtimes', 'default-ulimits', 'features', 'builder']);

/** The daemon.json key of one command-line word, when the word is a dockerd flag (`--name`, `--name=value`, `-x`, `-xvalue`). */
export function keyOfFlagWord(word: string): string | null {
  const long = /^--([a-z][a-z0-9-]*)(=|$)/.exec(word)?.[1] ?? LONG_OF_SHORT[/^-([A-Za-z])/.exec(word)?.[1] ?? ''];
  return long ? (KEY_OF_FLAG[long] ?? long) : null;
}

/** The keys dockerd sees in a daemon.json: nested objects other than its map options are flattened one level. */
export function keysInFile(config: DaemonConfig | null): string[] {
  const keys: string[] = [];
  for (const [key, value] of Object.entries(config ?? {})) {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && !WHOLE_OBJECTS.has(key)) keys.push(...Object.keys(value));
    else keys.push(key);
  }
  return keys;
}

export interface FlagConflict {
  key: string;
  /** the flag as written */
  flag: string;
  /** where the flag is given, e.g. "DOCKER_OPTS in /etc/default/docker" */
  where: string;
}

/** The directives dockerd would refuse: set by one of these flag words and also in daemon.json. */
export function flagConflicts(sources: readonly { words: readonly string[]; where: string }[], config: DaemonConfig | null): FlagConflict[] {
  const inFile = new Set(keysInFile(config).filter((k) => !MERGED.has(k)));
  const found: FlagConflict[] = [];
  for (const { words, where } of sources) {
    for (const word of words) {
      const key = keyOfFlagWord(word);
      if (key && inFile.has(key) && !found.some((c) => c.key === key && c.where === where)) found.push({ key, flag: word.replace(/=.*$/, ''), where });
    }
  }
  return found;
}
