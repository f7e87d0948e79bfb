/**
 * Test PKI made with the Debian `openssl` binary in a temp dir at test set-up (no committed
 * keys): a CA, a server certificate for localhost/127.0.0.1, and client certificates with a
 * given CN, all EC P-256 and valid for a day. `otherCa` makes an unrelated CA (for "wrong CA"
 * negatives). Test helper only.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Pki {
  dir: string;
  ca: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  /** Issues a client certificate with subject CN=`cn`; returns its cert and key paths. */
  client(cn: string, ca?: { ca: string; caKey: string }): { cert: string; key: string };
  /** Issues a fresh server certificate (same CA) into new files; returns their paths. */
  server(name: string): { cert: string; key: string };
  /** A new CA that issued none of the above. */
  otherCa(): { ca: string; caKey: string };
  read(path: string): Buffer;
  remove(): void;
}

const ossl = (dir: string, args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });

function makeCa(dir: string, name: string): { ca: string; caKey: string } {
  const caKey = join(dir, `${name}.key`);
  const ca = join(dir, `${name}.pem`);
  ossl(dir, ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', caKey, '-out', ca, '-days', '1', '-subj', `/CN=${name}`]);
  return { ca, caKey };
}

function issue(dir: string, name: string, subject: string, ca: { ca: string; caKey: string }, ext: string): { cert: string; key: string } {
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const cert = join(dir, `${name}.pem`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  ossl(dir, ['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', csr, '-subj', subject]);
  ossl(dir, ['x509', '-req', '-in', csr, '-CA', ca.ca, '-CAkey', ca.caKey, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', extFile]);
  return { cert, key };
}

export function makePki(): Pki {
  const dir = mkdtempSync(join(tmpdir(), 'rill-pki-'));
  const root = makeCa(dir, 'ca');
  const serverExt = 'subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n';
  const first = issue(dir, 'server', '/CN=localhost', root, serverExt);
  let others = 0;
  return {
    dir,
    ...root,
    serverCert: first.cert,
    serverKey: first.key,
    client: (cn, ca = root) => issue(dir, `client-${cn}-${(others += 1)}`, `/CN=${cn}`, ca, 'extendedKeyUsage=clientAuth\n'),
    server: (name) => issue(dir, `server-${name}`, `/CN=localhost`, root, serverExt),
    otherCa: () => makeCa(dir, `other-ca-${(others += 1)}`),
    read: (path) => readFileSync(path),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
