import { execa } from 'execa';
import { expect, it } from 'vitest';
import { TestHost } from '../test/e2e/harness/namespace-host.js';
import { hostEnv, REPO, TEST_ADDRESS } from '../test/e2e/harness/host.js';

/**
 * Side-by-side timings on real test hosts: each case alternates with its baseline in the same
 * run, and the report gives medians and the ratio of medians. Run with `npm run bench`.
 */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 9);
const INSTALL_ROUNDS = Number(process.env.BENCH_INSTALL_ROUNDS ?? 15);
const ENTRY = `${TEST_ADDRESS}:5000`;
const rows: string[][] = [];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/**
 * How far the ratio of medians could move from this run's rounds alone: a 95% bootstrap interval
 * (rounds resampled with replacement, each round's pair kept together; a fixed seed, so the same
 * times print the same interval). The machine's drift between runs comes on top of it.
 */
function ratioInterval(a: number[], b: number[], resamples = 2000): [number, number] {
  // mulberry32: a small seeded generator (Math.random cannot be seeded).
  let state = 42;
  const next = () => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const ratios: number[] = [];
  for (let r = 0; r < resamples; r++) {
    const picks = a.map(() => Math.floor(next() * a.length));
    ratios.push(median(picks.map((i) => a[i]!)) / median(picks.map((i) => b[i]!)));
  }
  ratios.sort((x, y) => x - y);
  return [ratios[Math.floor(resamples * 0.025)]!, ratios[Math.floor(resamples * 0.975)]!];
}
/**
 * How long dockerd took from creating the registry container to starting it (its own events), which
 * the floor spends too: the tool's run minus this is its own cost, and a difference in this shows
 * what the tool's concurrent work (the smoke image's load) costs the container's start.
 */
async function containerStart(h: TestHost, since: number): Promise<number> {
  // Fractional seconds: an --until in the future would make `docker events` wait for it.
  const r = await h.docker('events', '--since', (since - 0.5).toFixed(3), '--until', (Date.now() / 1000).toFixed(3), '--filter', 'type=container', '--filter', 'container=registry', '--format', '{{.Action}} {{.TimeNano}}');
  const at = (action: string) => Number(r.stdout.split('\n').find((l) => l.startsWith(`${action} `))?.split(' ')[1]);
  const ms = (at('start') - at('create')) / 1e6;
  if (!Number.isFinite(ms)) throw new Error(`no create and start events for the registry container: ${r.stdout}${r.stderr}`);
  return ms;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = process.hrtime.bigint();
  await fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}
function report(name: string, ms: number[], baseName: string, base: number[], extra = '') {
  rows.push([name, `${median(ms).toFixed(0)} ms`, baseName, `${median(base).toFixed(0)} ms`, `${(median(ms) / median(base)).toFixed(2)}x`, extra]);
}
async function must(run: Promise<{ exitCode: number; stderr: string; stdout: string }>, what: string) {
  const r = await run;
  if (r.exitCode !== 0) throw new Error(`${what} failed: ${r.stdout}${r.stderr}`);
  return r;
}

/** The manual recipe from the Docker docs, done carefully: jq merge, restart, run, poll (every 10 ms, as the tool does at first). */
const MANUAL = `set -e
f=/etc/docker/daemon.json; [ -s $f ] || echo '{}' > $f
jq --arg r ${ENTRY} '."insecure-registries" = ((."insecure-registries" // []) + [$r] | unique)' $f > $f.new && mv $f.new $f
service docker restart >/dev/null
until docker version >/dev/null 2>&1; do sleep 0.01; done
docker run -d -p 5000:5000 --restart=always --name registry -v /var/lib/registry:/var/lib/registry registry:3 >/dev/null
until curl -sf http://${ENTRY}/v2/ >/dev/null; do sleep 0.01; done`;
/** The floor: only starting the tool's own container (same settings) and waiting for it (polling every 10 ms). */
const FLOOR = `set -e
docker run -d -p 5000:5000 --restart=always --name registry -v /var/lib/registry:/var/lib/registry -e REGISTRY_STORAGE_DELETE_ENABLED=true --label io.github.setup-registry.managed=true --log-opt max-size=10m --log-opt max-file=3 registry:3 >/dev/null
until curl -sf http://${ENTRY}/v2/ >/dev/null; do sleep 0.01; done`;

/** Both sides of the start-up case run with the environment `sudo` gives, as in the test hosts (see hostEnv). */
const asOperator = { env: hostEnv(), extendEnv: false };

it('benchmark', async () => {
  // 1. start-up of the tool itself
  const version: number[] = [];
  const bare: number[] = [];
  for (let i = 0; i < ROUNDS * 2; i++) {
    version.push(await timed(() => execa('node', [`${REPO}/bin/setup-registry.cjs`, '--version'], asOperator)));
    bare.push(await timed(() => execa('node', ['-e', ''], asOperator)));
  }
  report('setup-registry --version', version, "node -e ''", bare);

  // 2. check and a no-op rerun on a healthy host (both sides run inside the host the same way)
  const host = await TestHost.create({ daemonJson: '{"log-driver": "json-file"}\n' });
  try {
    await must(host.tool('--yes', '--address', TEST_ADDRESS), 'install');
    const check: number[] = [];
    const noop: number[] = [];
    const nodeInHost: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
      check.push(await timed(() => must(host.tool('check'), 'check')));
      nodeInHost.push(await timed(() => host.exec(['node', '-e', ''])));
      noop.push(await timed(() => must(host.tool('--yes', '--address', TEST_ADDRESS), 'no-op install')));
      nodeInHost.push(await timed(() => host.exec(['node', '-e', ''])));
    }
    report('check (healthy host)', check, "node -e ''", nodeInHost);
    report('install --yes (no-op rerun)', noop, "node -e ''", nodeInHost);
  } finally {
    await host.destroy();
  }

  // 3. a fresh install against the manual recipe and the floor, each on a fresh host, alternating;
  //    a bystander container running before must keep its start time (not be interrupted).
  const times: Record<'tool' | 'manual' | 'floor', number[]> = { tool: [], manual: [], floor: [] };
  const interrupted: Record<'tool' | 'manual' | 'floor', number> = { tool: 0, manual: 0, floor: 0 };
  const starts: Record<'tool' | 'manual' | 'floor', number[]> = { tool: [], manual: [], floor: [] };
  for (let i = 0; i < INSTALL_ROUNDS; i++) {
    for (const kind of ['tool', 'manual', 'floor'] as const) {
      const h = await TestHost.create({ daemonJson: '{"log-driver": "json-file"}\n' });
      try {
        await must(h.docker('run', '-d', '--restart', 'always', '--name', 'bystander', 'registry:3'), 'bystander');
        const started = async () => (await h.docker('inspect', '-f', '{{.State.StartedAt}}', 'bystander')).stdout.trim();
        const before = await started();
        const run = kind === 'tool' ? () => must(h.tool('--yes', '--address', TEST_ADDRESS), 'install') : () => must(h.sh(kind === 'manual' ? MANUAL : FLOOR), kind);
        const since = Date.now() / 1000;
        times[kind].push(await timed(run));
        starts[kind].push(await containerStart(h, since));
        if ((await started()) !== before) interrupted[kind]++;
        if (kind !== 'floor') expect((await h.push(ENTRY, 'x')).ok, `${kind}: push after install`).toBe(true);
      } finally {
        await h.destroy();
      }
    }
  }
  report('fresh install (tool)', times.tool, 'manual recipe', times.manual, `interrupted containers: tool ${interrupted.tool}/${INSTALL_ROUNDS}, manual ${interrupted.manual}/${INSTALL_ROUNDS}`);
  report('fresh install (tool)', times.tool, 'floor (docker run + poll)', times.floor);
  report('manual recipe', times.manual, 'floor (docker run + poll)', times.floor);
  // Each round ran the three on fresh hosts one after another: the ratio within a round is the paired comparison.
  const paired = times.tool.map((t, i) => t / times.floor[i]!);
  const samples = (xs: number[]) => xs.map((x) => x.toFixed(0)).join(' ');
  const [low, high] = ratioInterval(times.tool, times.floor);
  process.stdout.write(
    `\nfresh install, ms per round: tool ${samples(times.tool)} | manual ${samples(times.manual)} | floor ${samples(times.floor)}\n` +
      `median of the per-round ratios tool/floor: ${median(paired).toFixed(2)}x\n` +
      `ratio of medians tool/floor: ${(median(times.tool) / median(times.floor)).toFixed(2)}x, 95% bootstrap interval ${low.toFixed(2)}x to ${high.toFixed(2)}x\n` +
      `the registry container's start (dockerd's create to start events), median: tool ${median(starts.tool).toFixed(0)} ms, floor ${median(starts.floor).toFixed(0)} ms; ` +
      `the rest of the run: tool ${median(times.tool.map((t, i) => t - starts.tool[i]!)).toFixed(0)} ms, floor ${median(times.floor.map((t, i) => t - starts.floor[i]!)).toFixed(0)} ms\n`,
  );

  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  process.stdout.write(`\ncase  median  baseline  median  ratio\n${lines.join('\n')}\n`);
});
