import { UsageError } from '../errors.js';
import { gatherFacts, OFFLINE_REPO, primaryIPv4, type FactQuery } from '../facts/gather.js';
import { archiveTags } from '../facts/image-archive.js';
import { parseState, readState, STATE_FILE, type InstallState } from '../plan/state.js';
import { CA_CERT, certsDirCa, HTPASSWD, referenceName, SERVER_CERT } from '../tls/paths.js';
import { keptCa } from '../plan/tls-plan.js';
import { parseUser, withUser } from '../tls/htpasswd.js';
import { signedBy } from '../formats/certificate.js';
import type { RegistryEndpoint } from '../registry-endpoint.js';
import type { ExecutionReport } from '../execute/executor.js';
import type { HostFacts } from '../facts/types.js';
import { hostPorts, type Ports } from '../ports/index.js';
import { planInstall, type Plan } from '../plan/planner.js';
import { describeProxyRoute, type ProxyRoute } from '../plan/proxy.js';
import { parseMethod } from '../plan/trust/index.js';
import { containerFacts } from '../facts/docker-engine.js';
import { onLoopback } from '../plan/trust/daemon-json.js';
import { dataDirToKeep, DEFAULTS, describeDataDir, entryOf, parseAddress, parseDataDir, parseImage, parseName, parsePort, parseTimeout, type Wanted } from '../plan/wanted.js';
import type { Step } from '../execute/executor.js';
import { isRegistryAnswer, pingOnce, reloadLogOf, smokePush, waitForRegistry, waitForTrust, registryCause } from '../execute/verify.js';
import { loadTemplates } from '../templates.js';
import { acquireLock } from '../execute/lock.js';
import { createOutput, type Output } from '../output.js';
import { trace } from '../trace.js';
import type { TargetFlags } from './target.js';
import { readPassword } from './password.js';
import { applyChange, assertCanAsk, changeSummary, factsSummary, type ApplyFlags, type ApplyResult } from './apply.js';

export interface InstallFlags extends TargetFlags, ApplyFlags {
  timeout?: string;
  root?: string;
  installDocker?: boolean;
  imageArchive?: string;
  offlineImage?: boolean;
  /** false: --no-tls */
  tls?: boolean;
  san?: string[];
  tlsCert?: string;
  tlsKey?: string;
  tlsCa?: string;
  /** false: --no-auth */
  auth?: string | false;
  passwordStdin?: boolean;
  password?: string;
}

export async function install(flags: InstallFlags): Promise<number> {
  const out = createOutput(Boolean(flags.json));
  assertCanAsk(flags);
  const interactive = !flags.yes && !flags.dryRun;
  const ports = hostPorts(flags.root ?? '/');
  // Read for the defaults, before the lock (the prompts come first); the facts read it again under the lock.
  const stateText = await ports.files.read(STATE_FILE);
  const recorded = recordedInstall(stateText, flags);
  const image = await resolveImage(ports, flags, recorded?.image);
  const partial = {
    port: flags.port === undefined ? (recorded?.port ?? DEFAULTS.port) : parsePort(flags.port),
    name: parseName(flags.name ?? recorded?.name ?? DEFAULTS.name),
    image,
    offlineImage: Boolean(flags.offlineImage) || Boolean(image?.startsWith(`${OFFLINE_REPO}:`)),
    imageArchive: flags.imageArchive,
    installDocker: Boolean(flags.installDocker),
    dataDir: flags.dataDir === undefined ? recorded?.dataDir : parseDataDir(flags.dataDir),
    // The recorded way: a provisioning pass with fewer flags must not move the trust (and restart dockerd to do it).
    method: parseMethod(flags.method ?? recorded?.method ?? 'auto'),
    methodRecorded: flags.method === undefined && recorded?.method !== undefined,
    timeoutMs: parseTimeout(flags.timeout ?? String(DEFAULTS.timeoutSeconds)),
  };
  // Another --name than the recorded registry's is still this host: its address is the one to offer (and the planner then says whether a second registry may be set up).
  let address = flags.address === undefined ? (recorded ?? parseState(stateText))?.address : parseAddress(flags.address);
  if (address === undefined && !interactive) {
    address = (await primaryIPv4()) ?? undefined;
    if (!address) throw new UsageError("could not find this host's primary IPv4 address: pass --address");
  }
  let wanted: Wanted = { ...partial, address: address ?? '' };
  if (interactive) wanted = await ask(ports, wanted);
  // Docker would bind a file there too, and the registry fail at its start, after the trust was changed.
  if (wanted.dataDir?.startsWith('/') && (await ports.files.isDirectory(wanted.dataDir)) === false) throw new UsageError(`--data-dir: ${wanted.dataDir} is not a directory`);
  Object.assign(wanted, await secureWanted(ports, flags, interactive, recorded));

  if (!flags.dryRun) await acquireLock(ports);
  const query: FactQuery & { registry: NonNullable<FactQuery['registry']> } = { registry: { name: wanted.name, port: wanted.port, image: wanted.image, offline: wanted.offlineImage, tls: Boolean(wanted.tls), entry: entryOf(wanted), dataDir: wanted.dataDir } };
  trace('arguments parsed');
  let facts = await gatherFacts(ports, query);
  trace('facts gathered');
  if (!facts.docker.installed && interactive && !wanted.installDocker) {
    const { confirm } = await import('@inquirer/prompts');
    wanted.installDocker = await confirm({ message: `Docker is not installed. Install it from ${facts.distro.name}'s packages?`, default: true });
  }
  const registryPackage = facts.distro.knowledge.registryPackage;
  if (interactive && facts.image.present === false && !wanted.offlineImage && !wanted.imageArchive && registryPackage && !flags.image) {
    // No image here: pulling needs Docker Hub; the distro's own registry binary needs no network.
    const { select } = await import('@inquirer/prompts');
    const how = await select({
      message: `The image ${wanted.image} is not on this host.`,
      choices: [
        { name: `pull ${wanted.image} (needs Docker Hub)`, value: 'pull' },
        { name: `build ${OFFLINE_REPO}:VERSION from the ${registryPackage.name} package (no network; installs the package if needed)`, value: 'build' },
      ],
    });
    if (how === 'build') {
      Object.assign(wanted, { image: null, offlineImage: true });
      query.registry = { ...query.registry, image: null, offline: true };
      facts = await gatherFacts(ports, query);
    }
  }
  const plan = planInstall(facts, wanted, loadTemplates());
  trace(`planned: ${plan.actions.length} actions`);
  const entry = entryOf(wanted);
  const result = (extra: Record<string, unknown>) => ({ ...extra, entry, method: plan.method, ...changeSummary(plan), facts: factsSummary(facts) });

  if (plan.actions.length === 0) {
    const ping = await pingOnce(ports, await registryEndpoint(ports, entry, wanted)).catch(() => null);
    if (ping && isRegistryAnswer(ping)) {
      out.say(`already configured: the registry at ${entry} is running and trusted by dockerd; nothing changed`);
      out.json(result({ ok: true, changed: false }));
      return 0;
    }
    out.say(`nothing to change, but the registry at ${wanted.tls ? 'https' : 'http'}://${entry}/v2/ does not answer; run: setup-registry check`);
    out.json(result({ ok: false, changed: false, error: 'registry does not answer' }));
    return 1;
  }

  out.say(wanted.tls ? `trust: TLS, the CA in /etc/docker/certs.d/${entry}/` : onLoopback(entry) ? 'trust: loopback, trusted by dockerd as it is' : `trust method: ${plan.method}`);
  const applied = await applyInstall(ports, out, flags, facts, plan, wanted, query);
  if (applied.status !== 'applied') {
    out.json(result({ ok: true, changed: false, dryRun: applied.status === 'dry-run' }));
    return 0;
  }
  const { report } = applied;
  if (report.failure) {
    out.json(result({ ok: false, changed: report.applied.length > 0 && report.rolledBack.length === 0, error: report.failure.message, backups: report.backups, rolledBack: report.rolledBack }));
    return 1;
  }
  const state = parseState(await ports.files.read(STATE_FILE));
  out.say(`\nregistry ready: ${wanted.tls ? 'https' : 'http'}://${entry}/v2/ (data in ${describeDataDir(state?.dataDir ?? plan.dataDir)}; image ${state?.image ?? wanted.image}, ${state?.imageSource ?? 'as named'})`);
  // On 443, image references leave the port out, as operators write them (its CA is in certs.d for both names).
  const name = wanted.tls ? referenceName(entry) : entry;
  out.say(`push to it:\n  ${wanted.auth ? `docker login ${name}\n  ` : ''}docker tag IMAGE ${name}/NAME && docker push ${name}/NAME`);
  if (wanted.tls && !wanted.tls.provided) out.say(`other Docker hosts: setup-registry trust ${entry} --ca ${CA_CERT} (copy the CA over first)`);
  out.json(result({ ok: true, changed: true, backups: report.backups }));
  return 0;
}

/**
 * What an earlier install set up (the state file) stands for every flag not given: a rerun with
 * fewer flags, or a prompt answered with its defaults, never moves the registry to another address
 * or port, changes its image or data directory, or drops its TLS or auth; a flag given changes
 * just that. A registry under another --name is another registry: its record says nothing of it.
 */
function recordedInstall(stateText: string | null, flags: InstallFlags): InstallState | null {
  const read = readState(stateText);
  const state = 'state' in read ? read.state : null;
  return state && (flags.name === undefined || flags.name === state.name) ? state : null;
}

/**
 * Applies an install plan, and when it could only prepare the host (Docker or a package was
 * missing, dockerd was down), looks at the host again and applies the rest, without asking twice.
 */
export async function applyInstall(ports: Ports, out: Output, flags: ApplyFlags, facts: HostFacts, plan: Plan, wanted: Wanted, query: FactQuery): Promise<ApplyResult> {
  let current = { facts, plan };
  const done: ExecutionReport[] = [];
  for (let pass = 1; ; pass++) {
    const verify = current.plan.secondPass ? [] : verifySteps(ports, current.plan, wanted);
    const applied = await applyChange(ports, out, pass === 1 ? flags : { ...flags, yes: true }, current.facts, current.plan, verify, wanted.timeoutMs);
    if (applied.status !== 'applied') return applied;
    done.push(applied.report);
    const merged = { ...applied.report, applied: done.flatMap((r) => r.applied), backups: done.flatMap((r) => r.backups) };
    if (applied.report.failure || !current.plan.secondPass) return { status: 'applied', report: merged };
    if (pass === 3) return { status: 'applied', report: { ...merged, failure: new Error('the host did not converge after three passes') } };
    const again = await gatherFacts(ports, query);
    current = { facts: again, plan: planInstall(again, wanted, loadTemplates()) };
    out.say('\nlooking at the host again; the rest of the plan:');
  }
}

/**
 * --tls (the tool's CA, --san for more names) or --tls-cert/--tls-key[/--tls-ca] (the operator's files),
 * and --auth USER with the password from stdin, a prompt, or --password. Only a bcrypt hash is kept.
 * A registry recorded with TLS or auth keeps them (its names, its users, the operator's files as
 * they are) until --no-tls or --no-auth says otherwise.
 */
async function secureWanted(ports: Ports, flags: InstallFlags, interactive: boolean, recorded: InstallState | null): Promise<Pick<Wanted, 'tls' | 'auth'>> {
  const provided = flags.tlsCert || flags.tlsKey;
  if (provided && !(flags.tlsCert && flags.tlsKey)) throw new UsageError('--tls-cert and --tls-key go together');
  if (flags.tls === false && (provided || flags.tlsCa || flags.san?.length || typeof flags.auth === 'string')) throw new UsageError('--no-tls goes with none of --tls-cert, --tls-key, --tls-ca, --san and --auth');
  const keptTls = flags.tls === undefined && !provided ? recorded?.tls : undefined;
  const tlsOn = Boolean(flags.tls || provided || keptTls);
  const keptAuth = flags.auth === undefined && Boolean(recorded?.auth);
  if (flags.tls === false && keptAuth) throw new UsageError('--no-tls: the registry installed here has auth (htpasswd), which needs TLS: pass --no-auth too');
  if (flags.san?.length && !tlsOn) throw new UsageError('--san goes with --tls: the names are written into the certificate the tool issues for the registry');
  if (typeof flags.auth === 'string' && !tlsOn) throw new UsageError('--auth needs --tls (or --tls-cert/--tls-key): the registry only accepts basic auth over TLS');
  const out: Pick<Wanted, 'tls' | 'auth'> = {};
  if (tlsOn) {
    const sans = [...new Set([...(recorded?.tls?.sans ?? []), ...(flags.san ?? []).map((san) => parseAddress(san, '--san'))])];
    const read = async (file: string, what: string) => {
      const text = await ports.files.read(file);
      if (text === null) throw new UsageError(`${what}: ${file} does not exist`);
      return text;
    };
    if (provided) {
      const cert = await read(flags.tlsCert!, '--tls-cert');
      // A self-signed certificate is its own CA: Docker is given it to trust, as --tls-ca would.
      const ca = flags.tlsCa ? await read(flags.tlsCa, '--tls-ca') : signedBy(cert, cert) ? cert : null;
      out.tls = { sans, provided: { cert, key: await read(flags.tlsKey!, '--tls-key'), ca } };
    } else out.tls = keptTls?.provided ? { sans, provided: 'kept' } : { sans };
  }
  if (typeof flags.auth === 'string') {
    const user = parseUser(flags.auth);
    const password = await readPassword(flags, interactive, user);
    out.auth = { htpasswd: await withUser(await ports.files.read(HTPASSWD), user, password), credentials: { user, password } };
  } else if (keptAuth) out.auth = {};
  return out;
}

/** --image-archive names its image by the tags inside; --offline-image without --image derives it from the package. */
async function resolveImage(ports: Ports, flags: InstallFlags, recordedImage: string | undefined): Promise<string | null> {
  const named = flags.image === undefined ? undefined : parseImage(flags.image);
  if (flags.imageArchive) {
    const tags = await archiveTags(ports.files, flags.imageArchive);
    if (named && !tags.includes(named)) throw new UsageError(`--image ${named} is not in ${flags.imageArchive} (it holds ${tags.join(', ') || 'no tags'})`);
    if (!named && tags.length === 0) throw new UsageError(`${flags.imageArchive} holds no tagged image: pass --image`);
    return named ?? tags[0]!;
  }
  if (flags.offlineImage && !named) return null;
  return named ?? recordedImage ?? DEFAULTS.image;
}

/** How the tool itself reaches the registry it installs: TLS with the CA it trusts, and the credentials in memory. */
export async function registryEndpoint(ports: Ports, entry: string, w: Pick<Wanted, 'tls' | 'auth'>): Promise<RegistryEndpoint> {
  if (!w.tls) return { entry, tls: null, credentials: null };
  const provided = w.tls.provided;
  const ca = provided === 'kept' ? keptCa({ serverCert: await ports.files.read(SERVER_CERT), certsD: await ports.files.read(certsDirCa(entry)) }) : provided ? provided.ca : await ports.files.read(CA_CERT);
  return { entry, tls: { ca }, credentials: w.auth?.credentials ?? null };
}

/** What proves an install: the trust live in dockerd, the registry answering, and a real push through dockerd. */
export function verifySteps(ports: Ports, plan: Pick<Plan, 'entry' | 'daemon' | 'actions' | 'proxy'>, w: Pick<Wanted, 'name' | 'timeoutMs' | 'tls' | 'auth'>): Step[] {
  if (w.tls) {
    // TLS: Docker trusts the registry through its CA in certs.d; prove it with a push (with the credentials when auth is on).
    const endpoint = () => registryEndpoint(ports, plan.entry, w);
    const steps: Step[] = [{ title: `wait for the registry: GET https://${plan.entry}/v2/`, run: async () => void (await waitForRegistry(ports, await endpoint(), w.timeoutMs, w.name)) }];
    if (!w.auth || w.auth.credentials) steps.push(smokeStep(ports, w.name, smokePush(ports, plan.entry, endpoint), `push a tiny image to ${plan.entry} over TLS${w.auth ? ' as ' + w.auth.credentials!.user : ''} and delete it`, plan.proxy));
    return steps;
  }
  // The trust is watched from the start (a reload is asynchronous), so it is usually confirmed by the time the registry runs.
  const reloadedSince = plan.daemon === 'reload' ? Date.now() : undefined;
  const reloadLog = reloadLogOf(plan.actions, reloadedSince);
  let trust: Promise<void> | null = null;
  const confirmTrust = (signal?: AbortSignal) => (trust ??= waitForTrust(ports, plan.entry, w.timeoutMs, { signal, reloadedSince, reloadLog }));
  return [
    { title: `confirm ${plan.entry} is trusted by the live dockerd`, run: () => confirmTrust(), prepare: confirmTrust },
    { title: `wait for the registry: GET http://${plan.entry}/v2/`, run: async () => void (await waitForRegistry(ports, plan.entry, w.timeoutMs, w.name)) },
    smokeStep(ports, w.name, smokePush(ports, plan.entry), `push a tiny image to ${plan.entry} and delete it (proves the daemon trust)`, plan.proxy),
  ];
}

/**
 * A failed push says what the registry logged as its cause; one that went through dockerd's proxy
 * most likely failed there, and the message says so, with the fix.
 */
function smokeStep(ports: Ports, container: string, smoke: ReturnType<typeof smokePush>, title: string, proxy: ProxyRoute | null): Step {
  const run = async () => {
    const started = Date.now();
    await smoke.run().catch(async (err: Error) => {
      const cause = await registryCause(ports.docker, container, started);
      if (!cause && !proxy) throw err;
      throw new Error([err.message, cause, proxy && `likely cause: ${describeProxyRoute(proxy)}; ${proxy.fix}`].filter(Boolean).join('\n'));
    });
  };
  return { title, run, prepare: smoke.prepare, cleanup: smoke.cleanup };
}

async function ask(ports: Ports, w: Wanted): Promise<Wanted> {
  const { input } = await import('@inquirer/prompts');
  const suggested = w.address || (await primaryIPv4()) || '';
  const address = parseAddress(await input({ message: 'Address clients will use to reach the registry', default: suggested, validate: valid(parseAddress) }));
  const port = parsePort(await input({ message: 'Port', default: String(w.port), validate: valid(parsePort) }));
  // The default is where an existing registry container keeps its images (maybe a volume): kept unless changed.
  const keep = w.dataDir ?? dataDirToKeep(await containerFacts(ports.docker, w.name).catch(() => null));
  const shown = describeDataDir(keep);
  const answer = await input({ message: 'Storage directory for images', default: shown, validate: (v) => v === shown || valid(parseDataDir)(v) });
  return { ...w, address, port, dataDir: answer === shown ? keep : parseDataDir(answer) };
}

function valid(parse: (v: string) => unknown) {
  return (v: string) => {
    try {
      parse(v);
      return true;
    } catch (err) {
      return (err as Error).message;
    }
  };
}
