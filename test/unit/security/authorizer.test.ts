/** Kafka's ACL decision rules, on a real metadata store in a temp dir; and every Kafka handler declares its access. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openMetaStore, type MetaStore } from '../../../storage/index.js';
import { HANDLERS } from '../../../src/kafka/handlers/index.js';
import { API_KEY } from '../../../src/kafka/protocol/api-registry.js';
import { OPERATION, PATTERN_TYPE, PERMISSION, RESOURCE_TYPE, type AclBinding } from '../../../src/security/acl.js';
import { Authorizer, parseSuperUsers } from '../../../src/security/authorizer.js';

let dir: string | undefined;
let meta: MetaStore | undefined;
afterEach(async () => {
  await meta?.close();
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  meta = dir = undefined;
});

async function authorizer(options: { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean } = {}): Promise<Authorizer> {
  dir = await mkdtemp(join(tmpdir(), 'rill-acl-'));
  meta = await openMetaStore(join(dir, 'meta'));
  return Authorizer.open(meta, { superUsers: options.superUsers ?? [], allowEveryoneIfNoAclFound: options.allowEveryoneIfNoAclFound ?? false });
}

const acl = (name: string, principal: string, operation: number, permissionType: number, patternType: number = PATTERN_TYPE.LITERAL, resourceType: number = RESOURCE_TYPE.TOPIC): AclBinding => ({ resourceType, resourceName: name, patternType, principal, host: '*', operation, permissionType });
const ask = (a: Authorizer, principal: string, name: string, operation: 'Read' | 'Write' | 'Describe' | 'Alter' | 'DescribeConfigs') => a.authorize({ principal, host: '10.0.0.1', resource: 'Topic', name, operation });

describe('Authorizer', () => {
  it('denies without ACLs unless allow.everyone.if.no.acl.found; super users pass everything', async () => {
    const a = await authorizer({ superUsers: parseSuperUsers('User:admin;User:ops') });
    expect(ask(a, 'User:alice', 't', 'Read')).toBe(false);
    expect(ask(a, 'User:ops', 't', 'Alter')).toBe(true);
    await meta!.close();
    meta = await openMetaStore(join(dir!, 'meta'));
    const open = await Authorizer.open(meta, { superUsers: [], allowEveryoneIfNoAclFound: true });
    expect(ask(open, 'User:alice', 't', 'Read')).toBe(true);
    await open.create([acl('t', 'User:bob', OPERATION.READ, PERMISSION.ALLOW)]);
    // Once a resource has any ACL, the open default no longer applies to it.
    expect(ask(open, 'User:alice', 't', 'Read')).toBe(false);
    expect(ask(open, 'User:alice', 'other', 'Read')).toBe(true);
  });

  it('matches literal, wildcard and prefixed patterns, User:* and hosts; deny overrides allow', async () => {
    const a = await authorizer();
    await a.create([
      acl('orders', 'User:alice', OPERATION.READ, PERMISSION.ALLOW),
      acl('logs-', 'User:*', OPERATION.WRITE, PERMISSION.ALLOW, PATTERN_TYPE.PREFIXED),
      acl('*', 'User:carol', OPERATION.ALL, PERMISSION.ALLOW),
      acl('logs-secret', 'User:bob', OPERATION.WRITE, PERMISSION.DENY),
      { ...acl('orders', 'User:dave', OPERATION.READ, PERMISSION.ALLOW), host: '10.0.0.2' },
    ]);
    expect(ask(a, 'User:alice', 'orders', 'Read')).toBe(true);
    expect(ask(a, 'User:alice', 'orders', 'Write')).toBe(false);
    expect(ask(a, 'User:bob', 'logs-app', 'Write')).toBe(true);
    expect(ask(a, 'User:bob', 'logs-secret', 'Write')).toBe(false);
    expect(ask(a, 'User:bob', 'log', 'Write')).toBe(false);
    expect(ask(a, 'User:carol', 'anything', 'Alter')).toBe(true);
    expect(ask(a, 'User:dave', 'orders', 'Read')).toBe(false); // ACL for another host
  });

  it('lets Read, Write, Delete and Alter imply Describe, AlterConfigs imply DescribeConfigs, but a deny of Read not deny Describe', async () => {
    const a = await authorizer();
    await a.create([acl('t', 'User:alice', OPERATION.WRITE, PERMISSION.ALLOW), acl('t', 'User:alice', OPERATION.ALTER_CONFIGS, PERMISSION.ALLOW), acl('t', 'User:bob', OPERATION.ALL, PERMISSION.ALLOW), acl('t', 'User:bob', OPERATION.READ, PERMISSION.DENY)]);
    expect(ask(a, 'User:alice', 't', 'Describe')).toBe(true);
    expect(ask(a, 'User:alice', 't', 'DescribeConfigs')).toBe(true);
    expect(ask(a, 'User:alice', 't', 'Read')).toBe(false);
    expect(ask(a, 'User:bob', 't', 'Read')).toBe(false);
    expect(ask(a, 'User:bob', 't', 'Describe')).toBe(true);
    expect(a.authorizeClusterAction('User:bob')).toBe(false);
  });

  it('keeps ACLs across a restart and deletes by filter', async () => {
    const a = await authorizer();
    await a.create([acl('t', 'User:alice', OPERATION.READ, PERMISSION.ALLOW), acl('u', 'User:alice', OPERATION.READ, PERMISSION.ALLOW), acl('kafka-cluster', 'User:broker', OPERATION.CLUSTER_ACTION, PERMISSION.ALLOW, PATTERN_TYPE.LITERAL, RESOURCE_TYPE.CLUSTER)]);
    await meta!.close();
    meta = await openMetaStore(join(dir!, 'meta'));
    const b = await Authorizer.open(meta, { superUsers: [], allowEveryoneIfNoAclFound: false });
    expect(b.list()).toHaveLength(3);
    expect(b.authorizeClusterAction('User:broker')).toBe(true);
    const removed = await b.delete([{ resourceType: RESOURCE_TYPE.TOPIC, resourceName: 'u', patternType: PATTERN_TYPE.MATCH, principal: null, host: null, operation: OPERATION.ANY, permissionType: PERMISSION.ANY }]);
    expect(removed[0]!.map((x) => x.resourceName)).toEqual(['u']);
    expect(b.list().map((x) => x.resourceName).sort()).toEqual(['kafka-cluster', 't']);
  });
});

describe('Kafka handlers', () => {
  it('each declares the resources and operations of its request, except the APIs open to everyone', () => {
    const open = new Set<number>([API_KEY.ApiVersions, API_KEY.SaslHandshake, API_KEY.SaslAuthenticate]);
    const missing = [...HANDLERS.values()].filter((h) => !open.has(h.apiKey) && h.access === undefined).map((h) => h.apiKey);
    expect(missing).toEqual([]);
  });
});
