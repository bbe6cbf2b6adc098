import { describe, expect, it } from 'vitest';
import { waitForTrust } from '../../src/execute/verify.js';
import { serverFacts } from '../../src/facts/docker-engine.js';
import type { Ports } from '../../src/ports/index.js';

/**
 * How the install confirms the trust is live, with dockerd replaced by a fake that logs what it is
 * asked (the end-to-end tests run the same watch against a real dockerd's reload).
 */
const ENTRY = '198.18.0.1:5000';
const reloadLine = (registries: string[]) => `${JSON.stringify({ Type: 'daemon', Action: 'reload', Actor: { Attributes: { 'insecure-registries': JSON.stringify(registries) } } })}\n`;
const info = (names: string[]) => JSON.stringify({ ServerVersion: '20.10.24', RegistryConfig: { InsecureRegistryCIDRs: ['127.0.0.0/8'], IndexConfigs: Object.fromEntries(names.map((n) => [n, { Name: n, Secure: false }])) } });

function fakeDockerd(answers: { events: string; info: string }) {
  const asked: string[] = [];
  const ports = {
    docker: {
      socket: '/fake.sock',
      async request(method: string, p: string) {
        asked.push(p.split('?')[0]!);
        return { status: 200, text: p.startsWith('/events') ? answers.events : answers.info };
      },
    },
  } as unknown as Ports;
  return { asked, ports };
}

describe('waitForTrust', () => {
  it('after a reload, takes the trust from dockerd\'s reload event and never asks GET /info', async () => {
    const { asked, ports } = fakeDockerd({ events: reloadLine(['10.0.0.9:5000']) + reloadLine([ENTRY]), info: info([]) });
    await waitForTrust(ports, ENTRY, 2000, { reloadedSince: Date.now() });
    expect(asked).toEqual(['/events']);
  });

  it('a CIDR in the reload event covers the entry', async () => {
    const { ports } = fakeDockerd({ events: reloadLine(['198.18.0.0/16']), info: info([]) });
    await expect(waitForTrust(ports, ENTRY, 2000, { reloadedSince: Date.now() })).resolves.toBeUndefined();
  });

  it('only the last reload counts: one that dropped the entry is not live trust, and the failure says what dockerd took', async () => {
    const { ports } = fakeDockerd({ events: reloadLine([ENTRY]) + reloadLine(['10.0.0.9:5000']), info: info(['10.0.0.9:5000']) });
    await expect(waitForTrust(ports, ENTRY, 300, { reloadedSince: Date.now() })).rejects.toThrow(/not after 0 s \(insecure registries after the reload: 10\.0\.0\.9:5000\)/);
    // Another reload will not bring it: the wait ends soon after, instead of at the timeout.
    await expect(waitForTrust(ports, ENTRY, 60_000, { reloadedSince: Date.now() })).rejects.toThrow(
      `dockerd reloaded its configuration without ${ENTRY} (insecure registries after the reload: 10.0.0.9:5000): it did not read the entry where it was written`,
    );
  });

  it('with no reload event (an init script that restarts on reload), docker info is asked every tenth time and confirms it', async () => {
    const { asked, ports } = fakeDockerd({ events: '', info: info([ENTRY]) });
    await waitForTrust(ports, ENTRY, 5000, { reloadedSince: Date.now() });
    expect(asked).toEqual([...Array<string>(9).fill('/events'), '/info']);
  });

  it('without a reload in the plan, asks docker info at once', async () => {
    const { asked, ports } = fakeDockerd({ events: '', info: info([ENTRY]) });
    await waitForTrust(ports, ENTRY, 2000);
    expect(asked).toEqual(['/info']);
  });
});

describe('what GET /info says about dockerd', () => {
  const infoWith = (extra: object) => ({ socket: '/fake.sock', request: async () => ({ status: 200, text: JSON.stringify({ ServerVersion: '20.10.24', RegistryConfig: null, ...extra }) }) }) as unknown as Ports['docker'];
  it('SELinux labeling is on only when dockerd lists name=selinux in its security options', async () => {
    expect((await serverFacts(infoWith({ SecurityOptions: ['name=seccomp,profile=default', 'name=selinux'] }))).selinux).toBe(true);
    expect((await serverFacts(infoWith({ SecurityOptions: ['name=apparmor', 'name=seccomp,profile=default'] }))).selinux).toBe(false);
    expect((await serverFacts(infoWith({ SecurityOptions: null }))).selinux).toBe(false);
  });
  it('remapped users (userns-remap) show as name=userns', async () => {
    expect((await serverFacts(infoWith({ SecurityOptions: ['name=seccomp,profile=default', 'name=userns'] }))).userns).toBe(true);
    expect((await serverFacts(infoWith({ SecurityOptions: ['name=seccomp,profile=default'] }))).userns).toBe(false);
    // the remapped root is named by dockerd's own directory
    expect((await serverFacts(infoWith({ SecurityOptions: ['name=userns'], DockerRootDir: '/var/lib/docker/100000.100000' }))).usernsRoot).toBe(100000);
    expect((await serverFacts(infoWith({ SecurityOptions: [], DockerRootDir: '/var/lib/docker' }))).usernsRoot).toBeNull();
  });
});
