/**
 * `rill acl add|list|remove`: Kafka ACLs, as `kafka-acls --bootstrap-server` manages them — over
 * the Kafka listener with CreateAcls / DescribeAcls / DeleteAcls, authenticated with SASL
 * (SCRAM-SHA-256 by default, or PLAIN) as `--user`/`--password` (RILL_USER, RILL_PASSWORD), over
 * TLS with `--tls-ca` (RILL_TLS_CA), through kafka-link.ts. One connection per command, one
 * request at a time; every failure is one line (CliError).
 */
import type { Command } from 'commander';
import { CLUSTER_NAME, OPERATION, PATTERN_TYPE, PERMISSION, RESOURCE_TYPE, describeBinding, operationCode, type AclBinding } from '../security/acl.js';
import { API_KEY } from '../kafka/protocol/api-registry.js';
import { CliError, usageError } from './cli-error.js';
import { examples } from './help-text.js';
import { addKafkaLinkOptions, withKafka as withLink, type KafkaLink, type KafkaLinkFlags } from './kafka-link.js';

interface AclOptions extends KafkaLinkFlags {
  topic?: string;
  group?: string;
  cluster?: boolean;
  resourcePatternType: string;
  allowPrincipal?: string[];
  denyPrincipal?: string[];
  principal?: string;
  operation?: string[];
  host: string;
  json?: boolean;
}

const withKafka = <T>(o: AclOptions, work: (link: KafkaLink) => Promise<T>): Promise<T> => withLink('acl', o, work);

/** The resource named by --topic, --group or --cluster (exactly one for add/remove). */
function resourceOf(o: AclOptions, required: boolean): { type: number; name: string | null; pattern: number } {
  const given = [o.topic !== undefined, o.group !== undefined, o.cluster === true].filter(Boolean).length;
  if (given > 1 || (required && given === 0)) throw usageError('acl: name exactly one resource: --topic NAME, --group NAME or --cluster');
  const pattern = o.resourcePatternType.toLowerCase();
  const patternCode = pattern === 'literal' ? PATTERN_TYPE.LITERAL : pattern === 'prefixed' ? PATTERN_TYPE.PREFIXED : pattern === 'any' ? PATTERN_TYPE.ANY : pattern === 'match' ? PATTERN_TYPE.MATCH : undefined;
  if (patternCode === undefined) throw usageError(`acl: --resource-pattern-type ${o.resourcePatternType}: one of literal, prefixed${required ? '' : ', any, match'}`);
  if (o.topic !== undefined) return { type: RESOURCE_TYPE.TOPIC, name: o.topic, pattern: patternCode };
  if (o.group !== undefined) return { type: RESOURCE_TYPE.GROUP, name: o.group, pattern: patternCode };
  if (o.cluster === true) return { type: RESOURCE_TYPE.CLUSTER, name: CLUSTER_NAME, pattern: PATTERN_TYPE.LITERAL };
  return { type: RESOURCE_TYPE.ANY, name: null, pattern: PATTERN_TYPE.ANY };
}

function operationsOf(o: AclOptions): number[] {
  return (o.operation ?? []).map((op) => {
    const code = operationCode(op);
    if (code === undefined) throw usageError(`acl: --operation ${op} is not one of Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite, All`);
    return code;
  });
}

/** The bindings an add names: each allow/deny principal × each operation. */
function bindingsOf(o: AclOptions): AclBinding[] {
  const r = resourceOf(o, true);
  const ops = operationsOf(o);
  if (ops.length === 0) throw usageError('acl: give at least one --operation');
  const principals = [...(o.allowPrincipal ?? []).map((p) => [p, PERMISSION.ALLOW] as const), ...(o.denyPrincipal ?? []).map((p) => [p, PERMISSION.DENY] as const)];
  if (principals.length === 0) throw usageError('acl: give --allow-principal User:NAME or --deny-principal User:NAME');
  return principals.flatMap(([principal, permissionType]) => ops.map((operation) => ({ resourceType: r.type, resourceName: r.name!, patternType: r.pattern, principal, host: o.host, operation, permissionType })));
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

function common(cmd: Command): Command {
  return addKafkaLinkOptions(cmd)
    .option('--topic <name>', 'a topic (or prefix, with --resource-pattern-type prefixed)')
    .option('--group <name>', 'a consumer group')
    .option('--cluster', 'the cluster')
    .option('--resource-pattern-type <type>', 'literal or prefixed (list/remove: also any, match)', 'literal')
    .option('--operation <op>', 'Read, Write, Create, Delete, Alter, Describe, ClusterAction, DescribeConfigs, AlterConfigs, IdempotentWrite or All (repeatable)', collect)
    .option('--host <host>', 'the client address the ACL applies to', '*');
}

export function registerAcl(program: Command): void {
  const acl = program.command('acl').description('Kafka ACLs (the broker runs with --authorizer on): add, list, remove');
  common(acl.command('add').description('add ACLs: each principal × each operation on one resource'))
    .option('--allow-principal <principal>', 'User:NAME or User:* to allow (repeatable)', collect)
    .option('--deny-principal <principal>', 'User:NAME or User:* to deny; a deny beats any allow (repeatable)', collect)
    .addHelpText('after', examples(['rill acl add --allow-principal User:alice --operation Read --operation Describe --topic orders --user admin --password secret', 'rill acl add --deny-principal User:bob --operation Write --topic logs- --resource-pattern-type prefixed']))
    .action(async (o: AclOptions) => {
      const bindings = bindingsOf(o);
      await withKafka(o, async (link) => {
        const res = await link.request<{ results: Array<{ errorCode: number; errorMessage: string | null }> }>(API_KEY.CreateAcls, 3, {
          creations: bindings.map((b) => ({ ...b, resourcePatternType: b.patternType })),
        });
        const failed = res.results.find((r) => r.errorCode !== 0);
        if (failed !== undefined) throw new CliError(`acl add: ${failed.errorMessage ?? `error ${failed.errorCode}`}`);
        for (const b of bindings) process.stdout.write(`added: ${describeBinding(b)}\n`);
      });
    });
  common(acl.command('list').description('list ACLs (all, or those on one resource / of one principal)'))
    .option('--principal <principal>', 'only this principal')
    .option('--json', 'JSON output')
    .addHelpText('after', examples(['rill acl list', 'rill acl list --topic orders --json']))
    .action(async (o: AclOptions) => {
      const r = resourceOf(o, false);
      const ops = operationsOf(o);
      await withKafka(o, async (link) => {
        const res = await link.request<{ errorCode: number; errorMessage: string | null; resources: Array<{ resourceType: number; resourceName: string; patternType: number; acls: Array<{ principal: string; host: string; operation: number; permissionType: number }> }> }>(
          API_KEY.DescribeAcls,
          3,
          { resourceType: r.type, resourceName: r.name, patternType: o.topic === undefined && o.group === undefined ? PATTERN_TYPE.ANY : r.pattern, principal: o.principal ?? null, host: null, operation: ops[0] ?? OPERATION.ANY, permissionType: PERMISSION.ANY },
        );
        if (res.errorCode !== 0) throw new CliError(`acl list: ${res.errorMessage ?? `error ${res.errorCode}`}${res.errorCode === 54 ? ' (the broker runs without --authorizer on)' : ''}`);
        const bindings: AclBinding[] = res.resources.flatMap((g) => g.acls.map((a) => ({ resourceType: g.resourceType, resourceName: g.resourceName, patternType: g.patternType, ...a })));
        if (o.json === true) process.stdout.write(`${JSON.stringify(bindings)}\n`);
        else for (const b of bindings) process.stdout.write(`${describeBinding(b)}\n`);
      });
    });
  common(acl.command('remove').description('remove the ACLs matching the filter'))
    .option('--allow-principal <principal>', 'remove ALLOW ACLs of this principal', collect)
    .option('--deny-principal <principal>', 'remove DENY ACLs of this principal', collect)
    .addHelpText('after', examples(['rill acl remove --allow-principal User:alice --operation Read --topic orders']))
    .action(async (o: AclOptions) => {
      const r = resourceOf(o, true);
      const ops = operationsOf(o);
      const principals = [...(o.allowPrincipal ?? []).map((p) => [p, PERMISSION.ALLOW] as const), ...(o.denyPrincipal ?? []).map((p) => [p, PERMISSION.DENY] as const)];
      const filters = (principals.length === 0 ? [[null, PERMISSION.ANY] as const] : principals).flatMap(([principal, permissionType]) =>
        (ops.length === 0 ? [OPERATION.ANY] : ops).map((operation) => ({ resourceTypeFilter: r.type, resourceNameFilter: r.name, patternTypeFilter: r.pattern, principalFilter: principal, hostFilter: null, operation, permissionType })),
      );
      await withKafka(o, async (link) => {
        const res = await link.request<{ filterResults: Array<{ errorCode: number; errorMessage: string | null; matchingAcls: AclBinding[] }> }>(API_KEY.DeleteAcls, 3, { filters });
        const failed = res.filterResults.find((f) => f.errorCode !== 0);
        if (failed !== undefined) throw new CliError(`acl remove: ${failed.errorMessage ?? `error ${failed.errorCode}`}`);
        const removed = res.filterResults.flatMap((f) => f.matchingAcls);
        for (const b of removed) process.stdout.write(`removed: ${describeBinding(b)}\n`);
        if (removed.length === 0) process.stdout.write('no ACL matched\n');
      });
    });
}
