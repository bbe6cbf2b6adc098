// Exit codes are part of the interface: provisioning tools branch on them.
export const EXIT_FAILED = 1;
export const EXIT_USAGE = 2;

/** Bad usage or bad input: reported in one line, nothing on the host was changed. */
export class UsageError extends Error {
  readonly exitCode = EXIT_USAGE;
}

/** The host is in a state we refuse to touch (e.g. a file we cannot parse safely). Nothing changed. */
export class HostRefusal extends Error {
  readonly exitCode = EXIT_USAGE;
}

/** A command we ran failed; carries the command line and its output, the way kind reports failures. */
export class CommandFailed extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly exitCode: number | undefined,
    readonly output: string,
  ) {
    const shown = output.trim().split('\n').slice(-15).join('\n');
    super(`command failed (exit ${exitCode ?? 'signal'}): ${argv.join(' ')}${shown ? `\n${shown}` : ''}`);
  }
}

export function exitCodeOf(err: unknown): number {
  if (err && typeof err === 'object' && 'exitCode' in err && (err as UsageError).exitCode === EXIT_USAGE) return EXIT_USAGE;
  return EXIT_FAILED;
}
