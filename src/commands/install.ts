import { UsageError } from '../errors.js';
import { gatherFacts, primaryIPv4 } from '../facts/gather.js';
import type { HostFacts } from '../facts/types.js';
import { hostPorts, type Ports } from '../ports/index.js';
import { planInstall, type Plan } from '../plan/planner.js';
import { actionSummary, renderPlan } from '../plan/render.js';
import { parseMethod } from '../plan/trust/index.js';
import { trustedLive } from '../plan/trust/daemon-json.js';
import { DEFAULTS, entryOf, parseAddress, parseDataDir, parseImage, parseName, parsePort, parseTimeout, type Wanted } from '../plan/wanted.js';
import { execute, type Renderer, type Step } from '../execute/executor.js';
import { isRegistryAnswer, pingOnce, smokePush, waitForRegistry, waitForTrust } from '../execute/verify.js';
import { loadTemplates } from '../templates.js';
import { createOutput } from '../output.js';

export interface InstallFlags {
  yes?: boolean;
  address?: string;
  port?: string;
  name?: string;
  image?: string;
  dataDir?: string;
  method?: string;
  dryRun?: boolean;
  json?: boolean;
  timeout?: string;
  root?: string;
}

export async function install(flags: InstallFlags): Promise<number> {
  const out = createOutput(Boolean(flags.json));
  const interactive = !flags.yes && !flags.dryRun;
  if (interactive && !(process.stdin.isTTY && process.stdout.isTTY)) {
    throw new UsageError('no terminal to ask questions on: pass --yes (with --address, --port ...) to run unattended, or --dry-run to see the plan');
  }
  const partial = {
    port: flags.port === undefined ? DEFAULTS.port : parsePort(flags.port),
    name: parseName(flags.name ?? DEFAULTS.name),
    image: parseImage(flags.image ?? DEFAULTS.image),
    dataDir: parseDataDir(flags.dataDir ?? DEFAULTS.dataDir),
    method: parseMethod(flags.method ?? 'auto'),
    timeoutMs: parseTimeout(flags.timeout ?? String(DEFAULTS.timeoutSeconds)),
  };
  let address = flags.address === undefined ? undefined : parseAddress(flags.address);
  if (address === undefined && !interactive) {
    address = (await primaryIPv4()) ?? undefined;
    if (!address) throw new UsageError('could not find this host\'s primary IPv4 address: pass --address');
  }
  let wanted: Wanted = { ...partial, address: address ?? '' };
  if (interactive) wanted = await ask(wanted);

  const ports = hostPorts(flags.root ?? '/');
  const facts = await gatherFacts(ports, { name: wanted.name, port: wanted.port, image: wanted.image });
  const plan = planInstall(facts, wanted, loadTemplates());
  const entry = entryOf(wanted);

  if (plan.actions.length === 0) {
    const ping = await pingOnce(ports, entry).catch(() => null);
    if (ping && isRegistryAnswer(ping)) {
      out.say(`already configured: the registry at ${entry} is running and trusted by dockerd; nothing changed`);
      out.json(result(facts, plan, { ok: true, changed: false }));
      return 0;
    }
    out.say(`nothing to change, but the registry at http://${entry}/v2/ does not answer; run: setup-registry check`);
    out.json(result(facts, plan, { ok: false, changed: false, error: 'registry does not answer' }));
    return 1;
  }

  out.say(`${facts.distro.name} (${facts.distro.knowledge.label}), ${facts.init}, Docker ${facts.docker.serverVersion ?? facts.docker.clientVersion ?? '?'}${facts.docker.running ? '' : ' (not running)'}`);
  out.say(`trust method: ${plan.method}; daemon: ${plan.daemon === 'none' ? 'untouched' : plan.daemon}`);
  out.say(`plan:\n${renderPlan(plan)}`);
  if (flags.dryRun) {
    out.say('dry run: nothing was changed');
    out.json(result(facts, plan, { ok: true, changed: false, dryRun: true }));
    return 0;
  }
  if (interactive) {
    const { confirm } = await import('@inquirer/prompts');
    if (!(await confirm({ message: plan.daemon === 'restart' ? 'Apply this plan (dockerd WILL be restarted)?' : 'Apply this plan?', default: true }))) {
      out.say('nothing was changed');
      return 0;
    }
  }

  const renderer: Renderer = flags.json ? 'silent' : process.stdout.isTTY ? 'default' : 'simple';
  const report = await execute(ports, plan.actions, verifySteps(ports, facts, plan, wanted), { renderer, timeoutMs: wanted.timeoutMs });
  if (report.failure) {
    out.error(`failed: ${report.failure.message}`);
    if (report.rolledBack.length) out.error(`rolled back:\n  ${report.rolledBack.join('\n  ')}`);
    if (report.backups.length) out.error(`backups: ${report.backups.join(', ')}`);
    out.json(result(facts, plan, { ok: false, changed: report.applied.length > 0, error: report.failure.message, backups: report.backups, rolledBack: report.rolledBack }));
    return 1;
  }
  out.say(`\nregistry ready: http://${entry}/v2/ (data in ${wanted.dataDir})`);
  if (report.backups.length) out.say(`backups of changed files: ${report.backups.join(', ')}`);
  out.say(`push to it:\n  docker tag IMAGE ${entry}/NAME && docker push ${entry}/NAME`);
  out.json(result(facts, plan, { ok: true, changed: true, backups: report.backups }));
  return 0;
}

function verifySteps(ports: Ports, facts: HostFacts, plan: Plan, w: Wanted): Step[] {
  return [
    { title: `confirm ${plan.entry} is trusted by the live dockerd (docker info)`, run: () => waitForTrust(ports, plan.entry, w.timeoutMs, (live) => trustedLive({ ...facts, docker: { ...facts.docker, liveInsecure: live } }, plan.entry)) },
    { title: `wait for the registry: GET http://${plan.entry}/v2/`, run: async () => void (await waitForRegistry(ports, plan.entry, w.timeoutMs)) },
    { title: `push a tiny image to ${plan.entry} and delete it (proves the daemon trust)`, run: async () => void (await smokePush(ports, plan.entry)) },
  ];
}

async function ask(w: Wanted): Promise<Wanted> {
  const { input } = await import('@inquirer/prompts');
  const suggested = w.address || (await primaryIPv4()) || '';
  const address = parseAddress(await input({ message: 'Address clients will use to reach the registry', default: suggested, validate: valid(parseAddress) }));
  const port = parsePort(await input({ message: 'Port', default: String(w.port), validate: valid(parsePort) }));
  const dataDir = parseDataDir(await input({ message: 'Storage directory for images', default: w.dataDir, validate: valid(parseDataDir) }));
  return { ...w, address, port, dataDir };
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

function result(facts: HostFacts, plan: Plan, extra: Record<string, unknown>) {
  return {
    ...extra,
    entry: plan.entry,
    method: plan.method,
    daemon: plan.daemon,
    notes: plan.notes,
    actions: plan.actions.map(actionSummary),
    facts: {
      distro: { id: facts.distro.id, versionId: facts.distro.versionId, name: facts.distro.name, family: facts.distro.family, supported: facts.distro.supported },
      init: facts.init,
      docker: { installed: facts.docker.installed, running: facts.docker.running, clientVersion: facts.docker.clientVersion, serverVersion: facts.docker.serverVersion, pid: facts.docker.pid },
      daemonJson: facts.daemonJson.path,
      container: facts.container ? { id: facts.container.id, running: facts.container.running } : null,
    },
  };
}
