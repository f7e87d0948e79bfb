/**
 * The Kafka operations each gRPC method needs, so both front doors grant the same things:
 * producing needs Write on the topic, reading Read (ListOffsets Describe), a group's offsets and
 * membership Read on the group (and on the topics), describing Describe, deleting Delete,
 * creating a topic Create on the cluster or on the topic, config changes AlterConfigs, adding
 * partitions Alter. Listing filters the answer to what the principal may Describe (as Kafka's
 * Metadata and ListGroups do). A method missing here is refused: nothing runs unchecked.
 * Pure: `can` answers each question.
 */
import type { OperationName, ResourceTypeName } from './acl.js';

export type Can = (resource: ResourceTypeName, name: string, operation: OperationName) => boolean;

type Message = Record<string, unknown>;
/** Why the request is refused, or undefined when it may run. */
type Rule = (message: Message, can: Can) => string | undefined;

const str = (m: Message, field: string): string => (typeof m[field] === 'string' ? (m[field] as string) : '');
const topicRule =
  (operation: OperationName, field = 'topic'): Rule =>
  (m, can) =>
    can('Topic', str(m, field), operation) ? undefined : `not authorized to ${operation} topic "${str(m, field)}"`;
const groupRule =
  (operation: OperationName): Rule =>
  (m, can) =>
    can('Group', str(m, 'group'), operation) ? undefined : `not authorized to ${operation} group "${str(m, 'group')}"`;
const clusterRule =
  (operation: OperationName): Rule =>
  (_m, can) =>
    can('Cluster', 'kafka-cluster', operation) ? undefined : `not authorized to ${operation} the cluster`;
const allOf =
  (...rules: Rule[]): Rule =>
  (m, can) => {
    for (const r of rules) {
      const why = r(m, can);
      if (why !== undefined) return why;
    }
    return undefined;
  };
const open: Rule = () => undefined;

const RULES: ReadonlyMap<string, Rule> = new Map([
  ['/rill.v1.TopicService/Create', (m, can) => (can('Cluster', 'kafka-cluster', 'Create') || can('Topic', str(m, 'name'), 'Create') ? undefined : `not authorized to create topic "${str(m, 'name')}"`)],
  ['/rill.v1.TopicService/Delete', topicRule('Delete', 'name')],
  ['/rill.v1.TopicService/List', open], // filtered
  ['/rill.v1.TopicService/Describe', topicRule('Describe', 'name')],
  ['/rill.v1.TopicService/AlterConfigs', topicRule('AlterConfigs', 'name')],
  ['/rill.v1.TopicService/CreatePartitions', topicRule('Alter', 'name')],
  ['/rill.v1.TopicService/DeleteRecords', topicRule('Delete')],
  ['/rill.v1.TopicService/DescribeCluster', clusterRule('Describe')],
  ['/rill.v1.ProduceService/Produce', topicRule('Write')],
  ['/rill.v1.ProduceService/ProduceStream', topicRule('Write')],
  ['/rill.v1.ConsumeService/Fetch', topicRule('Read')],
  ['/rill.v1.ConsumeService/Subscribe', topicRule('Read')],
  ['/rill.v1.ConsumeService/ListOffsets', topicRule('Describe')],
  [
    '/rill.v1.ConsumeService/SubscribeGroup',
    allOf(groupRule('Read'), (m, can) => {
      const denied = (Array.isArray(m.topics) ? (m.topics as unknown[]) : []).map(String).find((t) => !can('Topic', t, 'Read'));
      return denied === undefined ? undefined : `not authorized to Read topic "${denied}"`;
    }),
  ],
  [
    '/rill.v1.GroupService/CommitOffsets',
    allOf(groupRule('Read'), (m, can) => {
      const offsets = Array.isArray(m.offsets) ? (m.offsets as Message[]) : [];
      const denied = offsets.map((o) => str(o, 'topic')).find((t) => !can('Topic', t, 'Read'));
      return denied === undefined ? undefined : `not authorized to Read topic "${denied}"`;
    }),
  ],
  ['/rill.v1.GroupService/FetchOffsets', allOf(groupRule('Describe'), (m, can) => (str(m, 'topic') === '' || can('Topic', str(m, 'topic'), 'Describe') ? undefined : `not authorized to Describe topic "${str(m, 'topic')}"`))],
  ['/rill.v1.GroupService/ListGroups', open], // filtered
  ['/rill.v1.GroupService/DescribeGroup', groupRule('Describe')],
  ['/rill.v1.GroupService/DeleteGroup', groupRule('Delete')],
  ['/rill.v1.GroupService/ResetOffsets', allOf(groupRule('Read'), topicRule('Read'))],
  // Broker-to-broker replication: Kafka's inter-broker requests need ClusterAction (CVE-2018-1288).
  ['/rill.internal.v1.ReplicaService/Fetch', clusterRule('ClusterAction')],
  ['/rill.internal.v1.ReplicaService/EpochEndOffsets', clusterRule('ClusterAction')],
]);

/** Services anyone may use: health checks and reflection carry no data. */
const OPEN_SERVICES = ['/grpc.health.v1.Health/', '/grpc.reflection.v1alpha.ServerReflection/', '/grpc.reflection.v1.ServerReflection/'];

export function isOpenMethod(path: string): boolean {
  return OPEN_SERVICES.some((s) => path.startsWith(s));
}

/** Why this request message is refused, or undefined when it may run. */
export function refusal(path: string, message: Message, can: Can): string | undefined {
  if (isOpenMethod(path)) return undefined;
  const rule = RULES.get(path);
  if (rule === undefined) return `method ${path} has no access rule`;
  return rule(message, can);
}

/** The answer with what the principal may not Describe left out (List methods); others unchanged. */
export function filterAnswer(path: string, message: Message, can: Can): Message {
  if (path === '/rill.v1.TopicService/List' && Array.isArray(message.topics)) {
    return { ...message, topics: (message.topics as Message[]).filter((t) => can('Topic', str(t, 'name'), 'Describe')) };
  }
  if (path === '/rill.v1.GroupService/ListGroups' && Array.isArray(message.groups) && !can('Cluster', 'kafka-cluster', 'Describe')) {
    return { ...message, groups: (message.groups as Message[]).filter((g) => can('Group', str(g, 'group'), 'Describe')) };
  }
  return message;
}

/** Every method with a rule (tests check that every served method has one). */
export function methodsWithRules(): string[] {
  return [...RULES.keys()];
}
