import { HostRefusal } from '../errors.js';
import { certInfo, covers, daysLeft, keyProblem, signedBy } from '../formats/certificate.js';
import type { HostFacts, TlsFacts } from '../facts/types.js';
import { AUTH_DIR, CA_CERT, certsDirAliasCa, certsDirCa, referenceName, HTPASSWD, RENEW_DAYS, SERVER_CERT, SERVER_KEY } from '../tls/paths.js';
import type { TlsAction, WriteFile } from './actions.js';
import type { ProvidedTls, Wanted } from './wanted.js';

export interface SecurePlan {
  actions: (TlsAction | WriteFile)[];
  /** The registry must restart to load a new certificate or password file. */
  reloadRegistry: boolean;
  notes: string[];
}

/** The certs.d files of the registry, with what they hold now (the port-less one of a registry on 443 too). */
function installedCas(entry: string, t: Pick<TlsFacts, 'certsD' | 'certsDAlias'>): { path: string; name: string; text: string | null }[] {
  const alias = certsDirAliasCa(entry);
  const primary = { path: certsDirCa(entry), name: entry, text: t.certsD };
  return alias ? [primary, { path: alias, name: `${referenceName(entry)} (port 443 left out, as image references do)`, text: t.certsDAlias ?? null }] : [primary];
}

/**
 * The operator's files an earlier install was given (--tls-cert, --tls-key, --tls-ca), as they are
 * on this host: the certificate and key the registry serves, and the CA in certs.d (a self-signed
 * certificate is its own CA, so its certs.d file can always be put back).
 */
export function keptTls(t: Pick<TlsFacts, 'serverCert' | 'serverKey' | 'certsD'>): ProvidedTls {
  if (!t.serverCert || !t.serverKey) {
    throw new HostRefusal(`the certificate given earlier with --tls-cert is gone (${t.serverCert ? SERVER_KEY : SERVER_CERT} is missing): give it again with --tls-cert and --tls-key`);
  }
  return { cert: t.serverCert, key: t.serverKey, ca: keptCa(t) };
}

/** The CA Docker trusts the operator's kept certificate by: its certs.d file, else itself when self-signed, else none (a publicly trusted one). */
export function keptCa(t: Pick<TlsFacts, 'serverCert' | 'certsD'>): string | null {
  return t.certsD ?? (t.serverCert && signedBy(t.serverCert, t.serverCert) ? t.serverCert : null);
}

/**
 * The secure registry's material: a server certificate whose SANs cover every address clients
 * use, signed by the tool's CA (or the operator's own files), the CA where Docker reads it
 * (certs.d: no insecure entry, no daemon reload), and the htpasswd file.
 */
export function planSecure(facts: HostFacts, w: Wanted, entry: string): SecurePlan {
  const out: SecurePlan = { actions: [], reloadRegistry: false, notes: [] };
  const t = facts.tls ?? { caCert: null, caKey: false, serverCert: null, serverKey: null, certsD: null, htpasswd: null };
  if (w.tls?.provided) {
    const provided = w.tls.provided;
    const kept = provided === 'kept';
    const { cert, key, ca } = provided === 'kept' ? keptTls(t) : provided;
    // The files an earlier install was given are named where they are now, with the way to replace them.
    const given = kept ? `the certificate given earlier with --tls-cert (${SERVER_CERT})` : '--tls-cert';
    const again = kept ? ': give one with --tls-cert and --tls-key' : '';
    let info;
    try {
      info = certInfo(cert);
    } catch {
      throw new HostRefusal(`${given}: it is not a certificate in PEM${again}`);
    }
    if (!covers(info, w.address)) {
      throw new HostRefusal(`${given} does not cover ${w.address} (its subjectAltNames: ${[...info.ips, ...info.dns].join(', ') || 'none'}); Docker would refuse it${again}`);
    }
    // A kept certificate that expired is served on (check fails, naming its renewal): refusing would
    // also stop the repair of everything else.
    if (!kept && daysLeft(info) < 0) throw new HostRefusal(`--tls-cert expired on ${info.validTo.toISOString().slice(0, 10)}`);
    // The registry would exit at its start, after the trust and the container were changed.
    const problem = keyProblem(cert, key);
    if (problem) throw new HostRefusal(kept ? `${SERVER_KEY}: ${problem}: give both again with --tls-cert and --tls-key` : `--tls-key: ${problem}`);
    if (t.serverCert !== cert) out.actions.push({ kind: 'write-file', path: SERVER_CERT, before: t.serverCert, after: cert, mode: 0o644, why: 'the server certificate given with --tls-cert' });
    if (t.serverCert !== cert || t.serverKey !== key) out.actions.push({ kind: 'write-file', path: SERVER_KEY, before: t.serverKey, after: key, mode: 0o600, why: 'the key given with --tls-key', secret: true });
    if (ca) {
      for (const c of installedCas(entry, t)) if (c.text !== ca) out.actions.push({ kind: 'write-file', path: c.path, before: c.text, after: ca, mode: 0o644, why: kept ? 'put back the CA Docker trusts this registry by' : 'trust the CA given with --tls-ca for this registry' });
    }
    out.reloadRegistry = t.serverCert !== cert || t.serverKey !== key;
  } else if (w.tls) {
    const newCa = !t.caCert || !t.caKey;
    if (newCa) out.actions.push({ kind: 'tls', op: 'create-ca', commonName: `setup-registry CA for ${w.address}`, why: 'a small CA of this host that signs the registry certificate (key mode 0600)' });
    const sans = [...new Set([w.address, ...w.tls.sans])];
    const current = t.serverCert ? certInfo(t.serverCert) : null;
    const why = newCa || !current || !t.serverKey ? 'no certificate yet'
      : !signedBy(t.serverCert!, t.caCert!) ? 'the certificate is not signed by this CA'
      : sans.some((s) => !covers(current, s)) ? `the certificate does not cover ${sans.filter((s) => !covers(current, s)).join(', ')}`
      : daysLeft(current) < RENEW_DAYS ? `the certificate expires in ${daysLeft(current)} days`
      : null;
    if (why) {
      out.actions.push({ kind: 'tls', op: 'issue-cert', sans, why });
      out.reloadRegistry = true;
    }
    for (const c of installedCas(entry, t)) {
      if (newCa || c.text !== t.caCert) out.actions.push({ kind: 'tls', op: 'install-ca', to: c.path, why: `Docker trusts ${c.name} through its CA in certs.d: no insecure entry, no daemon reload` });
    }
  }
  if (w.auth?.htpasswd !== undefined && w.auth.htpasswd !== t.htpasswd) {
    out.actions.push({ kind: 'write-file', path: HTPASSWD, before: t.htpasswd, after: w.auth.htpasswd, mode: 0o600, why: `htpasswd (bcrypt) in ${AUTH_DIR}, mounted read-only into the registry`, secret: true });
    out.reloadRegistry = true;
  }
  if (w.auth && !w.tls) throw new HostRefusal('--auth needs --tls: the registry only accepts basic auth over TLS');
  // Kept users with their file gone: the registry cannot start, and only a password can make the file again.
  if (w.auth && w.auth.htpasswd === undefined && t.htpasswd === null) throw new HostRefusal(`the registry's password file is gone (${HTPASSWD}): the registry cannot start without it; add a user again: setup-registry user add NAME`);
  if (out.actions.some((a) => a.kind === 'tls' && a.op === 'install-ca')) out.notes.push(`clients: setup-registry trust ${entry} --ca ${CA_CERT}`);
  return out;
}
