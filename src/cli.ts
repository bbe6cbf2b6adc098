import { Command, Option } from 'commander';
import { exitCodeOf, EXIT_USAGE } from './errors.js';
import type { InstallFlags } from './commands/install.js';
import pkg from '../package.json' with { type: 'json' };

/** Parses the command line and runs one command; resolves to the exit code. */
export async function main(argv: string[]): Promise<number> {
  let code = 0;
  const program = new Command('setup-registry')
    .description('Turn this host into a working private Docker registry, trusted by its Docker daemon.')
    .version(pkg.version, '-V, --version')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) })
    .showHelpAfterError('(run setup-registry --help for usage)');

  const installCommand = (cmd: Command) =>
    cmd
      .option('-y, --yes', 'do not ask: apply the plan (for provisioning)')
      .option('--address <host>', "address clients use to reach the registry (default: this host's primary IPv4)")
      .option('--port <port>', 'registry port on this host (default: 5000)')
      .option('--name <name>', 'registry container name (default: registry)')
      .option('--image <image>', 'registry image (default: registry:3)')
      .option('--data-dir <dir>', 'where the registry keeps images (default: /var/lib/registry)')
      .option('--method <method>', 'how dockerd is told to trust it: auto, daemon-json, docker-opts, systemd-dropin, sysconfig (default: auto)')
      .option('--dry-run', 'print the plan and the file diffs; change nothing')
      .option('--json', 'print one JSON object with the result on stdout')
      .option('--timeout <seconds>', 'how long to wait for dockerd and the registry (default: 60)')
      .addOption(new Option('--root <dir>', 'treat DIR as / for configuration files (testing)').hideHelp())
      .action(async (flags: InstallFlags) => {
        const { install } = await import('./commands/install.js');
        code = await install(flags);
      });

  installCommand(program);
  installCommand(program.command('install').description('install the registry and trust it (the default command)'));

  try {
    await program.parseAsync(argv);
  } catch (err) {
    const e = err as { code?: string; exitCode?: number; message: string };
    if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.code === 'commander.help') return 0;
    if (e.code?.startsWith('commander.')) return EXIT_USAGE;
    process.stderr.write(`setup-registry: ${e.message}\n`);
    return exitCodeOf(err);
  }
  return code;
}
