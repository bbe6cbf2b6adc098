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

/** The trust key in the spellings people write it in: dockerd knows no such directive, and refuses the whole file. */
const REFUSED_SPELLINGS: Readonly<Record<string, string>> = { insecure_registries: 'insecure-registries', insecureRegistries: 'insecure-registries' };

export interface MisreadKey {
  key: string;
  /** the key dockerd reads for it */
  meant: string;
  /**
   * ignores: a list option under its flag's name (`insecure-registry`, `registry-mirror`): dockerd
   * checks a file's keys against its flags' names, so it starts and reloads, and never reads the
   * value. refuses: no directive of that name ("the following directives don't match any
   * configuration option"): dockerd neither starts nor reloads with the file.
   */
  dockerd: 'ignores' | 'refuses';
}

/** daemon.json keys dockerd does not read as meant (seen on dockerd 20.10). */
export function misreadKeys(config: DaemonConfig | null): MisreadKey[] {
  return Object.keys(config ?? {}).flatMap((key): MisreadKey[] => {
    if (key in REFUSED_SPELLINGS) return [{ key, meant: REFUSED_SPELLINGS[key]!, dockerd: 'refuses' }];
    const plural = KEY_OF_FLAG[key];
    return plural && plural !== key ? [{ key, meant: plural, dockerd: 'ignores' }] : [];
  });
}

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

/** Where dockerd serves its API unless told otherwise, and where systemd's docker.socket (`-H fd://`) listens. */
export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/**
 * The addresses dockerd serves its API on: its -H/--host flags (`-H X`, `-H=X`, `-HX`,
 * `--host X`, `--host=X`), else the daemon.json "hosts" key (dockerd refuses both at once);
 * none given: the default socket.
 */
export function dockerdHosts(argv: readonly string[] | null, config: DaemonConfig | null): string[] {
  const flags: string[] = [];
  const words = argv ?? [];
  for (let i = 1; i < words.length; i++) {
    const w = words[i]!;
    if ((w === '-H' || w === '--host') && i + 1 < words.length) flags.push(words[++i]!);
    else if (w.startsWith('--host=')) flags.push(w.slice('--host='.length));
    else if (/^-H./.test(w)) flags.push(w.slice(w[2] === '=' ? 3 : 2));
  }
  const inFile = config?.hosts;
  const hosts = flags.length ? flags : Array.isArray(inFile) ? inFile.filter((h): h is string => typeof h === 'string') : [];
  return hosts.length ? hosts : [`unix://${DEFAULT_DOCKER_SOCKET}`];
}

/** The unix socket path of one of dockerd's API addresses, or null (tcp://, ssh://, npipe://). */
export function unixSocketOf(host: string): string | null {
  if (host === 'unix://' || host.startsWith('fd://')) return DEFAULT_DOCKER_SOCKET;
  return host.startsWith('unix://') ? host.slice('unix://'.length) : null;
}

/**
 * Why a dockerd that runs cannot be asked, and the fix: its API is on no unix socket (only
 * tcp://, say), where this tool, like the docker CLI without DOCKER_HOST, looks for it. Null when it has one.
 */
export function apiOutOfReach(pid: number, argv: readonly string[] | null, config: DaemonConfig | null, daemonJsonPath: string): { problem: string; fix: string } | null {
  const hosts = dockerdHosts(argv, config);
  if (hosts.some((h) => unixSocketOf(h) !== null)) return null;
  return {
    problem: `dockerd (pid ${pid}) serves its API only on ${hosts.join(', ')}, and setup-registry asks it over a unix socket`,
    fix: `add -H unix://${DEFAULT_DOCKER_SOCKET} to its options (or "unix://${DEFAULT_DOCKER_SOCKET}" to "hosts" in ${daemonJsonPath}), and restart it`,
  };
}
