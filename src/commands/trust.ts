import { UsageError } from '../errors.js';
import { gatherFacts } from '../facts/gather.js';
import { hostPorts } from '../ports/index.js';
import { planTrust } from '../plan/trust-plan.js';
import { parseMethod } from '../plan/trust/index.js';
import { trustedLive } from '../plan/trust/daemon-json.js';
import { DEFAULTS, parseAddress, parsePort, parseTimeout } from '../plan/wanted.js';
import type { Step } from '../execute/executor.js';
import { isRegistryAnswer, pingOnce, waitForTrust } from '../execute/verify.js';
import { loadTemplates } from '../templates.js';
import { acquireLock } from '../execute/lock.js';
import { createOutput } from '../output.js';
import { applyChange, assertCanAsk, changeSummary, factsSummary } from './apply.js';

export interface TrustFlags {
  yes?: boolean;
  dryRun?: boolean;
  json?: boolean;
  method?: string;
  timeout?: string;
  root?: string;
}

/** HOST:PORT, validated: it is written into daemon.json or shell-style files. */
export function parseRegistry(value: string): string {
  const m = /^(.+):(\d+)$/.exec(value);
  if (!m) throw new UsageError(`"${value}" is not HOST:PORT`);
  return `${parseAddress(m[1]!)}:${parsePort(m[2]!)}`;
}

/**
 * Client hosts: make (or stop making) this dockerd trust registries that run elsewhere, with the
 * same methods, conflict handling and reload as install. Quiet and idempotent for fleets.
 */
export async function trust(registries: string[], flags: TrustFlags, mode: 'trust' | 'untrust'): Promise<number> {
  const out = createOutput(Boolean(flags.json));
  if (registries.length === 0) throw new UsageError(`${mode}: name at least one registry as HOST:PORT`);
  const entries = [...new Set(registries.map(parseRegistry))];
  const method = parseMethod(flags.method ?? 'auto');
  const timeoutMs = parseTimeout(flags.timeout ?? String(DEFAULTS.timeoutSeconds));
  assertCanAsk(flags);
  const ports = hostPorts(flags.root ?? '/');
  if (!flags.dryRun) await acquireLock(ports);
  const facts = await gatherFacts(ports, {});
  const plan = planTrust(facts, loadTemplates(), { method, add: mode === 'trust' ? entries : [], remove: mode === 'untrust' ? entries : [] });
  const change = { actions: [...plan.writes, ...plan.daemon], notes: plan.notes, daemon: plan.outcome };
  const result = (extra: Record<string, unknown>) => ({ ...extra, registries: entries, method: plan.method.name, ...changeSummary(change), facts: factsSummary(facts) });
  if (change.actions.length === 0) {
    out.say(mode === 'trust' ? `already trusted: ${entries.join(', ')}` : `not trusted by this host's configuration: ${entries.join(', ')}; nothing changed`);
    out.json(result({ ok: true, changed: false }));
    return 0;
  }
  const warnings: string[] = [];
  const verify: Step[] =
    mode === 'untrust'
      ? []
      : [
          ...entries.map((e) => ({ title: `confirm ${e} is trusted by the live dockerd (docker info)`, run: () => waitForTrust(ports, e, timeoutMs, (live) => trustedLive({ ...facts, docker: { ...facts.docker, liveInsecure: live } }, e)) })),
          {
            // A registry that is down right now is no reason to undo the trust: say so and keep it.
            title: `GET /v2/ of ${entries.join(', ')}`,
            run: async () => {
              for (const e of entries) {
                const p = await pingOnce(ports, e).catch((err: Error & { cause?: Error }) => err.cause?.message ?? err.message);
                if (typeof p === 'string' || !isRegistryAnswer(p)) warnings.push(`${e} does not answer as a v2 registry yet (${typeof p === 'string' ? p : `HTTP ${p.status}`})`);
              }
            },
          },
        ];
  const applied = await applyChange(ports, out, flags, facts, change, verify, timeoutMs);
  if (applied.status !== 'applied') return applied.status === 'dry-run' ? 0 : 1;
  const ok = !applied.report.failure;
  for (const w of warnings) out.error(`warning: ${w}`);
  if (ok) out.say(`${mode === 'trust' ? 'trusted' : 'no longer trusted'}: ${entries.join(', ')}`);
  out.json(result({ ok, changed: ok, warnings, error: applied.report.failure?.message }));
  return ok ? 0 : 1;
}
