/**
 * What the planner hands to the executor. Actions are data: a plan can be printed (`--dry-run`),
 * serialised (`--json`) and tested without touching a host.
 */
export type Action = WriteFile | DaemonAction | ContainerAction | RemovePath | PackageAction | ImageAction | TlsAction;

export interface WriteFile {
  kind: 'write-file';
  path: string;
  /** null when the file does not exist yet */
  before: string | null;
  after: string;
  mode: number;
  why: string;
  /**
   * For a rollback that a reload alone cannot undo: dockerd ignores keys absent from daemon.json
   * on SIGHUP, so putting back a file without `insecure-registries` would leave the new entries
   * live. The rollback first makes `text` live (the old file with an explicit list), waits until
   * `dropped` are no longer live, then puts back the exact old file.
   */
  rollbackVia?: { text: string; dropped: string[] };
  /** A key or password file: its contents are never shown in a plan, a diff or JSON. */
  secret?: boolean;
}

/** TLS material made with openssl on the host: the tool's CA, a server certificate it signs, the CA copied where Docker reads it. */
export type TlsAction =
  | { kind: 'tls'; op: 'create-ca'; commonName: string; why: string }
  | { kind: 'tls'; op: 'issue-cert'; sans: string[]; why: string }
  | { kind: 'tls'; op: 'install-ca'; to: string; why: string };

/** A change to one file: written, or (our own drop-in, once it says nothing) removed. */
export type FileChange = WriteFile | RemovePath;

/** Deletes a file or a directory tree (uninstall: the state file; with --purge, the data). Cannot be rolled back, so it runs last. */
export interface RemovePath {
  kind: 'remove-path';
  path: string;
  why: string;
  /** Directories removed afterwards only when nothing else is left in them, innermost first. */
  thenIfEmpty?: string[];
}

/** Installs distro packages; when the install fails (stale package lists), refreshes them and tries once more. Not rolled back. */
export interface PackageAction {
  kind: 'package';
  packages: string[];
  install: string[];
  refresh: string[] | null;
  /** Commands to run after the install (e.g. stop a service the package started that we only wanted the binary of). */
  after: string[][];
  why: string;
}

/** A registry image made available without Docker Hub: loaded from an archive, or built from the distro's registry binary. */
export type ImageAction =
  | { kind: 'image'; op: 'load'; archive: string; argv: string[]; why: string }
  | { kind: 'image'; op: 'build'; tag: string; binary: string; source: string; why: string };

/** How a daemon operation is carried out on this host: a command, or a signal to the daemon's pid. */
export type Invocation = { argv: string[] } | { signal: 'SIGHUP'; pid: number };

export interface DaemonAction {
  kind: 'daemon';
  op: 'reload' | 'restart' | 'start' | 'clear-failure' | 'unit-reload' | 'enable';
  via: Invocation;
  why: string;
  /** Prints dockerd's last log lines (journalctl, or /var/log/docker.log): why it did not come up, or refused a reload. */
  logs?: string[];
}

export interface ContainerAction {
  kind: 'container';
  /** remove-volume: uninstall --purge of images kept in a Docker volume (cannot be rolled back, so it runs last) */
  op: 'pull' | 'remove' | 'run' | 'start' | 'unpause' | 'restart' | 'remove-volume';
  /** The equivalent docker command: shown in plans and failures. */
  argv: string[];
  /** For `run`: the Engine API create request the executor sends instead of spawning the CLI. */
  create?: { path: string; body: Record<string, unknown> };
  why: string;
  /** What to tell the operator when the command fails. */
  hint?: string;
  /**
   * Starts when the run starts (`run` only): nothing before it in the plan is something it needs,
   * and dockerd is only reloaded, so dockerd creates the container while the trust is written.
   */
  early?: boolean;
}

/** A daemon operation as the command an operator would type. */
export function commandOf(via: Invocation): string {
  return 'argv' in via ? via.argv.join(' ') : `kill -HUP ${via.pid}`;
}

/** A short title for the task list: what and why, without the full command line. */
export function title(action: Action): string {
  switch (action.kind) {
    case 'write-file':
      return `${action.before === null ? 'create' : 'edit'} ${action.path}`;
    case 'daemon':
      return 'argv' in action.via ? action.via.argv.join(' ') : `SIGHUP dockerd (pid ${action.via.pid})`;
    case 'remove-path':
      return `remove ${action.path}`;
    case 'package':
      return `${action.install.join(' ')} ${action.packages.join(' ')}`;
    case 'tls':
      return action.op === 'create-ca' ? 'create the CA' : action.op === 'issue-cert' ? `issue a server certificate for ${action.sans.join(', ')}` : `install the CA as ${action.to}`;
    case 'image':
      return action.op === 'load' ? action.argv.join(' ') : `build ${action.tag} from ${action.binary}`;
    case 'container':
      if (action.op === 'remove-volume') return action.argv.join(' ');
      return `docker ${action.op} ${action.op === 'pull' ? action.argv.at(-1) : action.argv.includes('--name') ? action.argv[action.argv.indexOf('--name') + 1] : action.argv.at(-1)}`;
  }
}

export function describe(action: Action): string {
  switch (action.kind) {
    case 'write-file':
      return `${action.before === null ? 'create' : 'edit'} ${action.path}: ${action.why}`;
    case 'daemon':
      return `${commandOf(action.via)}: ${action.why}`;
    case 'container':
      return `${action.argv.join(' ')}: ${action.why}`;
    case 'remove-path':
      return `remove ${action.path}${action.thenIfEmpty?.length ? `, then ${action.thenIfEmpty.join(' and ')} if empty` : ''}: ${action.why}`;
    case 'package':
      return `${action.install.join(' ')} ${action.packages.join(' ')}: ${action.why}${action.after.length ? ` (then: ${action.after.map((a) => a.join(' ')).join('; ')})` : ''}`;
    case 'image':
    case 'tls':
      return `${title(action)}: ${action.why}`;
  }
}
