/**
 * Where words go: human text to stdout, or to stderr under --json so that stdout carries
 * exactly one JSON object.
 */
export interface Output {
  say(text: string): void;
  error(text: string): void;
  json(value: unknown): void;
}

let jsonWritten = false;

export function createOutput(json: boolean): Output {
  return {
    say: (text) => (json ? process.stderr : process.stdout).write(`${text}\n`),
    error: (text) => process.stderr.write(`${text}\n`),
    json: (value) => {
      if (!json) return;
      jsonWritten = true;
      process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}

/**
 * Under --json, a run that ends in an error before its command wrote its result (bad usage, a
 * refused host) still leaves one JSON object on stdout, for the provisioning tool that parses it.
 */
export function jsonErrorIfUnwritten(argv: readonly string[], message: string, exitCode: number): void {
  if (jsonWritten || !argv.includes('--json')) return;
  jsonWritten = true;
  process.stdout.write(`${JSON.stringify({ ok: false, changed: false, error: message, exitCode }, null, 2)}\n`);
}
