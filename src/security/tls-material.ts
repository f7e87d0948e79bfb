/**
 * TlsMaterial: the broker's certificate, key and optional CA bundle (`--tls-cert`, `--tls-key`,
 * `--tls-ca`), read from their files and shared by every TLS listener (Kafka, gRPC, HTTP).
 *
 * `reload()` (SIGHUP, or a change of one of the files seen by a directory watch) reads the files
 * again and, only if they form a valid context (key matches certificate), hands the new options
 * to every subscriber, which swaps them in with `setSecureContext`: open connections keep their
 * session, new handshakes use the new certificate. A bad set is logged and the old one kept.
 * Everything runs on the event loop; subscribers are called synchronously in `reload`.
 */
import { readFileSync, watch, type FSWatcher } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import { X509Certificate } from 'node:crypto';
import { createSecureContext, type SecureContextOptions } from 'node:tls';
import type { Logger } from '../log.js';

export interface TlsFiles {
  cert: string;
  key: string;
  ca?: string | undefined;
}

export type ClientAuth = 'none' | 'requested' | 'required';

export class TlsMaterial {
  private current: SecureContextOptions;
  private readonly subscribers = new Set<(options: SecureContextOptions) => void>();
  private readonly watchers: FSWatcher[] = [];
  private pending: NodeJS.Timeout | undefined;
  private caCerts: X509Certificate[] = [];

  constructor(
    readonly files: TlsFiles,
    readonly clientAuth: ClientAuth,
    private readonly logger: Logger,
  ) {
    if (clientAuth !== 'none' && files.ca === undefined) throw new Error(`ssl.client.auth=${clientAuth} needs --tls-ca (the CA that client certificates chain to)`);
    this.current = this.read();
  }

  /** The context options of now (cert, key, ca). */
  get contextOptions(): SecureContextOptions {
    return this.current;
  }

  /** Options for `tls.createServer` / `https.createServer`: TLS 1.2 and 1.3 only, client certificates per ssl.client.auth. */
  serverOptions(): SecureContextOptions & { requestCert: boolean; rejectUnauthorized: boolean } {
    return {
      ...this.current,
      minVersion: 'TLSv1.2',
      maxVersion: 'TLSv1.3',
      requestCert: this.clientAuth !== 'none',
      rejectUnauthorized: this.clientAuth === 'required',
    };
  }

  /** Calls `fn` with the new options after every successful reload; returns the unsubscribe. */
  subscribe(fn: (options: SecureContextOptions) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  /** True when `raw` (a peer's DER certificate) was issued by one of the CAs and is valid now. */
  issuedByCa(raw: Buffer): boolean {
    try {
      const cert = new X509Certificate(raw);
      const now = Date.now();
      if (Date.parse(cert.validFrom) > now || Date.parse(cert.validTo) < now) return false;
      return this.caCerts.some((ca) => cert.checkIssued(ca) && cert.verify(ca.publicKey));
    } catch {
      return false;
    }
  }

  /** Reads the files again; on success every subscriber gets the new options. Returns whether it changed anything. */
  reload(): boolean {
    let next: SecureContextOptions;
    try {
      next = this.read();
    } catch (err) {
      this.logger.error({ err: (err as Error).message, files: this.files }, 'TLS reload failed; keeping the certificate in use');
      return false;
    }
    this.current = next;
    for (const fn of this.subscribers) {
      try {
        fn(next);
      } catch (err) {
        this.logger.error({ err: (err as Error).message }, 'a listener refused the reloaded TLS context');
      }
    }
    this.logger.info({ cert: this.files.cert }, 'TLS certificate and key reloaded');
    return true;
  }

  /** Reloads when any of the files changes (watching their directories, so a rename into place counts). */
  watchFiles(): void {
    const byDir = new Map<string, Set<string>>();
    for (const f of [this.files.cert, this.files.key, this.files.ca]) {
      if (f === undefined) continue;
      const full = resolve(f);
      const names = byDir.get(dirname(full)) ?? new Set<string>();
      names.add(basename(full));
      byDir.set(dirname(full), names);
    }
    for (const [dir, names] of byDir) {
      try {
        const w = watch(dir, { persistent: false }, (_event, name) => {
          if (name !== null && !names.has(name.toString())) return;
          // Writers touch a file more than once (truncate, write, rename): reload once they settle.
          clearTimeout(this.pending);
          this.pending = setTimeout(() => this.reload(), 200);
        });
        w.on('error', (err) => this.logger.warn({ err: err.message, dir }, 'TLS file watch failed; reload with SIGHUP'));
        this.watchers.push(w);
      } catch (err) {
        this.logger.warn({ err: (err as Error).message, dir }, 'cannot watch the TLS files; reload with SIGHUP');
      }
    }
  }

  close(): void {
    clearTimeout(this.pending);
    for (const w of this.watchers.splice(0)) w.close();
    this.subscribers.clear();
  }

  private read(): SecureContextOptions {
    const what = (file: string) => {
      try {
        return readFileSync(file);
      } catch (err) {
        throw new Error(`cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
      }
    };
    const options: SecureContextOptions = { cert: what(this.files.cert), key: what(this.files.key) };
    if (this.files.ca !== undefined) options.ca = what(this.files.ca);
    // Throws on a key that does not match the certificate, or unreadable PEM.
    createSecureContext(options);
    if (options.ca !== undefined) this.caCerts = splitPem(options.ca as Buffer).map((pem) => new X509Certificate(pem));
    return options;
  }
}

function splitPem(bundle: Buffer): string[] {
  return bundle.toString('utf8').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
}

/** The principal name a client certificate carries: the subject CN, else the first DNS or email SAN. */
export function certificateName(cert: { subject?: Record<string, string | string[] | undefined> | undefined; subjectaltname?: string | undefined } | undefined): string | undefined {
  if (cert === undefined) return undefined;
  const cn = cert.subject?.CN;
  const first = Array.isArray(cn) ? cn[0] : cn;
  if (first !== undefined && first.length > 0) return first;
  const san = cert.subjectaltname?.split(',').map((s) => s.trim()).find((s) => s.startsWith('DNS:') || s.startsWith('email:'));
  return san?.slice(san.indexOf(':') + 1);
}
