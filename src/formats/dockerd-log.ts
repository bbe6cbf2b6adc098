/**
 * dockerd's own log lines (logrus text: `time="..." level=... msg="..."`, in /var/log/docker.log or
 * the journal's message). A reload that dockerd refuses leaves no event and no API trace: only the
 * error logged right after "Got signal to reload configuration".
 */
interface LogLine {
  time: number;
  level: string;
  msg: string;
}

function parseLine(line: string): LogLine | null {
  const time = /\btime="([^"]+)"/.exec(line)?.[1];
  const level = /\blevel=(\w+)/.exec(line)?.[1];
  const quoted = (field: string) => new RegExp(`\\b${field}="((?:[^"\\\\]|\\\\.)*)"`).exec(line)?.[1]?.replace(/\\(.)/g, '$1');
  const msg = quoted('msg');
  if (!time || !level || msg === undefined) return null;
  // Newer dockerd logs the cause in a field of its own: `msg="Error reloading configuration" error="..."`.
  const error = quoted('error');
  return { time: Date.parse(time), level, msg: error ? `${msg}: ${error}` : msg };
}

/** Why dockerd refused the last reload it was asked for at or after `sinceMs` (epoch ms), or null when it has not (yet). */
export function reloadRefusal(log: string, sinceMs: number): string | null {
  const lines = log.split('\n').map(parseLine);
  // The clocks are the same host's; a second of slack covers a log that keeps only whole seconds.
  let asked = lines.length - 1;
  while (asked >= 0 && !(lines[asked] && /^Got signal to reload configuration/.test(lines[asked]!.msg) && lines[asked]!.time >= sinceMs - 1000)) asked--;
  if (asked < 0) return null;
  const next = lines.slice(asked + 1).find((l) => l !== null && l.time - lines[asked]!.time < 5000 && (l.level === 'error' || /^Reloaded configuration/.test(l.msg)));
  return next?.level === 'error' ? next.msg : null;
}
