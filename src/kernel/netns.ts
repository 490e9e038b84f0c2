// Network namespaces as the `ip netns` convention keeps them: bind mounts in /run/netns.
// Listing reads the directory (no process spawned); ownership is a pure predicate on the name.
import { readdir, stat } from 'node:fs/promises';
import { labOfNetns } from '../model/names.js';

export const NETNS_DIR = '/run/netns';

export async function listNetns(): Promise<string[]> {
  try {
    return (await readdir(NETNS_DIR)).sort();
  } catch {
    return [];
  }
}

/** Namespaces the harness owns, optionally only those of one lab. */
export async function ownedNetns(lab?: string): Promise<string[]> {
  return (await listNetns()).filter((n) => {
    const owner = labOfNetns(n);
    return owner !== undefined && (lab === undefined || owner === lab);
  });
}

/** The namespace's inode, which /proc/<pid>/ns/net links to ("net:[<inode>]"). */
export async function netnsInode(netns: string): Promise<number | undefined> {
  try {
    return (await stat(`${NETNS_DIR}/${netns}`)).ino;
  } catch {
    return undefined;
  }
}
