import { HostRefusal, UsageError } from '../errors.js';

/**
 * Shell-style variable files (/etc/default/docker, /etc/sysconfig/docker), edited surgically:
 * only the one assignment we change is rewritten; comments, other variables and line order stay.
 * Why not `ini`: these files are shell (quotes, escapes, `export`, trailing comments), and ini
 * would rewrite every line and drop comments on output.
 */
export interface Assignment {
  name: string;
  value: string;
  line: number;
  /** text before the value (indent, `export `, `NAME=`) and after it (spaces, a comment) */
  prefix: string;
  suffix: string;
  quote: '"' | "'" | '';
  /** the value uses shell expansion ($VAR, `cmd`): we can read it literally but must not rewrite it */
  expands: boolean;
}

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

export function parseEnvFile(text: string, file: string): Assignment[] {
  const lines = text.split('\n');
  const out: Assignment[] = [];
  lines.forEach((raw, index) => {
    const m = ASSIGNMENT.exec(raw);
    if (!m) return;
    const [, lead, name, rest] = m as unknown as [string, string, string, string];
    const parsed = parseValue(rest);
    if (!parsed) throw new HostRefusal(`${file}:${index + 1}: cannot parse the value of ${name} safely (unterminated quote or continuation line); left unchanged`);
    out.push({
      name,
      value: parsed.value,
      line: index,
      prefix: `${lead}${name}=`,
      suffix: rest.slice(parsed.consumed),
      quote: parsed.quote,
      expands: parsed.expands,
    });
  });
  return out;
}

/** The value the shell would see (the last assignment wins), or undefined when unset. */
export function readVariable(text: string, name: string, file: string): string | undefined {
  return parseEnvFile(text, file).filter((a) => a.name === name).at(-1)?.value;
}

/**
 * Sets NAME to value: rewrites the last assignment of NAME in place (keeping `export` and any trailing
 * comment), or appends `NAME="value"` when the file has none. Returns the new text.
 */
export function setVariable(text: string, name: string, value: string, file: string): string {
  assertShellSafe(value, name);
  const last = parseEnvFile(text, file).filter((a) => a.name === name).at(-1);
  const lines = text.split('\n');
  if (!last) {
    const body = text === '' || text.endsWith('\n') ? text : `${text}\n`;
    return `${body}${name}=${quote(value, '"')}\n`;
  }
  if (last.expands) throw new HostRefusal(`${file}:${last.line + 1}: ${name} uses shell expansion ($ or \`), so it cannot be rewritten safely; left unchanged`);
  const style = last.quote === "'" && !value.includes("'") ? "'" : '"';
  lines[last.line] = `${last.prefix}${quote(value, style)}${last.suffix}`;
  return lines.join('\n');
}

/** Values we write into shell files must not be able to run or expand anything. */
export function assertShellSafe(value: string, what: string): void {
  if (/[\n\r"'`$\\;&|<>(){}]/.test(value)) throw new UsageError(`${what}: refusing to write a value with shell metacharacters: ${JSON.stringify(value)}`);
}

function quote(value: string, style: '"' | "'"): string {
  return `${style}${value}${style}`;
}

function parseValue(rest: string): { value: string; consumed: number; quote: '"' | "'" | ''; expands: boolean } | null {
  let value = '';
  let expands = false;
  let quoteSeen: '"' | "'" | '' = '';
  let i = 0;
  while (i < rest.length) {
    const c = rest[i]!;
    if (c === "'") {
      const end = rest.indexOf("'", i + 1);
      if (end < 0) return null;
      value += rest.slice(i + 1, end);
      quoteSeen ||= "'";
      i = end + 1;
    } else if (c === '"') {
      quoteSeen ||= '"';
      i++;
      let closed = false;
      while (i < rest.length) {
        const d = rest[i]!;
        if (d === '\\' && i + 1 < rest.length && '"\\$`'.includes(rest[i + 1]!)) {
          value += rest[i + 1];
          i += 2;
        } else if (d === '"') {
          closed = true;
          i++;
          break;
        } else {
          if (d === '$' || d === '`') expands = true;
          value += d;
          i++;
        }
      }
      if (!closed) return null;
    } else if (c === '\\') {
      if (i + 1 >= rest.length) return null; // continuation line
      value += rest[i + 1];
      i += 2;
    } else if (/\s/.test(c)) {
      break;
    } else {
      if (c === '$' || c === '`') expands = true;
      value += c;
      i++;
    }
  }
  return { value, consumed: i, quote: quoteSeen, expands };
}
