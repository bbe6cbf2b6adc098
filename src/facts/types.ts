import type { DockerProxy } from './docker-engine.js';
import type { Distro, PackageTool } from '../knowledge/distros.js';
import type { BootLinks, InitSystem } from '../knowledge/service-managers.js';
import type { DaemonConfig } from '../formats/daemon-json.js';
import type { EffectiveService, UnitSource } from '../formats/systemd-unit.js';

/** Everything the planner may know about a host, gathered once, read-only. */
export interface HostFacts {
  distro: Distro;
  init: InitSystem;
  docker: DockerFacts;
  daemonJson: DaemonJsonFacts;
  startup: StartupFacts;
  container: ContainerFacts | null;
  /**
   * present is null when dockerd is down and cannot be asked; name is null for an offline image whose
   * package is not installed yet; alternatives: other registry images here, looked for only when this one is not.
   */
  image: { name: string | null; present: boolean | null; alternatives?: string[] };
  /** Under userns-remap: who owns each directory the registry may keep its images in (null: not there yet). */
  dataDirOwners?: Record<string, number | null>;
  /** The distro's registry package (only looked at for an image built without Docker Hub). */
  registryPackage: { name: string; binary: string; service: string; installed: boolean; version: string | null } | null;
  /** Docker's own yum repository is configured (Red Hat family: docker-ce can be installed). */
  dockerCeRepo: boolean;
  /** The package manager that installs packages here (null: none this tool knows). */
  packageTool: PackageTool | null;
  /** A secure registry's material (only read when TLS is wanted or recorded). */
  tls: TlsFacts | null;
  /** Who listens on the wanted port, when anything does. */
  portHolder: PortHolder | null;
  /**
   * What the address resolves to here (an IP: itself), and whether that is this host (loopback, or
   * an address of one of its interfaces); null for a client host's command.
   */
  addressLookup?: { addresses: string[]; local: boolean } | { error: string } | null;
  /** The registry the state file records, when that is another container which still exists. */
  otherRecorded?: { name: string; entry: string } | null;
  /** The state file a previous install left, as text (null when none). */
  stateText: string | null;
}

export interface DockerFacts {
  installed: boolean;
  /** the docker CLI's version, asked only when dockerd does not answer (otherwise serverVersion says it) */
  clientVersion: string | null;
  /** the dockerd binary's version (`dockerd --version`), asked only when dockerd does not answer: the CLI's may differ */
  daemonVersion?: string | null;
  running: boolean;
  serverVersion: string | null;
  /** The running dockerd, from its pidfile or /proc. */
  pid: number | null;
  argv: string[] | null;
  /** Registries the live daemon treats as insecure (docker info). */
  liveInsecure: { registries: string[]; cidrs: string[] } | null;
  /** dockerd's proxy (HTTP_PROXY, HTTPS_PROXY, NO_PROXY of its environment or daemon.json), from docker info; null without one. */
  proxy?: DockerProxy | null;
  /** What `docker info` said when it failed. */
  error: string | null;
  /** dockerd's socket is there but not open to this user: whether dockerd runs is unknown, not "no". */
  denied?: boolean;
  /** `docker` is Podman's stand-in (podman-docker): there is no dockerd to configure. */
  podman?: boolean;
  /** dockerd labels containers for SELinux (docker info: name=selinux): a bound host directory needs relabeling (:Z) to be written. */
  selinux?: boolean;
  /** dockerd remaps container users (userns-remap; docker info: name=userns): a container's root is not root on the host. */
  userns?: boolean;
  /** Under userns-remap, the host user a container's root is (from dockerd's root directory, /var/lib/docker/UID.GID). */
  usernsRoot?: number | null;
  /**
   * Where dockerd publishes a port given without an address ("ip" in daemon.json, or --ip), when
   * that is not every interface: 127.0.0.1 on hosts hardened so. null: every interface (its default).
   */
  bindIp?: string | null;
  /** dockerd's default log driver (docker info's LoggingDriver): json-file unless configured */
  logDriver?: string | null;
  /** dockerd's default log options cap a log's size (max-size in daemon.json's "log-opts", or --log-opt) */
  logRotated?: boolean;
}

export interface DaemonJsonFacts {
  path: string;
  text: string | null;
  /** null when missing or unparseable */
  config: DaemonConfig | null;
  /** The one-line parse error, naming the file and line. */
  error: string | null;
  mode: number | null;
}

/** A place where a `--insecure-registry` flag reaches (or would reach) dockerd. */
export interface FlagSite {
  kind: 'env-var' | 'exec-start' | 'command-line';
  file: string | null;
  variable: string | null;
  /** The site's raw value (the variable's value or the ExecStart line). */
  value: string;
  registries: string[];
  /** false when dockerd does not actually read it (DOCKER_OPTS under a unit that ignores it, moby#23040). */
  effective: boolean;
}

export interface StartupFacts {
  /** The systemd service dockerd runs as (docker.service unless its cgroup says otherwise). */
  unit: string;
  /** Unit file and drop-ins in the order systemd applies them (systemd hosts only). */
  unitSources: UnitSource[];
  service: EffectiveService | null;
  /** dockerd starts at boot: the unit is enabled, or (sysvinit) its init script is linked to start; null: not known. */
  unitEnabled: boolean | null;
  /** sysvinit: the init script's link in the default runlevel (S, K, or none); null under systemd, or without /etc/init.d/docker. */
  bootLinks: BootLinks | null;
  envFiles: Record<string, string | null>;
  flagSites: FlagSite[];
}

export interface ContainerFacts {
  id: string;
  running: boolean;
  status: string;
  image: string;
  restartPolicy: string;
  hostPort: string | null;
  /** The one address the port is published on (one given without an address: dockerd's default, bindIp); null for every interface. */
  hostIp: string | null;
  /** published as `-p PORT:5000`, without an address: where is dockerd's to say (bindIp) */
  publishedWithoutIp?: boolean;
  /** What holds the images (mounted at /var/lib/registry): a host directory, or a Docker volume's name. */
  dataDir: string | null;
  /** Where those images are on the host (for a volume, its directory under Docker's root). */
  dataPath: string | null;
  env: string[];
  labels: Record<string, string>;
  /** mode: what followed the paths in -v (ro, z, Z), as docker inspect gives it; type: bind or volume */
  mounts: { source: string; destination: string; mode?: string; type?: string }[];
  /** the container's main process on the host, 0 when it is not running */
  pid?: number;
  /** how often dockerd restarted it after it exited (its restart policy), and when it last started (epoch ms) */
  restartCount?: number;
  startedAt?: number | null;
  /**
   * Host directories bound into the running container that it sees deleted (deleted, or deleted
   * and made again, after it started): it writes into a directory that takes no new files, which
   * nothing else sees. A restart binds them anew.
   */
  staleBinds?: string[];
  /** 'host' when the container is exempt from dockerd's userns-remap (--userns=host) */
  usernsMode?: string;
  /** its command (the image's CMD unless given): the registry's config file is in it */
  command?: string[];
  /** its log driver and options, as dockerd made them (its defaults merged in) */
  log?: { type: string; config: Record<string, string> };
}

export interface PortHolder {
  port: number;
  description: string;
  /** true when it is the docker-proxy of the container we manage (then it is ours to move) */
  ours: boolean;
  /** a docker-proxy: a port some container publishes */
  proxy?: boolean;
  /** that container, asked from dockerd: a refusal can name it (and a registry can be taken over with --name) */
  container?: PublishingContainer | null;
}

export interface PublishingContainer {
  name: string;
  image: string;
  /** something is mounted at /var/lib/registry: a registry's storage */
  registryStorage: boolean;
}

export interface TlsFacts {
  caCert: string | null;
  caKey: boolean;
  serverCert: string | null;
  /** the key's text: a rollback must be able to put the old key back with the old certificate */
  serverKey: string | null;
  /** /etc/docker/certs.d/ENTRY/ca.crt */
  certsD: string | null;
  /** for a registry on 443: the CA in certs.d under its name without the port (certsDirAliasCa) */
  certsDAlias?: string | null;
  htpasswd: string | null;
  /** The certs.d files the state file records (its TLS registry's, and those written ahead of a change), those that exist. */
  recordedCas?: string[];
}
