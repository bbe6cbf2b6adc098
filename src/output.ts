/**
 * Where words go: human text to stdout, or to stderr under --json so that stdout carries
 * exactly one JSON object.
 */
export interface Output {
  say(text: string): void;
  error(text: string): void;
  json(value: unknown): void;
}

export function createOutput(json: boolean): Output {
  return {
    say: (text) => (json ? process.stderr : process.stdout).write(`${text}\n`),
    error: (text) => process.stderr.write(`${text}\n`),
    json: (value) => {
      if (json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
  };
}
