/**
 * A container's logs as GET /containers/NAME/logs sends them for a container without a terminal:
 * frames of an 8-byte header (stream: 1 stdout, 2 stderr; three zero bytes; the payload's length,
 * big-endian) and the payload. Returns the text of both streams in order; a body that is not framed
 * (a container with a terminal) is returned as it is.
 */
export function demuxLogs(body: Buffer): string {
  const parts: Buffer[] = [];
  let at = 0;
  while (at + 8 <= body.length) {
    const stream = body[at]!;
    if (stream > 2 || body[at + 1] !== 0 || body[at + 2] !== 0 || body[at + 3] !== 0) return body.toString('utf8');
    const size = body.readUInt32BE(at + 4);
    parts.push(body.subarray(at + 8, Math.min(at + 8 + size, body.length)));
    at += 8 + size;
  }
  return at === 0 && body.length > 0 ? body.toString('utf8') : Buffer.concat(parts).toString('utf8');
}

/**
 * The cause the registry logged for its last failed request (distribution's `level=error ...
 * err.detail="..."`, as text or JSON): a push through dockerd reports only the HTTP status, as in
 * "received unexpected HTTP status: 500 Internal Server Error".
 */
export function registryLoggedError(text: string): string | null {
  const last = text.split('\n').filter((l) => hasLevel(l, 'error')).at(-1);
  if (!last) return null;
  for (const key of ['err.detail', 'err.message']) {
    const value = quotedField(last, key);
    if (value && value !== 'unknown error') return value;
  }
  return null;
}

/** logrus writes `level=error` as text, `"level":"error"` as JSON. */
function hasLevel(line: string, level: string): boolean {
  return new RegExp(`\\blevel"?[=:]"?${level}\\b`).test(line);
}

/** A quoted field of a logrus line, text (`key="..."`) or JSON (`"key":"..."`), unescaped. */
function quotedField(line: string, key: string): string | undefined {
  const name = key.replace(/\./g, '\\.');
  return new RegExp(`"?${name}"?[=:]"((?:[^"\\\\]|\\\\.)*)"`).exec(line)?.[1]?.replace(/\\(["\\])/g, '$1');
}

/**
 * Why the registry stopped at its start, from its log: its last `panic: ...` line (a configuration
 * it cannot use: distribution panics, then prints a stack trace) or `level=fatal msg="..."` (a
 * file it cannot open). null when it logged neither.
 */
export function exitCause(text: string): string | null {
  for (const line of text.split('\n').reverse()) {
    const panic = /^panic: (.+)$/.exec(line.trim());
    if (panic) return panic[1]!;
    const msg = hasLevel(line, 'fatal') ? quotedField(line, 'msg') : undefined;
    if (msg) return msg;
  }
  return null;
}
