/**
 * The security flags of every `rill` client command: `--tls-ca <file>` (connect over TLS trusting
 * this CA), `--user <name>` and `--password <password>` (gRPC `authorization: Basic`, or SASL on
 * the Kafka listener for `acl`/`user`), each falling back to RILL_TLS_CA, RILL_USER and
 * RILL_PASSWORD. They are options of each client subcommand, not of the program: `rill serve`
 * has a `--tls-ca` of its own (the broker's CA). A user without a password (or a password
 * without a user) is a usage error. `withClient` finds the flags of the running subcommand
 * through `rememberClientFlags` (a preAction hook in program.ts). Pure apart from reading the CA
 * file.
 */
import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { RillClientOptions } from '../client/index.js';
import { usageError } from './cli-error.js';

export interface ClientSecurityFlags {
  tlsCa?: string;
  user?: string;
  password?: string;
}

export interface ClientSecurity {
  /** Path of the CA file. */
  tlsCa?: string;
  user?: string;
  password?: string;
}

export function addClientSecurityOptions(cmd: Command): Command {
  return cmd
    .option('--tls-ca <file>', 'connect over TLS, trusting this CA (PEM; or RILL_TLS_CA)')
    .option('--user <name>', 'authenticate as this user (or RILL_USER)')
    .option('--password <password>', 'the password of --user (or RILL_PASSWORD)');
}

/** The flags, else the environment; checked. */
export function clientSecurity(flags: ClientSecurityFlags, env: NodeJS.ProcessEnv = process.env): ClientSecurity {
  const pick = (flag: string | undefined, name: string) => flag ?? (env[name] !== undefined && env[name] !== '' ? env[name] : undefined);
  const tlsCa = pick(flags.tlsCa, 'RILL_TLS_CA');
  const user = pick(flags.user, 'RILL_USER');
  const password = pick(flags.password, 'RILL_PASSWORD');
  if (user !== undefined && password === undefined) throw usageError(`--user ${user} needs --password (or RILL_PASSWORD)`);
  if (user === undefined && flags.password !== undefined) throw usageError('--password needs --user (or RILL_USER)');
  const out: ClientSecurity = {};
  if (tlsCa !== undefined) out.tlsCa = tlsCa;
  if (user !== undefined && password !== undefined) {
    out.user = user;
    out.password = password;
  }
  return out;
}

/** The CA file's contents. */
export function readCa(path: string): Buffer {
  try {
    return readFileSync(path);
  } catch (err) {
    throw usageError(`--tls-ca ${path}: ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (err as Error).message}`);
  }
}

/**
 * grpc-js (1.14) sends the target host as the TLS server name even when it is an IP address, and
 * Node then prints a DEP0123 deprecation warning on stderr — noise in a CLI whose stderr is one
 * line per failure. The CLI (only) drops that one warning; every other warning still prints.
 */
function quietIpServernameWarning(): void {
  if (quieted) return;
  quieted = true;
  const printers = process.listeners('warning');
  process.removeAllListeners('warning');
  process.on('warning', (warning: Error & { code?: string }) => {
    if (warning.code === 'DEP0123') return;
    for (const print of printers) print(warning);
  });
}
let quieted = false;

/** The RillClientOptions of these flags (the CA read from its file). */
export function rillClientSecurity(security: ClientSecurity): Pick<RillClientOptions, 'tlsCa' | 'user' | 'password'> {
  const out: Pick<RillClientOptions, 'tlsCa' | 'user' | 'password'> = {};
  if (security.tlsCa !== undefined) {
    out.tlsCa = readCa(security.tlsCa);
    quietIpServernameWarning();
  }
  if (security.user !== undefined && security.password !== undefined) {
    out.user = security.user;
    out.password = security.password;
  }
  return out;
}

const remembered = new WeakMap<Command, ClientSecurityFlags>();

/** Called before each action: keeps the running subcommand's security flags for `withClient`. */
export function rememberClientFlags(program: Command, action: Command): void {
  const o = action.opts() as ClientSecurityFlags;
  const flags: ClientSecurityFlags = {};
  if (typeof o.tlsCa === 'string') flags.tlsCa = o.tlsCa;
  if (typeof o.user === 'string') flags.user = o.user;
  if (typeof o.password === 'string') flags.password = o.password;
  remembered.set(program, flags);
}

export function rememberedClientFlags(program: Command): ClientSecurityFlags {
  return remembered.get(program) ?? {};
}
