/**
 * dockerd option strings as they reach dockerd through $DOCKER_OPTS, $OPTIONS or $INSECURE_REGISTRY:
 * expanded unquoted, so the shell and systemd split them on whitespace only.
 * Edits work on the original text by spans, so every other flag keeps its exact spelling.
 */
interface Word {
  text: string;
  start: number;
  end: number;
}

function words(value: string): Word[] {
  const out: Word[] = [];
  const re = /\S+/g;
  for (let m = re.exec(value); m; m = re.exec(value)) out.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  return out;
}

const FLAG = '--insecure-registry';

/**
 * Finds `--insecure-registry X` and `--insecure-registry=X`; returns each value with the span it
 * occupies. A last `--insecure-registry` with no value (dockerd: "flag needs an argument") is
 * found with the registry '': it is a flag to take out, and no registry.
 */
function findInsecureFlags(value: string): { registry: string; start: number; end: number }[] {
  const ws = words(value);
  const found: { registry: string; start: number; end: number }[] = [];
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]!;
    if (w.text === FLAG && !ws[i + 1]) {
      found.push({ registry: '', start: w.start, end: w.end });
    } else if (w.text === FLAG) {
      found.push({ registry: unquote(ws[i + 1]!.text), start: w.start, end: ws[i + 1]!.end });
      i++;
    } else if (w.text.startsWith(`${FLAG}=`)) {
      found.push({ registry: unquote(w.text.slice(FLAG.length + 1)), start: w.start, end: w.end });
    }
  }
  return found;
}

/** The words dockerd gets from such a string, each with its quotes taken off. */
export function flagWords(value: string): string[] {
  return words(value).map((w) => unquote(w.text));
}

/** Where the flags of `only` (every registry when omitted) are in such a string, for an edit that keeps the rest as written. */
export function insecureFlagSpans(value: string, only?: readonly string[]): { start: number; end: number }[] {
  return findInsecureFlags(value).filter((f) => !only || only.includes(f.registry));
}

export function insecureRegistryFlags(value: string): string[] {
  return findInsecureFlags(value).flatMap((f) => (f.registry ? [f.registry] : []));
}

/** Ends in `--insecure-registry` with no value: a flag added after it would become its value. */
export function endsInBareInsecureFlag(value: string): boolean {
  return findInsecureFlags(value).some((f) => f.registry === '');
}

/** Removes the given registries' flags (all of them when `only` is omitted), keeping every other flag verbatim. */
export function withoutInsecureRegistryFlags(value: string, only?: readonly string[]): string {
  let out = value;
  for (const f of findInsecureFlags(value).reverse()) {
    if (only && !only.includes(f.registry)) continue;
    const before = out.slice(0, f.start);
    const after = out.slice(f.end);
    const gap = before.trim() && after.trim() ? ' ' : '';
    out = before.replace(/\s+$/, '') + gap + after.replace(/^\s+/, '');
  }
  return out;
}

export function withInsecureRegistryFlag(value: string, registry: string): string {
  if (insecureRegistryFlags(value).includes(registry)) return value;
  const flag = `${FLAG} ${registry}`;
  return value.trim() === '' ? flag : `${value.replace(/\s+$/, '')} ${flag}`;
}

/** Reads `--name value` / `--name=value` / `-x value` options from an argv (the running dockerd's, or a unit's ExecStart). */
export function optionValues(argv: readonly string[], names: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    for (const n of names) {
      if (a === n && i + 1 < argv.length) out.push(argv[i + 1]!);
      else if (n.startsWith('--') && a.startsWith(`${n}=`)) out.push(a.slice(n.length + 1));
    }
  }
  return out;
}

function unquote(s: string): string {
  return s.replace(/^(['"])(.*)\1$/, '$2');
}
