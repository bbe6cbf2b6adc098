import { createTwoFilesPatch } from 'diff';
import { describe, type Action } from './actions.js';


/** The plan as an operator reads it: each action, and a unified diff for each file. */
export function renderPlan(plan: { actions: readonly Action[]; notes: readonly string[] }): string {
  const lines: string[] = [];
  plan.actions.forEach((a, i) => {
    lines.push(`${i + 1}. ${describe(a)}`);
    if (a.kind === 'write-file') lines.push(indent(a.secret ? '(contents not shown: a key or password file)' : diffOf(a)));
  });
  for (const n of plan.notes) lines.push(`note: ${n}`);
  return lines.join('\n');
}

function diffOf(a: Extract<Action, { kind: 'write-file' }>): string {
  return createTwoFilesPatch(a.before === null ? '/dev/null' : a.path, a.path, a.before ?? '', a.after, '', '', { context: 3 })
    .split('\n')
    .slice(2)
    .join('\n')
    .trimEnd();
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `     ${l}`)
    .join('\n');
}

export function actionSummary(a: Action): Record<string, unknown> {
  switch (a.kind) {
    case 'write-file':
      return { kind: a.kind, path: a.path, why: a.why, created: a.before === null };
    case 'daemon':
      return { kind: a.kind, op: a.op, command: 'argv' in a.via ? a.via.argv : ['kill', '-HUP', String(a.via.pid)], why: a.why };
    case 'container':
      return { kind: a.kind, op: a.op, command: a.argv, why: a.why };
    case 'remove-path':
      return { kind: a.kind, path: a.path, ...(a.thenIfEmpty ? { thenIfEmpty: a.thenIfEmpty } : {}), why: a.why };
    case 'package':
      return { kind: a.kind, packages: a.packages, command: [...a.install, ...a.packages], why: a.why };
    case 'tls':
      return { kind: a.kind, op: a.op, why: a.why, ...(a.op === 'issue-cert' ? { sans: a.sans } : a.op === 'install-ca' ? { to: a.to } : {}) };
    case 'image':
      return a.op === 'load' ? { kind: a.kind, op: a.op, command: a.argv, why: a.why } : { kind: a.kind, op: a.op, tag: a.tag, from: a.binary, why: a.why };
  }
}
