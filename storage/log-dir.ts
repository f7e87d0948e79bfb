/**
 * Partition directories as whole things: the `partition.metadata` file that ties a directory to
 * its topic id (Kafka's), and crash-safe removal. Removal first renames the directory to
 * `<name>.<tag>-delete` and syncs the parent, so from that moment no later topic of the same
 * name can adopt it; then it empties it (which frees space and needs none) and removes it.
 * `sweepDeletedDirs` finishes removals a crash interrupted. Callers serialise work on one
 * directory (the registry's admin queue).
 */
import { randomUUID } from 'node:crypto';
import { basename, dirname, join } from 'node:path';
import { nodeIo, type StorageIo } from './io/storage-io.js';
import { StorageError } from './storage-error.js';

export const PARTITION_METADATA_FILE = 'partition.metadata';
const DELETED_SUFFIX = '-delete';
const DELETED = /^(.+)\.([0-9a-f-]+)-delete$/;

export function isDeletedDirName(name: string): boolean {
  return name.endsWith(DELETED_SUFFIX);
}

/** The topic id a deleted directory's name carries (`<topic>-<p>.<topicId>-delete`), if any. */
export function deletedDirTopicId(name: string): string | undefined {
  return DELETED.exec(name)?.[2];
}

/** The topic id in `dir`'s partition.metadata, or undefined when it has none. */
export async function readPartitionTopicId(dir: string, io: StorageIo = nodeIo): Promise<string | undefined> {
  const data = await io.readFile(join(dir, PARTITION_METADATA_FILE));
  const match = data === undefined ? null : /^topic_id:\s*(\S+)\s*$/m.exec(data.toString('utf8'));
  return match?.[1] ?? undefined;
}

/**
 * Ties `dir` to `topicId`: writes partition.metadata when it has none; TOPIC_ID_MISMATCH when it
 * belongs to another topic (a directory left by a deleted topic of the same name). `mayExist`
 * false: the caller's listing of the directory showed no such file, so it is not read.
 */
export async function claimPartitionDir(dir: string, topicId: string, io: StorageIo, mayExist = true): Promise<void> {
  const found = mayExist ? await readPartitionTopicId(dir, io) : undefined;
  if (found === topicId) return;
  if (found !== undefined) {
    throw new StorageError('TOPIC_ID_MISMATCH', `${dir} belongs to topic id ${found}, not ${topicId}`);
  }
  await io.writeFileAtomic(join(dir, PARTITION_METADATA_FILE), Buffer.from(`version: 0\ntopic_id: ${topicId}\n`));
}

/**
 * Removes a partition directory crash-safely (see the module comment). `tag` goes into the
 * renamed name (the topic id, so start-up can tell which topic's deletion was interrupted).
 */
export async function removeLogDir(dir: string, tag: string = randomUUID(), io: StorageIo = nodeIo): Promise<void> {
  const doomed = await markDirDeleted(dir, tag, io);
  if (doomed !== undefined) await finishDirDeletion(doomed, io);
}

/**
 * The first step of removal: renames `dir` to `<dir>.<tag>-delete` and syncs the parent (a
 * rename needs no free space). Returns the new path, or undefined when `dir` does not exist.
 */
export async function markDirDeleted(dir: string, tag: string, io: StorageIo = nodeIo): Promise<string | undefined> {
  if (!(await io.exists(dir))) return undefined;
  const doomed = join(dirname(dir), `${basename(dir)}.${tag}${DELETED_SUFFIX}`);
  await io.rename(dir, doomed);
  await io.syncDir(dirname(dir));
  return doomed;
}

/** Empties a directory marked deleted (freeing its space) and removes it. */
export async function finishDirDeletion(doomed: string, io: StorageIo = nodeIo): Promise<void> {
  if (!(await io.exists(doomed))) return;
  await emptyDir(doomed, io);
  await io.removeDir(doomed);
  await io.syncDir(dirname(doomed));
}

/** Deletes every file in `dir` but keeps the directory (no space needed: only unlinks). */
export async function emptyDir(dir: string, io: StorageIo): Promise<void> {
  for (const name of await io.readdir(dir)) await io.unlink(join(dir, name));
}

/** Finishes interrupted removals in a data dir; returns the names it removed. */
export async function sweepDeletedDirs(dataDir: string, io: StorageIo = nodeIo): Promise<string[]> {
  const removed: string[] = [];
  if (!(await io.exists(dataDir))) return removed;
  for (const name of await io.readdir(dataDir)) {
    if (!isDeletedDirName(name)) continue;
    await emptyDir(join(dataDir, name), io);
    await io.removeDir(join(dataDir, name));
    removed.push(name);
  }
  if (removed.length > 0) await io.syncDir(dataDir);
  return removed;
}
