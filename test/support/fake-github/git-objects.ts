// Git objects in git's own encoding, so every sha the fake hands out is the sha real git
// would compute for the same content (`git hash-object`, `git write-tree`, `git commit-tree`).
import { createHash } from 'node:crypto';

/** Modes as the REST API spells them (a tree is "040000" there, "40000" inside git). */
export type EntryMode = '100644' | '100755' | '120000' | '040000';

export interface TreeEntry {
  name: string;
  mode: EntryMode;
  sha: string;
}

export interface Person {
  name: string;
  email: string;
  /** ISO 8601 in UTC with second precision, as GitHub answers it. */
  date: string;
}

export interface Commit {
  tree: string;
  parents: string[];
  author: Person;
  committer: Person;
  message: string;
}

export type GitObject =
  | { type: 'blob'; data: Buffer }
  | { type: 'tree'; entries: TreeEntry[] }
  | { type: 'commit'; commit: Commit };

export function isTreeMode(mode: EntryMode): boolean {
  return mode === '040000';
}

/** The sha of an object: sha1 over `<type> <length>\0<content>`. */
export function hashObject(type: GitObject['type'], content: Buffer): string {
  const header = Buffer.from(`${type} ${content.length}\0`);
  return createHash('sha1').update(header).update(content).digest('hex');
}

export function encodeObject(object: GitObject): Buffer {
  switch (object.type) {
    case 'blob':
      return object.data;
    case 'tree':
      return encodeTree(object.entries);
    case 'commit':
      return encodeCommit(object.commit);
  }
}

/** Entries in git's order: by name bytes, with a tree's name compared as if it ended in "/". */
export function sortEntries(entries: readonly TreeEntry[]): TreeEntry[] {
  const key = (e: TreeEntry) => Buffer.from(isTreeMode(e.mode) ? `${e.name}/` : e.name);
  return [...entries].sort((a, b) => Buffer.compare(key(a), key(b)));
}

function encodeTree(entries: readonly TreeEntry[]): Buffer {
  return Buffer.concat(
    sortEntries(entries).flatMap((e) => [
      Buffer.from(`${e.mode.replace(/^0+/, '')} ${e.name}\0`),
      Buffer.from(e.sha, 'hex'),
    ]),
  );
}

function encodeCommit(commit: Commit): Buffer {
  const lines = [
    `tree ${commit.tree}`,
    ...commit.parents.map((p) => `parent ${p}`),
    `author ${signature(commit.author)}`,
    `committer ${signature(commit.committer)}`,
    '',
    commit.message,
  ];
  return Buffer.from(lines.join('\n'));
}

function signature(person: Person): string {
  return `${person.name} <${person.email}> ${Math.floor(Date.parse(person.date) / 1000)} +0000`;
}
