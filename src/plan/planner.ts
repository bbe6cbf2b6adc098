import { HostRefusal } from '../errors.js';
import type { HostFacts } from '../facts/types.js';
import { dockerPackage } from '../knowledge/distros.js';
import { managerOf } from '../knowledge/service-managers.js';
import type { Templates } from '../templates.js';
import type { Action, DaemonAction, ImageAction, PackageAction } from './actions.js';
import { logRotation, planContainer, publishing, publishingFacts } from './container.js';
import { readState, recordedCaPaths, renderState, STATE_FILE, type InstallState } from './state.js';
import type { MethodName } from './trust/types.js';
import { enableAtBoot, planDaemonOnly, planTrust, type DaemonOutcome } from './trust-plan.js';
import { onLoopback, trustedBy, trustingEntry } from './trust/daemon-json.js';
import { chooseMethod, methodToUse, unreadEntries } from './trust/index.js';
import { planSecure } from './tls-plan.js';
import { CA_CERT, certsDirCas } from '../tls/paths.js';
import { proxyRoute, proxyWarning, type ProxyRoute } from './proxy.js';
import { dataDirToKeep, DEFAULTS, describeDataDir, entryOf, type Wanted } from './wanted.js';

export type { DaemonOutcome };

export interface Plan {
  entry: string;
  method: MethodName | null;
  actions: Action[];
  /** Things said before applying, e.g. why dockerd must restart. */
  notes: string[];
  daemon: DaemonOutcome;
  /** Where the registry keeps its images: --data-dir, else where the existing container keeps them. */
  dataDir: string;
  /** The rest can only be planned after this plan ran (dockerd or a package was missing): look again, plan again. */
  secondPass: boolean;
  /** dockerd's requests to the registry, the smoke push among them, go through its proxy. */
  proxy: ProxyRoute | null;
  state: InstallState | null;
}

/**
 * The install planner: pure, from host facts and the wanted state to the actions that converge
 * the host. Refuses (throws, nothing changed) when converging would harm the host.
 */
export function planInstall(facts: HostFacts, asked: Wanted, templates: Templates): Plan {
  const wanted = { ...asked, method: methodToUse(facts, asked) };
  const entry = entryOf(wanted);
  if (!facts.docker.installed) return planDockerInstall(facts, wanted, entry);
  refuseHarm(facts, wanted);
  const elsewhere = facts.addressLookup && 'local' in facts.addressLookup && !facts.addressLookup.local ? facts.addressLookup.addresses : null;
  // A TLS registry is trusted through its CA in certs.d; otherwise by an insecure-registries entry.
  const secure = wanted.tls || wanted.auth ? planSecure(facts, wanted, entry) : null;
  const loopback = !secure && onLoopback(entry);
  const trustedAlready = secure || loopback ? null : trustingEntry(facts, entry);
  const recorded = readState(facts.stateText);
  const read = 'state' in recorded ? recorded.state : null;
  // Entries recorded under a method this host no longer uses (DOCKER_OPTS under docker-ce's unit): taken out of its files, and forgotten.
  const { unread: forgotten, edits: leftovers } = unreadEntries(facts, templates, read?.added ?? []);
  const previous = read && forgotten.length ? { ...read, added: read.added.filter((a) => !forgotten.includes(a)) } : read;
  const stale = staleEntries(facts, previous, secure || loopback || trustedAlready ? null : { entry, method: wanted.method });
  const trust =
    secure || loopback || trustedAlready
      ? stale.length
        ? planTrust(facts, templates, { method: stale[0]!.method, add: [], remove: stale.map((s) => s.entry) })
        : planDaemonOnly(facts, [])
      : planTrust(facts, templates, { method: wanted.method, add: [entry], remove: stale.map((s) => s.entry) });
  // The CA an earlier install put in certs.d goes with the TLS, or the address or port, it no longer serves.
  const staleCas: Action[] = (facts.tls?.recordedCas ?? [])
    .filter((path) => !(wanted.tls && certsDirCas(entry).includes(path)))
    .map((path) => ({ kind: 'remove-path', path, why: wanted.tls ? `the registry is now ${entry}: Docker needs no CA for its old address` : 'the registry no longer serves TLS: Docker no longer needs its CA' }));
  const notes = [...(secure?.notes ?? []), ...trust.notes];
  // The registry's clients trust it by its old name: each of them must be told (the tool only changes this host).
  const movedFrom = previous && previous.name === wanted.name ? `${previous.address}:${previous.port}` : null;
  if (movedFrom && movedFrom !== entry && !onLoopback(entry)) {
    const ca = wanted.tls ? ` --ca ${wanted.tls.provided ? 'CA.crt' : CA_CERT}` : '';
    notes.push(`clients that use ${movedFrom} must use ${entry} now: on each, setup-registry trust ${entry}${ca} --yes, then setup-registry untrust ${movedFrom} --yes`);
  }
  if (stale.length) notes.push(`${stale.map((s) => s.entry).join(', ')}: added by an earlier install for this registry, no longer needed${secure ? ' (over TLS an insecure entry would stop dockerd from verifying the certificate)' : ''}`);
  if (elsewhere) {
    const via = elsewhere.join(', ') === wanted.address ? '' : ` (${elsewhere.join(', ')})`;
    notes.push(`${wanted.address}${via} is not an address of this host: the verification reaches the registry there, so NAT or a load balancer must lead back here`);
  }
  if (trustedAlready) notes.push(trustedBy(entry, trustedAlready));
  if ('problem' in recorded) notes.push(`${STATE_FILE} cannot be read (${recorded.problem}): it is written anew, the old one kept as a backup; trust entries it recorded are not known, so uninstall leaves them`);
  if (loopback) notes.push(`${entry} is on loopback, which dockerd always trusts: no configuration needed; the registry is published on ${publishing(wanted).on} only, so other hosts cannot reach it (for them, install with an --address of this host's network)`);
  // Said once, in the plan that creates it: the docs' recipe serves anyone the same way, silently.
  if (!wanted.auth && !onLoopback(entry) && !facts.container) {
    notes.push(`the registry will take pushes and pulls from anyone who reaches port ${wanted.port} of this host (${secure ? 'TLS' : 'plain HTTP'}, no auth): to restrict it, ${secure ? '--auth USER' : '--tls --auth USER'}, or a firewall`);
  }
  const proxy = proxyRoute(facts, entry, Boolean(secure));
  if (proxy) notes.push(`${proxyWarning(proxy)}; to go direct: ${proxy.fix}`);
  let secondPass = !facts.docker.running;
  const image = planImage(facts, wanted);
  notes.push(...image.notes);
  secondPass ||= image.secondPass;
  const dataDir = wanted.dataDir ?? dataDirToKeep(facts.container);
  const usernsExempt = needsUsernsHost(facts, dataDir, wanted);

  // With dockerd down or the image still to be made, the container is planned in the second pass.
  const container = secondPass ? [] : planContainer(facts.container, { ...wanted, dataDir, image: image.name!, selinux: facts.docker.selinux, userns: usernsExempt, ...publishingFacts(facts), ...logRotation(facts) }, image.actions.length > 0 || image.first.length > 0 ? true : facts.image.present, { alternatives: facts.image.alternatives, offlinePackage: facts.distro.knowledge.registryPackage?.name ?? null });
  const published = publishing({ ...wanted, ...publishingFacts(facts) });
  if (published.arg && !loopback && container.some((a) => a.op === 'run')) {
    const where = published.on ? `on ${published.on}` : 'on every interface';
    notes.push(`dockerd publishes ports on ${facts.docker.bindIp} unless told otherwise ("ip" in its configuration): the registry is published ${where} (-p ${published.arg}:${wanted.port}:5000), where its clients reach it at ${entry}`);
  }
  if (usernsExempt && container.some((a) => a.op === 'run')) {
    const files = [describeDataDir(dataDir), ...(wanted.tls ? ['its TLS key'] : []), ...(wanted.auth ? ['its htpasswd'] : [])];
    notes.push(`dockerd remaps container users (userns-remap): the registry runs with --userns host, Docker's per-container opt-out, to use ${files.length > 1 ? `${files.slice(0, -1).join(', ')} and ${files.at(-1)}` : files[0]} as root owns them on this host`);
  }
  // A new certificate or password file is only read when the registry starts.
  if (secure?.reloadRegistry && facts.container && !container.some((a) => a.op === 'run') && !secondPass) {
    const start = container.findIndex((a) => a.op === 'start');
    if (start >= 0) container.splice(start, 1);
    container.push({ kind: 'container', op: 'restart', argv: ['docker', 'restart', wanted.name], why: 'the registry loads the new certificate or password file' });
  }
  if (secondPass) notes.push('the registry container is planned once dockerd runs and the image is there');
  // Pulling first means a missing image stops the run before any file changes.
  const pull = container.filter((a) => a.op === 'pull');
  const rest = container.filter((a) => a.op !== 'pull');

  // The registry container needs its image, its old container gone and its TLS or password files:
  // when none of that is in this run and dockerd is only reloaded, it starts while the trust is written.
  const containerNeedsNothingFirst = image.first.length === 0 && pull.length === 0 && image.actions.length === 0 && !secure?.actions.length;
  const daemonStaysUp = !trust.daemon.some((a) => a.kind === 'daemon' && (a.op === 'start' || a.op === 'restart'));
  if (containerNeedsNothingFirst && daemonStaysUp && rest.length === 1 && rest[0]!.op === 'run') rest[0] = { ...rest[0]!, early: true };

  const method = trust.method;
  // (A write for a registry trusted otherwise, a daemon.json made readable, adds no entry.)
  const addsEntry = !(secure || loopback || trustedAlready) && trust.writes.length > 0 && !method.configured(facts).includes(entry);
  // "pulled" only by a pull this run makes: a running registry whose image tag was removed needs none.
  const imageSource = image.source ?? (pull.length > 0 ? 'pulled' : (previous?.imageSource ?? 'already on this host'));
  const state = secondPass || !image.name ? null : nextState(previous, { ...wanted, dataDir }, image.name, imageSource, method.name, entry, addsEntry, trust.writes[0], stale);
  const stateText = state && renderState(state);
  // Write-ahead: the record names a trust entry before the entry is written, so a run cut short
  // (kill -9) leaves none that repair and uninstall do not know of, and repair converges from it.
  const adding = addsEntry && trust.writes[0] && !previous?.added.some((a) => a.entry === entry && a.method === method.name) ? { entry, method: method.name, file: trust.writes[0].path } : null;
  // So is a CA put in certs.d for an address, port or TLS the record does not name yet.
  const caPaths = previous ? recordedCaPaths(previous) : [];
  const addingCas = (secure?.actions ?? []).map(writtenPath).filter((path): path is string => path !== null && certsDirCas(entry).includes(path) && !caPaths.includes(path));
  const journalText = previous && (adding || addingCas.length) ? renderState({ ...previous, added: adding ? [...previous.added, adding] : previous.added, ...(addingCas.length ? { cas: [...new Set([...(previous.cas ?? []), ...addingCas])] } : {}) }) : null;
  const journaled = [...(adding ? [entry] : []), ...addingCas].join(' and ');
  const journal: Action[] = journalText ? [{ kind: 'write-file', path: STATE_FILE, before: facts.stateText, after: journalText, mode: 0o644, why: `record ${journaled} before it is added, so that a run cut short leaves nothing unrecorded` }] : [];
  const recordedBefore = journalText ?? facts.stateText;
  const stateWrite: Action[] =
    !stateText || stateText === recordedBefore ? [] : [{ kind: 'write-file', path: STATE_FILE, before: recordedBefore, after: stateText, mode: 0o644, why: 'record what setup-registry set up (for check, repair and uninstall)' }];
  // With no record yet, the whole record goes first: an entry, or a CA in certs.d, is then never
  // on the host unrecorded, and repair after a run cut short converges to what the run was making.
  const recordFirst = !previous && stateWrite.length > 0;

  return {
    entry,
    method: method.name,
    actions: [...image.first, ...pull, ...journal, ...(recordFirst ? stateWrite : []), ...trust.writes, ...leftovers, ...(secure?.actions ?? []), ...staleCas, ...trust.daemon, ...enableAtBoot(facts), ...image.actions, ...rest, ...(recordFirst ? [] : stateWrite)],
    notes,
    daemon: trust.outcome,
    dataDir,
    secondPass,
    proxy,
    state,
  };
}

/** The file a secure action writes, if any: the tool's CA is copied to certs.d by install-ca, the operator's written there as a file. */
function writtenPath(a: Action): string | null {
  if (a.kind === 'tls' && a.op === 'install-ca') return a.to;
  return a.kind === 'write-file' ? a.path : null;
}

/** What the host already has that an install must not run over: refused before anything is planned. */
function refuseHarm(facts: HostFacts, wanted: Wanted): void {
  if (facts.otherRecorded) {
    // One state file records one registry: replacing its record would leave that registry behind,
    // and a later uninstall would take its trust away while it still serves.
    const other = facts.otherRecorded;
    throw new HostRefusal(
      `setup-registry already manages the registry ${other.name} (${other.entry}) on this host, and manages one per host; to change that one, run again with --name ${other.name}; for another, uninstall it first`,
    );
  }
  if (facts.portHolder && !facts.portHolder.ours) throw new HostRefusal(portTaken(facts.portHolder, wanted.port));
  if (facts.addressLookup && 'error' in facts.addressLookup) {
    throw new HostRefusal(
      `--address ${wanted.address} does not resolve on this host (${facts.addressLookup.error}), and dockerd here pushes to the registry by that name to prove it works; add it to DNS or /etc/hosts, or use an IP address`,
    );
  }
}

/** Names what holds the port; a registry run by hand under another name can be taken over with --name. */
function portTaken(holder: NonNullable<HostFacts['portHolder']>, port: number): string {
  const c = holder.container;
  if (!c) return `port ${port} is already in use by ${holder.description}; choose another with --port`;
  const what = `port ${port} is already in use by container ${c.name} (image ${c.image})`;
  return c.registryStorage ? `${what}; to take that registry over (its images stay where they are), run again with --name ${c.name}, or choose another --port` : `${what}; choose another with --port`;
}

/** No Docker yet: install the distro's package and start it; everything else is planned in a second pass. */
function planDockerInstall(facts: HostFacts, wanted: Wanted, entry: string): Plan {
  const pkg = dockerPackage(facts.distro, facts.dockerCeRepo);
  const packages = facts.packageTool;
  if (!pkg.name || !packages) throw new Error(`docker is not installed, and it cannot be installed here: ${pkg.why}`);
  if (!wanted.installDocker) {
    throw new Error(`docker is not installed on this host; run again with --install-docker to install ${pkg.name} (${pkg.why})`);
  }
  const manager = managerOf(facts);
  const install: PackageAction = { kind: 'package', packages: [pkg.name], install: packages.install, refresh: packages.refresh, after: [], why: `install Docker: ${pkg.why}` };
  const daemon: DaemonAction[] = [{ kind: 'daemon', op: 'start', via: manager.start(), why: 'start the freshly installed dockerd', logs: manager.logs() }];
  const enable = manager.enableAtBoot();
  if (enable) daemon.push({ kind: 'daemon', op: 'enable', via: enable, why: 'start Docker at boot' });
  return { entry, method: null, actions: [install, ...daemon], notes: ['the trust and the registry are planned once dockerd runs'], daemon: 'start', dataDir: wanted.dataDir ?? DEFAULTS.dataDir, secondPass: true, proxy: null, state: null };
}

interface ImagePlan {
  /** The image the container runs (null until an offline image's package is installed). */
  name: string | null;
  /** Where it came from, for the state file and the output. */
  source: string | null;
  /** Actions before anything else changes (loading an archive). */
  first: Action[];
  /** Actions after the daemon is configured (package install, build). */
  actions: (PackageAction | ImageAction)[];
  notes: string[];
  secondPass: boolean;
}

/**
 * Where the registry image comes from: an archive (--image-archive), the distro's registry binary
 * (--offline-image), or the image as named (present, or pulled by the container plan).
 */
function planImage(facts: HostFacts, wanted: Wanted): ImagePlan {
  const none: ImagePlan = { name: wanted.image, source: null, first: [], actions: [], notes: [], secondPass: false };
  if (wanted.imageArchive) {
    const load: ImageAction = { kind: 'image', op: 'load', archive: wanted.imageArchive, argv: ['docker', 'load', '-i', wanted.imageArchive], why: `load ${wanted.image} from the archive` };
    return { ...none, source: `loaded from ${wanted.imageArchive}`, first: facts.image.present ? [] : [load] };
  }
  if (!wanted.offlineImage) return none;
  const pkg = facts.registryPackage;
  const packages = facts.packageTool;
  if (!pkg || !packages) throw new Error(`--offline-image: ${facts.distro.name} has no registry package known to this tool; load an image with --image-archive`);
  const tag = wanted.image ?? facts.image.name;
  if (!pkg.installed || !tag) {
    return {
      ...none,
      actions: [{ kind: 'package', packages: [pkg.name], install: packages.install, refresh: packages.refresh, after: managerOf(facts).stopAndDisable(pkg.service), why: `the registry binary for an image made without Docker Hub (its own ${pkg.service} service is stopped and disabled: the container serves instead)` }],
      secondPass: true,
    };
  }
  const source = `built from ${pkg.name} ${pkg.version}`;
  if (facts.image.present) return { ...none, name: tag, source };
  return { ...none, name: tag, source, actions: [{ kind: 'image', op: 'build', tag, binary: pkg.binary, source: `${pkg.name} ${pkg.version}`, why: `an image of ${pkg.binary} (${pkg.name} ${pkg.version}) and the libraries it links` }] };
}

/**
 * Trust entries an earlier install added for this registry (at another address or port, or before
 * it served TLS, or when it was not on loopback) that the wanted state no longer needs. They are
 * taken out with the method that wrote them, one method per run (the one of the first such entry).
 */
function staleEntries(facts: HostFacts, previous: InstallState | null, wanted: { entry: string; method: MethodName | 'auto' } | null): InstallState['added'] {
  const unneeded = (previous?.added ?? []).filter((a) => a.entry !== wanted?.entry);
  if (unneeded.length === 0) return [];
  // With an entry to add, the removals must be of the method that adds it: one edit, one daemon operation.
  // daemon.json's takes every flag out anyway (dockerd refuses one next to the file): a flag method's too.
  const method = wanted ? chooseMethod(facts, wanted.method).name : unneeded[0]!.method;
  return unneeded.filter((a) => a.method === method || (method === 'daemon-json' && a.method !== 'daemon-json'));
}

function nextState(previous: InstallState | null, w: Wanted & { dataDir: string }, image: string, imageSource: string, method: MethodName, entry: string, addsEntry: boolean, write: { path: string } | undefined, removed: InstallState['added']): InstallState {
  const added = previous?.added.filter((a) => (a.entry !== entry || a.method === method) && !removed.some((r) => r.entry === a.entry && r.method === a.method)) ?? [];
  if (addsEntry && write && !added.some((a) => a.entry === entry && a.method === method)) added.push({ entry, method, file: write.path });
  return {
    version: 1,
    address: w.address,
    port: w.port,
    name: w.name,
    image,
    imageSource,
    dataDir: w.dataDir,
    method,
    ...(w.tls ? { tls: { sans: w.tls.sans, ...(w.tls.provided ? { provided: true } : {}) } } : {}),
    ...(w.auth ? { auth: true } : {}),
    added,
  };
}

/**
 * Under userns-remap the registry's root is an unprivileged host user: it stays so where it can do
 * its work (a volume, a data directory not made yet, which dockerd then makes for it, or one it
 * owns), and is exempted (--userns host) where it could not: a directory someone else owns, the
 * TLS key and htpasswd (root's, mode 0600).
 */
function needsUsernsHost(facts: HostFacts, dataDir: string, wanted: Wanted): boolean {
  if (!facts.docker.userns) return false;
  if (wanted.tls || wanted.auth) return true;
  if (!dataDir.startsWith('/')) return false;
  const owner = facts.dataDirOwners?.[dataDir];
  return owner !== null && (owner === undefined || owner !== facts.docker.usernsRoot);
}
