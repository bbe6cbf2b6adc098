import { HostRefusal, UsageError } from '../errors.js';

/**
 * Shell-style variable files (/etc/default/docker, /etc/sysconfig/docker), edited surgically:
 * only the text of the variable we change is edited, where it is written; comments, other
 * variables, quoting and line order stay. Why not `ini`: these files are shell (quotes, escapes,
 * `export`, continuation lines, `$VAR`), and ini would rewrite every line and drop comments on output.
 */
export interface Assignment {
  name: string;
  /** quotes and escapes taken off, a `$NAME` left as written (as systemd's EnvironmentFile= reads it) */
  value: string;
  /** the first line, and how many lines the value goes on over (continuation lines, or a quote left open) */
  line: number;
  lines: number;
  /** what follows the value on its last line (spaces, a comment) */
  suffix: string;
  /** where the value starts in its first line */
  offset: number;
  /** the value, piece by piece as the shell reads it, each with where it is written in the value's text */
  pieces: Piece[];
  /** the value's text ends with a closing quote (text added before it stays inside the quotes) */
  endsQuoted: boolean;
  /** an expansion the shell would do that is no plain $NAME or ${NAME} ($(cmd), `cmd`, ${X:-y}, $1): its value cannot be known here */
  unknowable: boolean;
}

/**
 * A character the shell takes literally (`plain`: written as itself, neither escaped nor made by a
 * quote trick), or a `$NAME` / `${NAME}` it replaces with that variable's value.
 */
export type Piece = { kind: 'char'; char: string; at: number; plain: boolean } | { kind: 'ref'; name: string; at: number };

const ASSIGNMENT = /^(\s*(?:export\s+)?)([A-Za-z_][A-Za-z0-9_]*)=(.*)$/;

export function parseEnvFile(text: string, file: string): Assignment[] {
  const lines = text.split('\n');
  const out: Assignment[] = [];
  for (let index = 0; index < lines.length; index++) {
    const m = ASSIGNMENT.exec(lines[index]!);
    if (!m) continue;
    const [, lead, name] = m as unknown as [string, string, string];
    const offset = lead.length + name.length + 1;
    // A value goes on over the next lines while a quote is open or a line ends in a backslash.
    let count = 1;
    let parsed = parseValue(lines[index]!.slice(offset));
    while (parsed === 'more' && index + count < lines.length) parsed = parseValue(lines.slice(index, index + ++count).join('\n').slice(offset));
    if (parsed === 'more') throw new HostRefusal(`${file}:${index + 1}: cannot parse the value of ${name} safely (a quote never closed, or a backslash on the file's last line); left unchanged`);
    const rest = lines.slice(index, index + count).join('\n').slice(offset);
    out.push({
      name,
      value: parsed.value,
      line: index,
      lines: count,
      suffix: rest.slice(parsed.consumed),
      offset,
      pieces: parsed.pieces,
      endsQuoted: parsed.endsQuoted,
      unknowable: parsed.unknowable,
    });
    index += count - 1;
  }
  return out;
}

/** The value as the shell reads it, each `$NAME` in it one character that is no white space (so the parts around it stay apart). */
function shapeOf(a: Assignment): string {
  return a.pieces.map((p) => (p.kind === 'char' ? p.char : '\u0001')).join('');
}

/** The lines an assignment is written on, as one text (its pieces' places count from `offset` in it). */
function writtenText(lines: readonly string[], a: Assignment): string {
  return lines.slice(a.line, a.line + a.lines).join('\n');
}

/** The value as written, quotes and escapes taken off and `$NAME` left as it is (as systemd's EnvironmentFile= reads it; the last assignment wins), or undefined when unset. */
export function readVariable(text: string, name: string, file: string): string | undefined {
  return parseEnvFile(text, file).filter((a) => a.name === name).at(-1)?.value;
}

/** A value the shell makes with a command or a parameter operator: known only by running the file. */
export class UnknowableValue extends HostRefusal {}

/**
 * The value NAME has once a shell has sourced the file (init scripts do: `. /etc/default/docker`):
 * each assignment in order, `$NAME` and `${NAME}` replaced by what the file set before (unset:
 * empty, as the init script's own `DOCKER_OPTS=` leaves it), so the blog posts' line
 * `DOCKER_OPTS="$DOCKER_OPTS --insecure-registry HOST:PORT"` adds to what came before it.
 * undefined when unset. A value made by a command or a parameter operator cannot be known here: refused.
 */
export function sourcedVariable(text: string, name: string, file: string): string | undefined {
  const env = new Map<string, string | Assignment>();
  for (const a of parseEnvFile(text, file)) {
    // What an assignment cannot be known from is remembered as that assignment, to name it if it is needed.
    const blocker = a.unknowable ? a : a.pieces.map((p) => (p.kind === 'ref' ? env.get(p.name) : undefined)).find((v): v is Assignment => typeof v === 'object');
    env.set(a.name, blocker ?? a.pieces.map((p) => (p.kind === 'char' ? p.char : ((env.get(p.name) as string | undefined) ?? ''))).join(''));
  }
  const value = env.get(name);
  if (typeof value === 'object') {
    throw new UnknowableValue(`${file}:${value.line + 1}: ${value.name === name ? name : `${name} depends on ${value.name}, which`} is set by a command or a parameter operator ($(...), \`...\`, \${X:-y}) that setup-registry does not evaluate; left unchanged`);
  }
  return value;
}

/**
 * Takes out of every assignment of NAME the parts of its value that `pick` names (by their span
 * in the value as the shell reads it, `$NAME` counted as one character), with the white space on
 * one side, editing the text as written: quotes, escapes, `$DOCKER_OPTS`, comments and every
 * other character stay. A part written with quotes or escapes inside it is refused.
 */
export function removeFromVariable(text: string, name: string, file: string, pick: (value: string) => { start: number; end: number }[]): string {
  const lines = text.split('\n');
  for (const a of parseEnvFile(text, file).filter((x) => x.name === name)) {
    const value = shapeOf(a);
    let written = writtenText(lines, a);
    // Last part first, so the spans still to go keep their places; none takes white space a later one took.
    let untouchedUntil = value.length;
    // White space goes with a part only where it is written next to it (not across a continuation line).
    const space = (k: number, next: number) => /\s/.test(value[k] ?? '') && a.pieces[k]!.at + (next > k ? 1 : -1) === a.pieces[next]!.at;
    for (const span of pick(value).sort((x, y) => y.start - x.start)) {
      let { start, end } = span;
      if (start > 0 && space(start - 1, start)) while (start > 0 && space(start - 1, start)) start--;
      else while (end < untouchedUntil && space(end, end - 1)) end++;
      untouchedUntil = start;
      const taken = a.pieces.slice(start, end);
      const asWritten = taken.every((p, k) => p.kind === 'char' && p.plain && (k === 0 || p.at === taken[k - 1]!.at + 1));
      if (!asWritten) throw new HostRefusal(`${file}:${a.line + 1}: ${JSON.stringify(value.slice(span.start, span.end))} in ${name} is written with quotes or escapes inside it; edit it by hand, left unchanged`);
      written = written.slice(0, a.offset + taken[0]!.at) + written.slice(a.offset + taken.at(-1)!.at + 1);
    }
    // (No removal spans a line end: the lines stay as many, and the next assignments where they were.)
    lines.splice(a.line, a.lines, ...written.split('\n'));
  }
  return lines.join('\n');
}

/**
 * Adds words at the end of NAME's value: inside the closing quote of its last assignment, or
 * around an unquoted value in double quotes (which keep a `$NAME` in it expanding), or as a new
 * `NAME="words"` line when the file sets none. The words are checked to be safe to write.
 */
export function appendToVariable(text: string, name: string, words: string, file: string, commentForNewLine?: string): string {
  assertShellSafe(words, name);
  const last = parseEnvFile(text, file).filter((a) => a.name === name).at(-1);
  if (!last) {
    let body = text === '' || text.endsWith('\n') ? text : `${text}\n`;
    // A last line that ends in a continuation (`X=\`) would take the new line into its value: a blank line ends it first.
    const at = body.split('\n').length - 1;
    if (!parseEnvFile(`${body}${name}=\n`, file).some((a) => a.name === name && a.line === at)) body += '\n';
    return `${body}${commentForNewLine ? `${commentForNewLine}\n` : ''}${name}=${quote(words, '"')}\n`;
  }
  const lines = text.split('\n');
  const line = writtenText(lines, last);
  const raw = line.slice(last.offset, line.length - last.suffix.length);
  const value = shapeOf(last);
  const gap = value === '' || /\s$/.test(value) ? '' : ' ';
  let written: string;
  if (raw === '') written = quote(words, '"');
  else if (last.endsQuoted) written = `${raw.slice(0, -1)}${gap}${words}${raw.slice(-1)}`;
  else if (/^[^\s"'`\\]*$/.test(raw)) written = `"${raw}${gap}${words}"`;
  else throw new HostRefusal(`${file}:${last.line + 1}: ${name} ends unquoted with escapes in it, where words cannot be added safely; quote its value, then run again; left unchanged`);
  lines.splice(last.line, last.lines, ...`${line.slice(0, last.offset)}${written}${last.suffix}`.split('\n'));
  return lines.join('\n');
}

/**
 * Takes out each assignment of NAME that is written on one line right after the line `comment`
 * and whose value is now empty, with that comment: a line a tool added whole (appendToVariable's
 * new line) goes whole once nothing of its own is left in it, not as `NAME=""`.
 */
export function removeEmptyCommentedAssignments(text: string, name: string, file: string, comment: string): string {
  const lines = text.split('\n');
  const gone = parseEnvFile(text, file)
    .filter((a) => a.name === name && a.lines === 1 && a.line > 0 && lines[a.line - 1] === comment && a.value.trim() === '' && a.suffix.trim() === '')
    .map((a) => a.line);
  if (gone.length === 0) return text;
  return lines.filter((_, i) => !gone.includes(i) && !gone.includes(i + 1)).join('\n');
}

/** Values we write into shell files must not be able to run or expand anything. */
export function assertShellSafe(value: string, what: string): void {
  if (/[\n\r"'`$\\;&|<>(){}]/.test(value)) throw new UsageError(`${what}: refusing to write a value with shell metacharacters: ${JSON.stringify(value)}`);
}

function quote(value: string, style: '"' | "'"): string {
  return `${style}${value}${style}`;
}

function parseValue(rest: string): { value: string; consumed: number; pieces: Piece[]; endsQuoted: boolean; unknowable: boolean } | 'more' {
  let value = '';
  let unknowable = false;
  let endsQuoted = false;
  const pieces: Piece[] = [];
  const char = (c: string, at: number, plain: boolean) => {
    value += c;
    pieces.push({ kind: 'char', char: c, at, plain });
  };
  // `$` at i: a $NAME or ${NAME} becomes a ref piece (returns the index after it); anything else is unknowable.
  const dollar = (i: number): number => {
    const m = /^\$(?:([A-Za-z_][A-Za-z0-9_]*)|\{([A-Za-z_][A-Za-z0-9_]*)\})/.exec(rest.slice(i));
    if (!m) {
      unknowable = true;
      char('$', i, false);
      return i + 1;
    }
    value += m[0];
    pieces.push({ kind: 'ref', name: (m[1] ?? m[2])!, at: i });
    return i + m[0].length;
  };
  let i = 0;
  while (i < rest.length) {
    const c = rest[i]!;
    if (/\s/.test(c)) break;
    endsQuoted = false;
    if (c === "'") {
      const end = rest.indexOf("'", i + 1);
      if (end < 0) return 'more';
      for (let j = i + 1; j < end; j++) char(rest[j]!, j, true);
      i = end + 1;
      endsQuoted = true;
    } else if (c === '"') {
      i++;
      let closed = false;
      while (i < rest.length) {
        const d = rest[i]!;
        if (d === '\\' && rest[i + 1] === '\n') {
          i += 2; // a continuation line: the shell drops both
        } else if (d === '\\' && i + 1 < rest.length && '"\\$`'.includes(rest[i + 1]!)) {
          char(rest[i + 1]!, i + 1, false);
          i += 2;
        } else if (d === '"') {
          closed = true;
          i++;
          break;
        } else if (d === '$') {
          i = dollar(i);
        } else {
          if (d === '`') unknowable = true;
          char(d, i, d !== '`');
          i++;
        }
      }
      if (!closed) return 'more';
      endsQuoted = true;
    } else if (c === '\\') {
      if (i + 1 >= rest.length) return 'more'; // a continuation line
      if (rest[i + 1] !== '\n') char(rest[i + 1]!, i + 1, false);
      i += 2;
    } else if (c === '$') {
      i = dollar(i);
    } else {
      if (c === '`') unknowable = true;
      char(c, i, c !== '`');
      i++;
    }
  }
  return { value, consumed: i, pieces, endsQuoted, unknowable };
}
