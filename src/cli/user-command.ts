/**
 * `rill user create|delete|list`: the SCRAM users of a broker, as `kafka-configs --alter
 * --add-config SCRAM-SHA-256=[...]` manages them — over the Kafka listener with
 * AlterUserScramCredentials / DescribeUserScramCredentials (KIP-554), authenticated like
 * `rill acl` (kafka-link.ts: `--user`/`--password`, `--tls-ca`). `create` salts the new password
 * here (PBKDF2, a fresh random salt per mechanism) and sends only salt, iterations and salted
 * password. The new user's password comes from `--new-password`, RILL_NEW_PASSWORD, or the first
 * line of standard input — never a prompt (`--password` is the password of the caller's own
 * `--user`). Kafka allows one change per user per request, so each mechanism is one request.
 */
import { pbkdf2Sync, randomBytes } from 'node:crypto';
import type { Command } from 'commander';
import { API_KEY } from '../kafka/protocol/api-registry.js';
import { DEFAULT_ITERATIONS, MAX_ITERATIONS, MECHANISM_TYPE, MIN_ITERATIONS, SCRAM_MECHANISMS, hashOf, mechanismOfType, type ScramMechanism } from '../security/scram-store.js';
import { CliError, usageError } from './cli-error.js';
import { examples } from './help-text.js';
import { addKafkaLinkOptions, withKafka, type KafkaLink, type KafkaLinkFlags } from './kafka-link.js';
import { printJson, printTable } from './output.js';
import { parseCount } from './parse-options.js';

interface UserFlags extends KafkaLinkFlags {
  mechanism?: string[];
  iterations?: string;
  newPassword?: string;
  json?: boolean;
}

interface Described {
  user: string;
  errorCode: number;
  errorMessage: string | null;
  credentialInfos: Array<{ mechanism: number; iterations: number }>;
}

const collect = (value: string, previous: string[] = []) => [...previous, ...value.split(',').map((v) => v.trim()).filter((v) => v !== '')];

function mechanismsOf(flags: UserFlags): ScramMechanism[] | undefined {
  if (flags.mechanism === undefined) return undefined;
  return [...new Set(flags.mechanism.map((m) => m.toUpperCase()))].map((m) => {
    if (!(SCRAM_MECHANISMS as readonly string[]).includes(m)) throw usageError(`user: --mechanism ${m}: one of ${SCRAM_MECHANISMS.join(', ')}`);
    return m as ScramMechanism;
  });
}

function iterationsOf(flags: UserFlags): number {
  if (flags.iterations === undefined) return DEFAULT_ITERATIONS;
  const n = parseCount('--iterations', flags.iterations);
  if (n < MIN_ITERATIONS || n > MAX_ITERATIONS) throw usageError(`--iterations: ${n} is outside ${MIN_ITERATIONS}..${MAX_ITERATIONS} (Kafka's bounds for SCRAM)`);
  return n;
}

async function newPasswordOf(flags: UserFlags): Promise<string> {
  const given = flags.newPassword ?? (process.env.RILL_NEW_PASSWORD !== undefined && process.env.RILL_NEW_PASSWORD !== '' ? process.env.RILL_NEW_PASSWORD : undefined);
  if (given !== undefined) return given;
  if (process.stdin.isTTY === true) throw usageError('user create: give the new password with --new-password, RILL_NEW_PASSWORD or on standard input');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const line = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (line === '') throw usageError('user create: the new password is empty (give it with --new-password, RILL_NEW_PASSWORD or on standard input)');
  return line;
}

async function describe(link: KafkaLink, users: string[] | null): Promise<Described[]> {
  const res = await link.request<{ errorCode: number; errorMessage: string | null; results: Described[] }>(API_KEY.DescribeUserScramCredentials, 0, { users: users?.map((name) => ({ name })) ?? null });
  if (res.errorCode !== 0) throw new CliError(`user: the broker refused to describe users: ${res.errorMessage ?? errorName(res.errorCode)}`);
  return res.results;
}

async function alter(link: KafkaLink, body: { deletions: unknown[]; upsertions: unknown[] }): Promise<void> {
  const res = await link.request<{ results: Array<{ user: string; errorCode: number; errorMessage: string | null }> }>(API_KEY.AlterUserScramCredentials, 0, body);
  const failed = res.results.find((r) => r.errorCode !== 0);
  if (failed !== undefined) throw new CliError(`user ${failed.user}: ${failed.errorMessage ?? errorName(failed.errorCode)}`);
}

function errorName(code: number): string {
  return code === 31 ? 'CLUSTER_AUTHORIZATION_FAILED (the user may not do this: it needs Describe/Alter on the cluster)' : `error ${code}`;
}

const mechanismName = (type: number) => mechanismOfType(type) ?? `mechanism ${type}`;

export function registerUser(program: Command): void {
  const user = program.command('user').description('SCRAM users of the Kafka listener (SASL): create, delete, list');
  addKafkaLinkOptions(user.command('create <name>').description('create a user, or set a new password for one (salted here; the broker stores only SCRAM credentials)'))
    .option('--new-password <password>', "the new user's password (or RILL_NEW_PASSWORD, or the first line of standard input)")
    .option('--mechanism <mechanism>', 'SCRAM-SHA-256 or SCRAM-SHA-512 (repeatable; default both)', collect)
    .option('--iterations <n>', `PBKDF2 iterations (${MIN_ITERATIONS}..${MAX_ITERATIONS}, default ${DEFAULT_ITERATIONS})`)
    .addHelpText('after', examples(['echo s3cret | rill user create alice --user admin --password admin-pw', 'rill user create bob --new-password pw --mechanism SCRAM-SHA-512 --iterations 8192 --tls-ca ca.pem -b broker:9092']))
    .action(async (name: string, flags: UserFlags) => {
      if (name === '') throw usageError('user create: the user name must not be empty');
      const mechanisms = mechanismsOf(flags) ?? [...SCRAM_MECHANISMS];
      const iterations = iterationsOf(flags);
      const password = await newPasswordOf(flags);
      await withKafka('user', flags, async (link) => {
        for (const mechanism of mechanisms) {
          const salt = randomBytes(24);
          const saltedPassword = pbkdf2Sync(Buffer.from(password, 'utf8'), salt, iterations, mechanism === 'SCRAM-SHA-256' ? 32 : 64, hashOf(mechanism));
          await alter(link, { deletions: [], upsertions: [{ name, mechanism: MECHANISM_TYPE[mechanism], iterations, salt, saltedPassword }] });
        }
      });
      process.stdout.write(`stored ${name}: ${mechanisms.join(', ')} (${iterations} iterations)\n`);
    });
  addKafkaLinkOptions(user.command('delete <name>').description("delete a user's SCRAM credentials (all, or those of --mechanism)"))
    .option('--mechanism <mechanism>', 'only this mechanism (repeatable)', collect)
    .addHelpText('after', examples(['rill user delete alice --user admin --password admin-pw']))
    .action(async (name: string, flags: UserFlags) => {
      const only = mechanismsOf(flags);
      const removed = await withKafka('user', flags, async (link) => {
        const [found] = await describe(link, [name]);
        const has = (found?.errorCode === 0 ? found.credentialInfos : []).map((c) => mechanismName(c.mechanism));
        if (has.length === 0) throw new CliError(`user delete: no user ${name}`);
        const targets = only ?? (has.filter((m) => (SCRAM_MECHANISMS as readonly string[]).includes(m)) as ScramMechanism[]);
        for (const mechanism of targets) {
          if (!has.includes(mechanism)) throw new CliError(`user delete: ${name} has no ${mechanism} credential (it has ${has.join(', ')})`);
          await alter(link, { deletions: [{ name, mechanism: MECHANISM_TYPE[mechanism] }], upsertions: [] });
        }
        return targets;
      });
      process.stdout.write(`deleted ${name}: ${removed.join(', ')}\n`);
    });
  addKafkaLinkOptions(user.command('list [names...]').description('list users and their SCRAM mechanisms (all, or the named ones)'))
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['rill user list --user admin --password admin-pw', 'rill user list alice --json']))
    .action(async (names: string[], flags: UserFlags) => {
      const results = await withKafka('user', flags, (link) => describe(link, names.length === 0 ? null : names));
      const missing = results.filter((r) => r.errorCode !== 0);
      const users = results
        .filter((r) => r.errorCode === 0)
        .map((r) => ({ user: r.user, credentials: r.credentialInfos.map((c) => ({ mechanism: mechanismName(c.mechanism), iterations: c.iterations })) }))
        .sort((a, b) => (a.user < b.user ? -1 : a.user > b.user ? 1 : 0));
      if (flags.json === true) printJson(users);
      else printTable(['USER', 'MECHANISMS'], users.map((u) => [u.user, u.credentials.map((c) => `${c.mechanism} (${c.iterations} iterations)`).join(', ')]));
      if (missing.length > 0) throw new CliError(`user list: ${missing.map((m) => m.errorMessage ?? m.user).join('; ')}`);
    });
}
