/**
 * Every config of a topic with its effective value and where it comes from ("TOPIC" override or
 * broker "DEFAULT"), sorted by name — what TopicInfo.effective_configs carries.
 *
 * Stand-in: the cluster layer is getting `describeTopicConfigs(defaults, overrides)` (with the
 * read-only Kafka configs it accepts); this local function has the same signature so the two
 * can be swapped when that lands. Pure.
 */
import { TOPIC_CONFIG_NAMES } from '../cluster/index.js';
import type { TopicDefaults } from '../config.js';

export interface TopicConfigEntry {
  name: string;
  value: string;
  source: 'TOPIC' | 'DEFAULT' | 'READ_ONLY';
  readOnly: boolean;
}

export function describeTopicConfigs(defaults: Readonly<TopicDefaults>, overrides: Readonly<Record<string, string>>): TopicConfigEntry[] {
  return [...TOPIC_CONFIG_NAMES].sort().map((name) => {
    const override = overrides[name];
    const value = override ?? String(defaults[name as keyof TopicDefaults]);
    return { name, value, source: override === undefined ? 'DEFAULT' : 'TOPIC', readOnly: false };
  });
}
