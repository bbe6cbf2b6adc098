import { statfsSync } from 'node:fs';
import type { HostFacts } from '../facts/types.js';
import type { Ports } from '../ports/index.js';
import { INSECURE_KEY } from '../formats/daemon-json.js';
import { containerDifferences, describePublished, garbageCollectCommand, LOG_OPTS, publishing, publishingFacts, staleBindsProblem, unrotatedLog, type ContainerWanted } from '../plan/container.js';
import { DEFAULTS, describeDataDir, isVolume } from '../plan/wanted.js';
import { commandOf } from '../plan/actions.js';
import { managerOf } from '../knowledge/service-managers.js';
import { flagSources, registriesInFlags, unexpandedReferences } from '../plan/trust/flag-sites.js';
import { apiOutOfReach, flagConflicts, misreadKeys } from '../knowledge/dockerd-options.js';
import { describeProxyRoute, proxyRoute, proxyWarning } from '../plan/proxy.js';
import { chooseMethod, methodToUse } from '../plan/trust/index.js';
import { onLoopback, trustedLive, trustingEntry, unreadableByDockerd, withoutScheme } from '../plan/trust/daemon-json.js';
import { dropInPath, staleDropIn } from '../plan/trust/systemd-dropin.js';

import { containerExitCause, isRegistryAnswer, pingOnce, registryCause, smokePush, SMOKE_REPO } from '../execute/verify.js';
import { certInfo, covers, daysLeft } from '../formats/certificate.js';
import { certsDirAliasCa, certsDirCa, HTPASSWD, RENEW_DAYS, SERVER_CERT, SERVER_KEY } from '../tls/paths.js';
import { parseHtpasswd } from '../tls/htpasswd.js';
import { endpointUrl, type RegistryEndpoint } from '../registry-endpoint.js';
import { keptCa } from '../plan/tls-plan.js';
import type { SavedCredentials } from '../facts/docker-credentials.js';

/** skip: not run, since what it looks at is missing, which another check fails on (no container: container-exists). */
export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export interface Finding {
  id: string;
  status: Status;
  message: string;
  /** The exact command or step that fixes it (absent when ok). */
  fix?: string;
  /** On a host checked for several registries: the one this finding is about. */
  registry?: string;
  /** skip: the check that fails on what this one would look at. */
  cause?: string;
}

export interface CheckContext {
  facts: HostFacts;
  target: ContainerWanted & { entry: string };
  ports: Ports;
  /** For a registry with auth: whom to ask as (--user, or what `docker login` saved); null to ask anonymously. */
  credentials?: SavedCredentials | null;
  /**
   * A client host (check --registry): this host's dockerd and its trust of a registry that runs
   * elsewhere. The registry host's own checks (its container, certificate, data) are not run, and a
   * fix is `trust`, not `repair`.
   */
  client?: {
    /** the registry's CA in certs.d */
    ca: string | null;
    /** TLS with a certificate this host cannot verify: the TLS error */
    untrusted?: string;
  };
}

/** The TLS error of a failed request when the certificate was the problem (node names those codes after OpenSSL's). */
export function certificateProblem(err: unknown): string | null {
  const code = ((err as { cause?: NodeJS.ErrnoException }).cause ?? (err as NodeJS.ErrnoException))?.code;
  return code && /CERT|SIGNATURE|ISSUER/.test(code) ? code : null;
}

type Outcome = Omit<Finding, 'id'>;

export interface Check {
  id: string;
  /** Only with --deep: it changes the registry's contents (and undoes it). */
  deep?: boolean;
  /** About the registry's own host (its container, certificate, data): not run on a client host. */
  registryHost?: boolean;
  /** About the registry checked, not the host: run once for each registry a client host trusts. */
  perRegistry?: boolean;
  run(ctx: CheckContext): Outcome | Promise<Outcome>;
}

const REPAIR = 'setup-registry repair';
/** What converges this host: repair on the registry's host; on a client, trust (which also starts dockerd). */
const repairOf = (ctx: Pick<CheckContext, 'client' | 'target'>): string =>
  !ctx.client ? REPAIR : ctx.target.tls ? `setup-registry trust ${ctx.target.entry} --ca CA.crt --yes   (or: --ca-from-registry)` : `setup-registry trust ${ctx.target.entry} --yes`;
const ok = (message: string): Outcome => ({ status: 'ok', message });
const fail = (message: string, fix: string): Outcome => ({ status: 'fail', message, fix });
const warn = (message: string, fix: string): Outcome => ({ status: 'warn', message, fix });

/** A check of the registry's container; without one, only container-exists fails, the rest are skipped (one cause, one failure). */
function container(ctx: CheckContext, what: (c: NonNullable<HostFacts['container']>) => Outcome, missing: 'fail' | 'skip' = 'skip'): Outcome {
  const c = ctx.facts.container;
  if (!c && ctx.facts.docker.denied) return fail('unknown: dockerd cannot be asked as this user', 'sudo setup-registry check');
  const none = `no container named ${ctx.target.name}`;
  if (!c) return missing === 'fail' ? fail(none, REPAIR) : { status: 'skip', message: none, cause: 'container-exists' };
  return what(c);
}

/**
 * Waiting for its next restart, or between two: restarted by dockerd (its restart policy) and up
 * for less than the 10 s after which dockerd itself counts a start as good and resets its back-off.
 */
function keepsExiting(c: NonNullable<HostFacts['container']>, now = Date.now()): boolean {
  if (c.status === 'restarting') return true;
  return c.running && (c.restartCount ?? 0) > 0 && c.startedAt != null && now - c.startedAt < 10_000;
}

/** statfs(2) f_type of the file systems that live in memory. */
const TMPFS_MAGIC = 0x01021994;
const RAMFS_MAGIC = 0x858458f6;

/** Every check, in the order they are reported. Each reads the facts gathered once; none writes. */
export const CHECKS: readonly Check[] = [
  {
    id: 'distro-supported',
    run: ({ facts }) => (facts.distro.supported ? ok(`${facts.distro.name} (${facts.distro.knowledge.label})`) : warn(`${facts.distro.name} is not a distro this tool knows; the generic path (daemon.json) is used`, 'none needed if the checks below pass')),
  },
  {
    id: 'docker-installed',
    run: ({ facts }) => (facts.docker.installed ? ok(`docker ${facts.docker.serverVersion ?? facts.docker.clientVersion ?? ''}`.trim()) : fail('docker is not installed', 'apt-get install docker.io (Debian/Ubuntu), dnf install docker-ce or moby-engine (RHEL family)')),
  },
  {
    id: 'dockerd-running',
    run: ({ facts, ...ctx }) => {
      if (facts.docker.running) return ok(`dockerd ${facts.docker.serverVersion} (pid ${facts.docker.pid ?? '?'})`);
      if (facts.docker.podman) return fail('the docker command here is Podman (podman-docker): there is no dockerd', "install Docker (docker-ce from Docker's repository, or moby-engine on Fedora)");
      if (facts.docker.denied) return fail(`dockerd's socket is not open to this user (${facts.docker.error})`, 'sudo setup-registry check   (or add this user to the docker group)');
      const outOfReach = facts.docker.pid !== null ? apiOutOfReach(facts.docker.pid, facts.docker.argv, facts.daemonJson.config, facts.daemonJson.path) : null;
      if (outOfReach) return fail(outOfReach.problem, outOfReach.fix);
      return fail(`dockerd is not answering (${facts.docker.error ?? 'not running'})`, `${repairOf(ctx)}   (or: ${commandOf(managerOf(facts).start())})`);
    },
  },
  {
    id: 'docker-enabled',
    run: ({ facts, client }) => {
      const lost = client ? 'dockerd will not be running after a reboot' : 'the registry will not come back after a reboot';
      return facts.init === 'systemd'
        ? facts.startup.unitEnabled
          ? ok(`${facts.startup.unit} starts at boot`)
          : fail(`${facts.startup.unit} is not enabled: ${lost}`, commandOf(managerOf(facts).enableAtBoot()!))
        : facts.startup.unitEnabled === null
          ? ok('no /etc/init.d/docker: how dockerd starts at boot is up to this host')
          : facts.startup.unitEnabled
            ? ok('/etc/init.d/docker starts at boot')
            : fail(`/etc/init.d/docker does not start at boot (${facts.startup.bootLinks === 'stop' ? 'disabled' : 'no rc links'}): ${lost}`, commandOf(managerOf(facts).enableAtBoot()!));
    },
  },
  {
    id: 'daemon-json-valid',
    run: ({ facts, ...ctx }) => {
      if (facts.daemonJson.error) {
        return fail(facts.daemonJson.error, ctx.client ? `fix it by hand (setup-registry keeps a backup of each version it wrote: ${facts.daemonJson.path}.*.bak)` : `fix it by hand, or: ${REPAIR} --yes --restore-backup`);
      }
      const unreadable = unreadableByDockerd(facts);
      if (unreadable) return fail(unreadable, `${ctx.client ? repairOf(ctx) : `${REPAIR} --yes`}   (or by hand: ${facts.daemonJson.text!.trim() === '' ? `echo '{}' > ${facts.daemonJson.path}` : `sed -i '1s/^\\xEF\\xBB\\xBF//' ${facts.daemonJson.path}`})`);
      return ok(facts.daemonJson.text === null ? `${facts.daemonJson.path} absent` : `${facts.daemonJson.path} parses`);
    },
  },
  {
    id: 'daemon-flag-conflict',
    run: ({ facts, ...ctx }) => {
      const flags = registriesInFlags(facts);
      const inFile = facts.daemonJson.config?.[INSECURE_KEY];
      if (flags.length > 0 && Array.isArray(inFile) && inFile.length > 0) {
        return fail(`--insecure-registry ${flags.join(', ')} is a flag and ${facts.daemonJson.path} has insecure-registries: dockerd refuses to start`, repairOf(ctx));
      }
      // Any other directive in both places: which of the two the operator meant is theirs to say.
      const other = flagConflicts(flagSources(facts, 'start'), facts.daemonJson.config).find((c) => c.key !== INSECURE_KEY);
      return other
        ? fail(
            `"${other.key}" is in ${facts.daemonJson.path} and also given as ${other.flag} (${other.where}): dockerd refuses that file at its next reload, restart or boot`,
            `keep one of the two: remove "${other.key}" from ${facts.daemonJson.path}, or ${other.flag} from ${other.where.replace(/^the running dockerd's command line$/, "dockerd's command line")}`,
          )
        : ok('no directive is both a flag and in daemon.json');
    },
  },
  {
    id: 'env-file-expansion',
    run: ({ facts }) => {
      const found = unexpandedReferences(facts)[0];
      if (!found) return ok(facts.init === 'systemd' ? 'no $NAME that systemd would pass to dockerd as it is' : 'environment files are read by the shell');
      return fail(found.problem, found.fix);
    },
  },
  {
    id: 'dropin-current',
    run: ({ facts }) => {
      const stale = staleDropIn(facts);
      if (stale) return fail(`${stale.path} starts dockerd as "${stale.runs}", a copy of what ${facts.startup.unit} had (a package upgrade changed it since: "${stale.unitHas}")`, REPAIR);
      const ours = facts.startup.unitSources.some((s) => s.path === dropInPath(facts.startup.unit));
      return ok(ours ? `${dropInPath(facts.startup.unit)} runs ${facts.startup.unit}'s own ExecStart, with the trust's flags` : "no drop-in of setup-registry's");
    },
  },
  {
    id: 'daemon-json-keys',
    run: ({ facts }) => {
      const misread = misreadKeys(facts.daemonJson.config);
      const worst = misread.find((m) => m.dockerd === 'refuses') ?? misread[0];
      if (!worst) return ok('no misspelled keys');
      const fix = `rename "${worst.key}" to "${worst.meant}" in ${facts.daemonJson.path} (merged into it, if it is there too)`;
      return worst.dockerd === 'refuses'
        ? fail(`unknown key "${worst.key}" in ${facts.daemonJson.path}: dockerd refuses the file, so it will not start, nor reload, with it`, fix)
        : warn(`"${worst.key}" in ${facts.daemonJson.path} is a flag's name, not a key: dockerd ignores it, and what it holds is not in effect`, fix);
    },
  },
  {
    id: 'insecure-entries',
    run: ({ facts }) => {
      const list = facts.daemonJson.config?.[INSECURE_KEY];
      const entries = Array.isArray(list) ? (list as string[]) : [];
      const malformed = (e: string) => /:\/\/|\s|\//.test(e.replace(/\/\d+$/, ''));
      const bad = entries.find((e) => malformed(withoutScheme(e) ?? e));
      if (bad) return fail(`insecure-registries entry "${bad}" has a scheme, space or path`, `write it as HOST:PORT in ${facts.daemonJson.path}`);
      // dockerd drops http:// and https:// (warning at every start), and trusts what is left.
      const schemed = entries.find((e) => withoutScheme(e) !== null);
      return schemed
        ? warn(`insecure-registries entry "${schemed}" has a scheme: dockerd drops it and trusts ${withoutScheme(schemed)}, with a warning at every start`, `write it as ${withoutScheme(schemed)} in ${facts.daemonJson.path}`)
        : ok('entries are HOST:PORT');
    },
  },
  {
    id: 'registry-trusted',
    perRegistry: true,
    run: ({ facts, target, client }) =>
      target.tls
        ? facts.docker.liveInsecure?.registries.includes(target.entry)
          ? warn(`${target.entry} is also an insecure registry in docker info: dockerd does not verify its certificate`, client ? `setup-registry untrust ${target.entry} --yes   (removes the insecure entry; the CA in certs.d stays)` : `${REPAIR}   (an entry setup-registry did not add: remove it from insecure-registries yourself and reload dockerd)`)
          : client?.untrusted
            ? fail(`${target.entry} serves TLS with a certificate this host does not trust (${client.untrusted}): pushes fail with "x509: certificate signed by unknown authority"`, repairOf({ client, target }))
            : ok(client && client.ca === null ? 'TLS: a certificate from a publicly trusted CA' : 'TLS: trusted through the CA in certs.d (see tls-ca-installed)')
        : !facts.docker.running
        ? fail('dockerd is not answering', repairOf({ client, target }))
        : trustedLive(facts.docker.liveInsecure, target.entry)
          ? ok(`${target.entry} is an insecure registry in docker info`)
          : fail(`${target.entry} is not trusted by the live dockerd: pushes fail with "server gave HTTP response to HTTPS client"`, repairOf({ client, target })),
  },
  {
    id: 'dockerd-proxy',
    perRegistry: true,
    run: ({ facts, target }) => {
      const route = proxyRoute(facts, target.entry, Boolean(target.tls));
      return route
        ? warn(proxyWarning(route), route.fix)
        : ok(!facts.docker.running ? 'dockerd is not answering: its proxy is not known' : facts.docker.proxy ? `dockerd's proxy is not used for ${target.entry} (NO_PROXY, or loopback)` : 'dockerd has no proxy');
    },
  },
  {
    id: 'registry-configured',
    perRegistry: true,
    run: ({ facts, target, client }) => {
      const fix = repairOf({ client, target });
      if (target.tls) return ok('TLS: no insecure-registries entry needed');
      if (onLoopback(target.entry)) return ok(`${target.entry} is on loopback, which dockerd always trusts`);
      const other = facts.daemonJson.error ? null : trustingEntry(facts, target.entry);
      if (other) return ok(`${target.entry} is trusted by ${other} in the configuration, so it survives a restart`);
      if (facts.daemonJson.error) return fail('daemon.json cannot be read', client ? 'fix it by hand' : `${REPAIR} --yes --restore-backup`);
      let method;
      try {
        method = chooseMethod(facts, methodToUse(facts, target));
      } catch (err) {
        return fail((err as Error).message, fix);
      }
      // As dockerd reads them: "http://HOST:PORT" trusts HOST:PORT.
      const configured = [...method.configured(facts), ...registriesInFlags(facts)].map((e) => withoutScheme(e) ?? e);
      return configured.includes(target.entry)
        ? ok(`${target.entry} is in the configuration (${method.name}), so it survives a restart`)
        : fail(`${target.entry} is not in the configuration (${method.name}): the trust is lost at the next dockerd restart`, fix);
    },
  },
  {
    id: 'container-exists',
    registryHost: true,
    run: (ctx) => container(ctx, (c) => ok(`${ctx.target.name} (${c.id.slice(0, 12)})`), 'fail'),
  },
  {
    id: 'container-running',
    registryHost: true,
    run: async (ctx) => {
      // dockerd counts a container it keeps restarting as running: its log says why it exits.
      const c = ctx.facts.container;
      if (c && keepsExiting(c)) {
        const cause = await containerExitCause(ctx.ports.docker, ctx.target.name).catch(() => null);
        return fail(`${ctx.target.name} keeps exiting (dockerd has restarted it ${c.restartCount} time${c.restartCount === 1 ? '' : 's'})${cause ? `: ${cause}` : ''}`, `docker logs ${ctx.target.name}; then ${REPAIR}`);
      }
      return container(ctx, (c) => (c.status === 'paused' ? fail(`${ctx.target.name} is paused (docker pause): it answers nothing`, REPAIR) : c.running ? ok('running') : fail(`${ctx.target.name} is ${c.status}`, REPAIR)));
    },
  },
  {
    id: 'container-restart-policy',
    registryHost: true,
    run: (ctx) => container(ctx, (c) => (c.restartPolicy === 'always' ? ok('restart always') : fail(`restart policy is ${c.restartPolicy || 'no'}: it will not come back after a reboot`, REPAIR))),
  },
  {
    id: 'container-port',
    registryHost: true,
    run: (ctx) =>
      container(ctx, (c) => {
        const on = publishing({ ...ctx.target, ...publishingFacts(ctx.facts) }).on;
        const wanted = describePublished(on, ctx.target.port);
        return c.hostPort === String(ctx.target.port) && c.hostIp === on ? ok(`${wanted} published`) : fail(`${wanted} is not published (${describePublished(c.hostIp, c.hostPort)})`, REPAIR);
      }),
  },
  {
    id: 'container-data-dir',
    registryHost: true,
    run: (ctx) =>
      container(ctx, (c) => {
        if (c.dataDir !== ctx.target.dataDir) return fail(`${describeDataDir(ctx.target.dataDir)} is not mounted at /var/lib/registry (${c.dataDir ? describeDataDir(c.dataDir) : 'nothing'})`, REPAIR);
        if (c.staleBinds?.length) return fail(staleBindsProblem(c.staleBinds), REPAIR);
        const unlabeled = containerDifferences(c, { ...ctx.target, selinux: ctx.facts.docker.selinux }).find((d) => d.includes('SELinux'));
        return unlabeled ? fail(`${unlabeled.replace(/^data /, '')}: dockerd labels containers for SELinux`, REPAIR) : ok(`${describeDataDir(c.dataDir)} mounted`);
      }),
  },
  {
    id: 'container-image',
    registryHost: true,
    run: (ctx) => container(ctx, (c) => (containerDifferences(c, ctx.target).some((d) => d.startsWith('image')) ? warn(`image is ${c.image}, ${ctx.target.image} recorded`, REPAIR) : ok(c.image))),
  },
  {
    id: 'container-logs',
    registryHost: true,
    run: (ctx) =>
      container(ctx, (c) => {
        if (!c.log) return ok('log settings not known');
        if (unrotatedLog(c)) {
          const opts = Object.entries(LOG_OPTS).map(([k, v]) => `--log-opt ${k}=${v}`).join(' ');
          return warn(`its log (json-file, no max-size) is never cut: it grows with every request until the disk is full`, `docker rm -f ${ctx.target.name} && ${REPAIR} --yes   (made again with ${opts}; the images stay)`);
        }
        const cap = c.log.config['max-size'];
        return ok(cap ? `${c.log.type}, cut at ${cap}${c.log.config['max-file'] ? ` (${c.log.config['max-file']} files)` : ''}` : c.log.type);
      }),
  },
  {
    id: 'registry-ping',
    perRegistry: true,
    run: async ({ ports, target, facts, credentials, client }) => {
      const fix = client ? `setup-registry check on the registry's host` : REPAIR;
      const e = endpointOf(target, facts, null, client);
      const url = endpointUrl(e, '/v2/');
      try {
        const p = await pingOnce(ports, e);
        if (!isRegistryAnswer(p)) return fail(`GET ${url}: HTTP ${p.status}, Docker-Distribution-API-Version ${p.apiVersion ?? 'missing'}: not a v2 registry`, fix);
        if (target.auth && p.status !== 401) return fail(`GET ${url} without credentials: HTTP ${p.status}, but authentication should be required`, fix);
        const anonymous = `GET ${url}: ${p.status}${p.status === 401 ? ' (up, auth required)' : ''}, ${p.apiVersion}`;
        if (!target.auth || !credentials) return ok(anonymous);
        // The full check: the same request as a user must be let in.
        const as = await pingOnce(ports, endpointOf(target, facts, credentials, client));
        const who = `${credentials.user} (credentials from ${credentials.source})`;
        if (as.status !== 200) return fail(`${anonymous}; as ${who}: HTTP ${as.status}, not let in`, `docker login ${target.entry}   (or: setup-registry user add ${credentials.user})`);
        return ok(`${anonymous}; 200 as ${who}`);
      } catch (err) {
        const why = `GET ${url}: ${(err as Error & { cause?: Error }).cause?.message ?? (err as Error).message}`;
        // A client whose CA is missing or no longer the registry's: trusting it anew is the fix.
        if (client && certificateProblem(err)) return fail(why, repairOf({ client, target }));
        return fail(why, client ? `${fix}; from here, a firewall or route between this host and ${target.entry}` : `${fix}   (or: docker logs ${target.name})`);
      }
    },
  },
  {
    id: 'tls-certificate',
    registryHost: true,
    run: ({ facts, target }) => {
      if (!target.tls) return ok('not a TLS registry');
      // The operator's own certificate is theirs to renew: repair re-issues only from this tool's CA.
      const give = (what: string) => (target.tls?.provided ? `${what}: setup-registry --yes --tls-cert CERT --tls-key KEY` : REPAIR);
      const fix = give('renew it, then');
      if (!facts.tls?.serverCert) return fail(`no certificate in ${SERVER_CERT}`, give('give it again'));
      if (!facts.tls.serverKey) return fail(`no key in ${SERVER_KEY}: the registry cannot start`, give('give both again'));
      const info = certInfo(facts.tls.serverCert);
      const days = daysLeft(info);
      const whose = target.tls.provided ? 'the certificate given with --tls-cert' : 'the certificate';
      if (days < 0) return fail(`${whose} expired on ${info.validTo.toISOString().slice(0, 10)}`, fix);
      if (!covers(info, target.address)) return fail(`${whose} does not cover ${target.address} (SANs: ${[...info.ips, ...info.dns].join(', ')})`, fix);
      if (days < RENEW_DAYS) return warn(`${whose} expires in ${days} days`, fix);
      return ok(`certificate for ${[...info.ips, ...info.dns].join(', ')}, valid ${days} more days`);
    },
  },
  {
    id: 'tls-ca-installed',
    perRegistry: true,
    run: ({ facts, target, client }) => {
      if (!target.tls) return ok('not a TLS registry');
      if (client?.untrusted) return fail(`no CA for ${target.entry} in ${certsDirCa(target.entry)}`, repairOf({ client, target }));
      if (client) return ok(client.ca === null ? 'no CA in certs.d: the certificate is from a publicly trusted CA' : `CA installed as ${certsDirCa(target.entry)}`);
      // The operator's CA is known here only when the certificate is self-signed (its own CA).
      const want = target.tls.provided ? keptCa({ serverCert: facts.tls?.serverCert ?? null, certsD: null }) : facts.tls?.caCert;
      if (!want && target.tls.provided) return ok(facts.tls?.certsD ? `the CA given with --tls-ca is installed as ${certsDirCa(target.entry)}` : "no CA in certs.d: Docker checks the certificate against the system's CAs");
      if (!want) return ok('the certificate is not from this tool\'s CA');
      const alias = certsDirAliasCa(target.entry);
      if (facts.tls?.certsD !== want) return fail(`${certsDirCa(target.entry)} is missing or not this registry's CA: pushes fail with "x509: certificate signed by unknown authority"`, REPAIR);
      if (alias && facts.tls.certsDAlias !== want) return fail(`${alias} is missing or not this registry's CA: pushes to ${target.address}/NAME (port 443 left out) fail with "x509: certificate signed by unknown authority"`, REPAIR);
      return ok(`CA installed as ${certsDirCa(target.entry)}${alias ? ` and ${alias}` : ''}`);
    },
  },
  {
    id: 'auth-users',
    registryHost: true,
    run: ({ facts, target }) => {
      if (!target.auth) return ok('no authentication');
      const fix = 'setup-registry user add NAME';
      if (facts.tls?.htpasswd == null) return fail(`no password file at ${HTPASSWD}: the registry cannot start`, fix);
      const users = parseHtpasswd(facts.tls.htpasswd).size;
      return users === 0 ? fail(`nobody in ${HTPASSWD}: nobody can log in`, fix) : ok(`${users} user${users === 1 ? '' : 's'} in ${HTPASSWD}`);
    },
  },
  {
    id: 'data-dir-space',
    registryHost: true,
    run: async ({ ports, target, facts }) => {
      const where = describeDataDir(target.dataDir);
      // A volume's directory is where dockerd put it: known from the container that mounts it.
      const path = isVolume(target.dataDir) ? (facts.container?.dataDir === target.dataDir ? facts.container.dataPath : null) : target.dataDir;
      try {
        if (!path) throw new Error('not mounted');
        const s = statfsSync(ports.files.real(path));
        // tmpfs and ramfs live in memory: what the registry keeps there is gone at the next boot.
        if (s.type === TMPFS_MAGIC || s.type === RAMFS_MAGIC) return warn(`${where} is in memory (tmpfs): its images are lost at every reboot`, `install again with --data-dir on a disk, e.g. ${DEFAULTS.dataDir}`);
        const free = s.bavail / s.blocks;
        const text = `${(free * 100).toFixed(0)}% free in ${where}`;
        const collect = facts.container ? `, or delete what is not needed and collect its blobs: ${garbageCollectCommand(target.name, facts.container)}` : '';
        return free < 0.1 ? warn(text, `free space${collect}`) : ok(text);
      } catch {
        return warn(`${where} does not exist yet`, REPAIR);
      }
    },
  },
  {
    id: 'push',
    perRegistry: true,
    deep: true,
    run: async ({ ports, target, facts, credentials, client }) => {
      if (target.auth && !credentials) {
        return warn('auth is on, and no credentials to push with', `docker login ${target.entry}, then run check --deep again (or: check --deep --user USER --password-stdin)`);
      }
      const started = Date.now();
      try {
        const endpoint = endpointOf(target, facts, credentials ?? null, client);
        const pushed = await smokePush(ports, endpoint.entry, () => endpoint).run();
        return pushed.deleted
          ? ok(`pushed and deleted ${pushed.digest}`)
          : warn(`pushed ${pushed.digest}; the registry does not allow deletes, so ${target.entry}/${SMOKE_REPO}:latest stays`, 'REGISTRY_STORAGE_DELETE_ENABLED=true on the registry (setup-registry sets it on the registries it runs)');
      } catch (err) {
        const route = proxyRoute(facts, target.entry, Boolean(target.tls));
        // The registry's own log is on its host, not a client's.
        const cause = client ? null : await registryCause(ports.docker, target.name, started);
        return fail(`push to ${target.entry} failed: ${(err as Error).message.split('\n').slice(-1)[0]}${cause ? `; ${cause}` : ''}${route ? ` (${describeProxyRoute(route)})` : ''}`, route ? route.fix : client ? `setup-registry check --deep on the registry's host` : REPAIR);
      }
    },
  },
];

/** How check reaches the registry: over TLS with the tool's CA (or the operator's) when it serves TLS; as a user, or anonymously (401 is "up"). */
function endpointOf(target: CheckContext['target'], facts: HostFacts, credentials: SavedCredentials | null, client?: CheckContext['client']): RegistryEndpoint {
  const ca = client ? client.ca : target.tls?.provided && facts.tls ? keptCa(facts.tls) : (facts.tls?.caCert ?? facts.tls?.certsD ?? null);
  const tls = target.tls ? { ca } : null;
  return { entry: target.entry, tls, credentials: credentials && target.auth ? { user: credentials.user, password: credentials.password } : null };
}

/** scope: only the checks about the host, or only those about the registry (named in each finding); all when absent. */
export async function runChecks(ctx: CheckContext, opts: { deep: boolean; only?: readonly string[]; scope?: 'host' | 'registry' }): Promise<Finding[]> {
  const inScope = (c: Check) => opts.scope === undefined || (opts.scope === 'registry') === Boolean(c.perRegistry);
  const selected = CHECKS.filter((c) => (opts.only ? opts.only.includes(c.id) : !c.deep || opts.deep) && !(ctx.client && c.registryHost) && inScope(c));
  if (opts.scope === 'registry') return Promise.all(selected.map(async (c) => ({ id: c.id, ...(await c.run(ctx)), registry: ctx.target.entry })));
  // Independent: all of them read the same facts, so they run concurrently.
  const findings: Finding[] = await Promise.all(selected.map(async (c) => ({ id: c.id, ...(await c.run(ctx)) })));
  // A check skipped for a cause no check of this run fails on (--only container-running) fails itself: its exit code must say so.
  const failed = new Set(findings.filter((f) => f.status === 'fail').map((f) => f.id));
  return findings.map(({ cause, ...f }) => (f.status !== 'skip' ? f : failed.has(cause!) ? { ...f, cause } : { ...f, status: 'fail', fix: REPAIR }));
}
