import { writeSync } from 'node:fs';
import { Command, Option } from 'commander';
import { exitCodeOf, EXIT_USAGE, UsageError } from './errors.js';
import type { InstallFlags } from './commands/install.js';
import type { CheckFlags } from './commands/check.js';
import type { RepairFlags } from './commands/repair.js';
import type { UninstallFlags } from './commands/uninstall.js';
import type { TrustFlags } from './commands/trust.js';
import type { QueryFlags } from './commands/query.js';
import type { UserFlags } from './commands/user.js';
import pkg from '../package.json' with { type: 'json' };
import { trace } from './trace.js';
import { jsonErrorIfUnwritten } from './output.js';

/** Help text to a pipe that was closed (`| head`) is not an error of the tool. */
function writeTo(fd: number, text: string): void {
  try {
    writeSync(fd, text);
  } catch {
    // EPIPE: nobody reads it any more
  }
}

/** Parses the command line and runs one command; resolves to the exit code. Commands load on demand. */
/**
 * A change needs root: as anyone else the docker socket and /etc/docker are out of reach, and the
 * run would get as far as its first write before failing. A dry run only reads (the docker group may do).
 */
function requireRoot(opts: { dryRun?: boolean; root?: string }): void {
  if (opts.dryRun || opts.root || process.getuid?.() === 0) return;
  throw new UsageError("must run as root: it changes Docker's configuration and containers (run it with sudo; --dry-run does not need root)");
}

export async function main(argv: string[]): Promise<number> {
  trace('bundle loaded');
  let code = 0;
  const program = new Command('setup-registry')
    .description('Turn this host into a working private Docker registry, trusted by its Docker daemon.')
    .version(pkg.version, '-V, --version')
    .exitOverride()
    // Help and --version write straight to the descriptors: process.stdout would load the stream modules first.
    .configureOutput({ writeOut: (text) => writeTo(1, text), writeErr: (text) => writeTo(2, text) })
    .showHelpAfterError('(run setup-registry --help for usage)')
    // The default command's options must not swallow a subcommand's options of the same name.
    .enablePositionalOptions();

  const root = () => new Option('--root <dir>', 'treat DIR as / for configuration files (testing)').hideHelp();
  const changing = (cmd: Command) =>
    cmd
      .option('-y, --yes', 'do not ask: apply the plan (for provisioning)')
      .option('--dry-run', 'print the plan and the file diffs; change nothing')
      .option('--json', 'print one JSON object with the result on stdout')
      .addOption(root())
      // Hooks also run for subcommands: only this command's own action is checked.
      .hook('preAction', (_, action) => {
        if (action === cmd) requireRoot(action.opts());
      });
  const target = (cmd: Command) =>
    cmd
      .option('--address <host>', "address clients use to reach the registry (default: the installed one, else this host's primary IPv4)")
      .option('--port <port>', 'registry port on this host (default: the installed one, else 5000)')
      .option('--name <name>', 'registry container name (default: the installed one, else registry)')
      .option('--image <image>', 'registry image (default: the installed one, else registry:3)')
      .option('--data-dir <dir>', 'where the registry keeps images (default: the installed one, else /var/lib/registry)')
      .option('--method <method>', 'how dockerd is told to trust it: auto, daemon-json, docker-opts, systemd-dropin, sysconfig (default: the installed one, else auto)');

  const installCommand = (cmd: Command) =>
    changing(target(cmd))
      .option('--timeout <seconds>', 'how long to wait for dockerd and the registry (default: 60)')
      .option('--install-docker', "install Docker from the distro's packages when it is missing (required with --yes)")
      .option('--image-archive <file>', 'load the registry image from a `docker save` archive (air-gapped hosts)')
      .option('--offline-image', "build the registry image from the distro's registry package when it is not there (no Docker Hub)")
      .option('--tls', "serve TLS with a certificate from this host's own CA; Docker trusts it by the CA in certs.d")
      .option('--no-tls', 'serve plain HTTP again (an installed TLS registry keeps TLS unless told)')
      .option('--san <name>', 'another address or name clients use, in the certificate (repeatable)', (v: string, all: string[] = []) => [...all, v])
      .option('--tls-cert <file>', 'serve TLS with your own certificate (it must cover --address)')
      .option('--tls-key <file>', 'the key of --tls-cert')
      .option('--tls-ca <file>', 'the CA that signed --tls-cert, installed in certs.d')
      .option('--auth <user>', 'htpasswd authentication (bcrypt), needs TLS; the password from --password-stdin or a prompt')
      .option('--no-auth', 'drop the authentication (an installed registry keeps its users unless told)')
      .option('--password-stdin', 'read the --auth password from standard input')
      .addOption(new Option('--password <password>', 'the --auth password on the command line (lands in shell history)').hideHelp())
      .action(async (flags: InstallFlags) => {
        code = await (await import('./commands/install.js')).install(flags);
      });
  // The default command takes no arguments: a word there is a mistyped command ("instal"), which
  // commander names with a suggestion, instead of "too many arguments" (or "must run as root").
  program.hook('preAction', (_, action) => {
    if (action === program && program.args.length > 0) (program as unknown as { unknownCommand(): never }).unknownCommand();
  });
  installCommand(program);
  installCommand(program.command('install').description('install the registry and trust it (the default command)'));

  target(program.command('check').description('diagnose every layer, read-only; exit 1 when a check fails'))
    .option('--json', 'print { ok, checks, facts } on stdout')
    .option('--deep', 'also push a tiny image and delete it (proves the trust end to end)')
    .option('--only <ids>', 'run only these checks (comma-separated)')
    .option('--list-checks', 'list the check ids')
    .option('--registry <host:port>', "a client host: check this host's trust of a registry running elsewhere (after trust)")
    .option('--user <name>', 'with auth: check (and push, with --deep) as this user; default: what docker login saved')
    .option('--password-stdin', 'read the --user password from standard input')
    .addOption(root())
    .action(async (flags: CheckFlags) => {
      code = await (await import('./commands/check.js')).check(flags);
    });

  changing(target(program.command('repair').description('run check, then fix exactly what failed, then check again')))
    .option('--restore-backup', 'with --yes: replace an unparseable daemon.json by its newest backup that parses')
    .option('--install-docker', "install Docker from the distro's packages when it is missing")
    .action(async (flags: RepairFlags) => {
      code = await (await import('./commands/repair.js')).repair(flags);
    });

  changing(program.command('uninstall').description('remove the container and exactly the trust entries this tool added'))
    .option('--purge', "also delete the registry's data directory")
    .action(async (flags: UninstallFlags) => {
      code = await (await import('./commands/uninstall.js')).uninstall(flags);
    });

  for (const mode of ['trust', 'untrust'] as const) {
    changing(program.command(`${mode} <registry...>`).description(mode === 'trust' ? "make this host's dockerd trust registries running elsewhere (HOST:PORT)" : 'remove registries from the trust'))
      .option('--method <method>', mode === 'trust' ? "auto, daemon-json, docker-opts, systemd-dropin, sysconfig (default: the one this host's earlier trusts were made with, else auto)" : 'auto, daemon-json, docker-opts, systemd-dropin, sysconfig (default: the one whose file holds the registry, else auto)')
      .option('--timeout <seconds>', 'how long to wait for dockerd (default: 60)')
      .option('--ca <file>', 'a TLS registry: trust its CA (installed in /etc/docker/certs.d/HOST:PORT/ca.crt) instead of an insecure entry')
      .option('--ca-from-registry', "a TLS registry: fetch the CA from the registry's chain, confirm it by fingerprint")
      .action(async (registries: string[], flags: TrustFlags) => {
        code = await (await import('./commands/trust.js')).trust(registries, flags, mode);
      });
  }

  changing(program.command('user <action> [name]').description('manage the registry users (htpasswd): add NAME, remove NAME, list'))
    .option('--password-stdin', 'read the password from standard input')
    .addOption(new Option('--password <password>', 'the password on the command line (lands in shell history)').hideHelp())
    .action(async (action: string, name: string | undefined, flags: UserFlags) => {
      code = await (await import('./commands/user.js')).user(action, name, flags);
    });

  const querying = (cmd: Command) =>
    cmd
      .option('--registry <host:port>', 'registry to ask (default: the one installed here)')
      .option('--page-size <n>', 'entries asked for per request; Link pages are followed (default: 100)')
      .option('--user <name>', 'log in as this user (the password from --password-stdin)')
      .option('--password-stdin', 'read the password from standard input')
      .option('--json', 'print JSON')
      .addOption(root());
  querying(program.command('catalog').description('list the repositories in the registry')).action(async (flags: QueryFlags) => {
    code = await (await import('./commands/query.js')).query('catalog', undefined, flags);
  });
  querying(program.command('tags <name>').description("list a repository's tags")).action(async (name: string, flags: QueryFlags) => {
    code = await (await import('./commands/query.js')).query('tags', name, flags);
  });
  // Set last: subcommands made after it would inherit the leniency (see the hook above).
  program.allowExcessArguments(true);

  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; message: string; name?: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    // Ctrl-C at a question: every question comes before the first change.
    if (e.name === 'ExitPromptError') e.message = 'cancelled at the prompt: nothing was changed';
    const exitCode = e.code?.startsWith('commander.') ? EXIT_USAGE : exitCodeOf(err);
    jsonErrorIfUnwritten(argv, e.message.replace(/^error: /, ''), exitCode);
    if (e.code?.startsWith('commander.')) return EXIT_USAGE;
    process.stderr.write(`setup-registry: ${e.message.split('\n')[0]}${e.message.includes('\n') ? `\n${e.message.split('\n').slice(1).join('\n')}` : ''}\n`);
    return exitCode;
  }
  return code;
}
