// Git Data, contents and branch endpoints, shaped like api.github.com's answers.
import {
  type Commit,
  type EntryMode,
  isTreeMode,
  type Person,
  type TreeEntry,
} from './git-objects.js';
import { GitError, type TreeEdit } from './git-store.js';
import {
  githubTime,
  json,
  missingField,
  nodeId,
  notFound,
  type Reply,
  unprocessable,
  wrappedBase64,
} from './http.js';
import {
  bodyObject,
  htmlUrl,
  identity,
  OTHER_PUSHER,
  type Repo,
  type Route,
  type RouteRequest,
} from './repo.js';

// Above 1 MB the contents API stops inlining a file: empty content, encoding "none".
const CONTENTS_INLINE_LIMIT = 1024 * 1024;
const BLOB_MODES: readonly string[] = ['100644', '100755', '120000'];
// GitHub commits made through the API without a committer are committed and signed by
// "web-flow"; that is what makes them show as Verified.
const WEB_FLOW = { name: 'GitHub', email: 'noreply@github.com' };
const EITHER_SHA_OR_CONTENT =
  'Must supply either tree.sha or tree.content. Request will be rejected if both are present.';

export function gitRoutes(repo: Repo): Route[] {
  const { git, faults } = repo;

  /** A branch head as a read sees it: possibly the previous sha, when replicas lag. */
  function readBranch(branch: string): string | undefined {
    if (!git.ref(branch)) return undefined;
    return faults.takeStaleRead() ? git.previousRef(branch) : git.ref(branch);
  }

  function refJson(req: RouteRequest, branch: string, sha: string) {
    return {
      ref: `refs/heads/${branch}`,
      node_id: nodeId('REF', `${repo.owner}/${repo.name}:refs/heads/${branch}`),
      url: `${req.repoUrl}/git/refs/heads/${branch}`,
      object: { sha, type: 'commit', url: `${req.repoUrl}/git/commits/${sha}` },
    };
  }

  function commitJson(req: RouteRequest, sha: string, commit: Commit) {
    const verified = commit.committer.email === WEB_FLOW.email;
    return {
      sha,
      node_id: nodeId('C', sha),
      url: `${req.repoUrl}/git/commits/${sha}`,
      html_url: htmlUrl(repo, `/commit/${sha}`),
      author: commit.author,
      committer: commit.committer,
      tree: { sha: commit.tree, url: `${req.repoUrl}/git/trees/${commit.tree}` },
      message: commit.message,
      parents: commit.parents.map((p) => ({
        sha: p,
        url: `${req.repoUrl}/git/commits/${p}`,
        html_url: htmlUrl(repo, `/commit/${p}`),
      })),
      verification: {
        verified,
        reason: verified ? 'valid' : 'unsigned',
        signature: null,
        payload: null,
        verified_at: verified ? commit.committer.date : null,
      },
    };
  }

  function treeEntryJson(req: RouteRequest, path: string, entry: TreeEntry) {
    const type = isTreeMode(entry.mode) ? 'tree' : 'blob';
    const size = git.blob(entry.sha)?.length;
    return {
      path,
      mode: entry.mode,
      type,
      sha: entry.sha,
      ...(size === undefined ? {} : { size }),
      url: `${req.repoUrl}/git/${type}s/${entry.sha}`,
    };
  }

  function treeJson(req: RouteRequest, sha: string, recursive: boolean) {
    const entries = recursive
      ? [...git.walk(sha)]
      : (git.tree(sha) ?? []).map((entry) => ({ path: entry.name, entry }));
    return {
      sha,
      url: `${req.repoUrl}/git/trees/${sha}`,
      tree: entries.map(({ path, entry }) => treeEntryJson(req, path, entry)),
      truncated: false,
    };
  }

  function contentsJson(req: RouteRequest, path: string, entry: TreeEntry, ref: string) {
    const isDir = isTreeMode(entry.mode);
    const url = `${req.repoUrl}/contents/${path}?ref=${encodeURIComponent(ref)}`;
    const gitUrl = `${req.repoUrl}/git/${isDir ? 'trees' : 'blobs'}/${entry.sha}`;
    const html = htmlUrl(repo, `/${isDir ? 'tree' : 'blob'}/${ref}/${path}`);
    return {
      type: isDir ? 'dir' : 'file',
      size: git.blob(entry.sha)?.length ?? 0,
      name: entry.name,
      path,
      sha: entry.sha,
      url,
      git_url: gitUrl,
      html_url: html,
      download_url: isDir
        ? null
        : `https://raw.githubusercontent.com/${repo.owner}/${repo.name}/${ref}/${path}`,
      _links: { self: url, git: gitUrl, html },
    };
  }

  function getRef(req: RouteRequest, [branch = '']: string[]): Reply {
    const sha = readBranch(branch);
    return sha ? json(refJson(req, branch, sha)) : notFound();
  }

  function updateRef(req: RouteRequest, [branch = '']: string[]): Reply {
    const body = bodyObject(req.body);
    const sha = body?.sha;
    if (typeof sha !== 'string') return missingField('sha');
    if (!git.ref(branch)) return unprocessable('Reference does not exist');
    if (!git.commit(sha)) return unprocessable('Object does not exist');
    const push = faults.takeConcurrentPush();
    if (push && 'run' in push) push.run();
    else if (push) git.commitFiles(branch, push.files, push.message, identity(OTHER_PUSHER));
    const head = git.ref(branch) ?? '';
    if (body?.force !== true && !git.isAncestor(head, sha)) {
      return unprocessable('Update is not a fast forward');
    }
    git.setRef(branch, sha);
    return json(refJson(req, branch, sha));
  }

  function getCommit(req: RouteRequest, [sha = '']: string[]): Reply {
    const commit = git.commit(sha);
    return commit ? json(commitJson(req, sha, commit)) : notFound();
  }

  function createCommit(req: RouteRequest): Reply {
    const body = bodyObject(req.body);
    if (typeof body?.message !== 'string') return missingField('message');
    if (typeof body.tree !== 'string') return missingField('tree');
    const parents = body.parents ?? [];
    if (!Array.isArray(parents) || !parents.every((p) => typeof p === 'string')) {
      return unprocessable('Invalid request.\n\n"parents" must be an array of commit shas.');
    }
    const author = body.author === undefined ? botIdentity() : personFrom(body.author);
    const committer = body.committer === undefined ? webFlow() : personFrom(body.committer);
    if (!author) return unprocessable('Invalid request.\n\n"author" needs a name and an email.');
    if (!committer) {
      return unprocessable('Invalid request.\n\n"committer" needs a name and an email.');
    }
    if (!git.tree(body.tree)) return unprocessable('Tree SHA does not exist');
    if (!parents.every((p) => git.commit(p))) {
      return unprocessable('Parent SHA does not exist or is not a commit object');
    }
    const commit = { tree: body.tree, parents, author, committer, message: body.message };
    const sha = git.put({ type: 'commit', commit });
    return json(commitJson(req, sha, commit), 201);
  }

  function getTree(req: RouteRequest, [ref = '']: string[]): Reply {
    const sha = git.tree(ref) ? ref : git.commit(git.resolve(ref) ?? '')?.tree;
    return sha ? json(treeJson(req, sha, req.query.has('recursive'))) : notFound();
  }

  function createTree(req: RouteRequest): Reply {
    const body = bodyObject(req.body);
    if (!Array.isArray(body?.tree)) return missingField('tree');
    const base = body.base_tree ?? undefined;
    if (base !== undefined && (typeof base !== 'string' || !git.tree(base))) {
      return unprocessable('base_tree is not a valid tree');
    }
    const edits: TreeEdit[] = [];
    for (const item of body.tree) {
      const edit = treeEdit(bodyObject(item));
      if ('status' in edit) return edit;
      edits.push(edit);
    }
    try {
      return json(treeJson(req, git.editTree(base, edits), false), 201);
    } catch (error) {
      if (error instanceof GitError) return unprocessable(error.message);
      throw error;
    }
  }

  /** One entry of a create-tree body as an edit, or the 422 GitHub answers it with. */
  function treeEdit(item: Record<string, unknown> | undefined): TreeEdit | Reply {
    if (typeof item?.path !== 'string') return missingField('path');
    const { path, mode, type } = item;
    if (type !== 'blob' && type !== 'tree') {
      return unprocessable(`Invalid request.\n\n${JSON.stringify(type)} is not a supported type.`);
    }
    const modeOk = type === 'tree' ? mode === '040000' : BLOB_MODES.includes(String(mode));
    if (!modeOk) {
      return unprocessable(`Invalid request.\n\n${JSON.stringify(mode)} is not a ${type} mode.`);
    }
    const entryMode = mode as EntryMode;
    const hasSha = 'sha' in item;
    if (hasSha === 'content' in item) return unprocessable(EITHER_SHA_OR_CONTENT);
    if (!hasSha) {
      if (typeof item.content !== 'string' || type !== 'blob') {
        return unprocessable(EITHER_SHA_OR_CONTENT);
      }
      return { path, entry: { mode: entryMode, sha: git.putBlob(Buffer.from(item.content)) } };
    }
    if (item.sha === null) return { path, entry: null };
    if (typeof item.sha !== 'string' || git.type(item.sha) !== type) {
      return unprocessable(`tree.sha ${String(item.sha)} is not a valid ${type}`);
    }
    return { path, entry: { mode: entryMode, sha: item.sha } };
  }

  function getBlob(req: RouteRequest, [sha = '']: string[]): Reply {
    const data = git.blob(sha);
    if (!data) return notFound();
    return json({
      sha,
      node_id: nodeId('B', sha),
      size: data.length,
      url: `${req.repoUrl}/git/blobs/${sha}`,
      content: wrappedBase64(data),
      encoding: 'base64',
    });
  }

  function createBlob(req: RouteRequest): Reply {
    const body = bodyObject(req.body);
    if (typeof body?.content !== 'string') return missingField('content');
    const encoding = body.encoding ?? 'utf-8';
    if (encoding !== 'utf-8' && encoding !== 'base64') {
      return unprocessable(`Invalid request.\n\nencoding must be "utf-8" or "base64".`);
    }
    const sha = git.putBlob(Buffer.from(body.content, encoding === 'base64' ? 'base64' : 'utf8'));
    return json({ sha, url: `${req.repoUrl}/git/blobs/${sha}` }, 201);
  }

  function getContents(req: RouteRequest, [rawPath = '']: string[]): Reply {
    const path = rawPath.replace(/\/+$/, '');
    const ref = req.query.get('ref') ?? repo.defaultBranch;
    const commit = git.commit(git.resolve(ref) ?? '');
    if (!commit) return notFound(`No commit found for the ref ${ref}`);
    const entry = git.lookup(commit.tree, path);
    if (!entry) return notFound();
    if (isTreeMode(entry.mode)) {
      const prefix = path === '' ? '' : `${path}/`;
      return json(
        (git.tree(entry.sha) ?? []).map((e) => contentsJson(req, prefix + e.name, e, ref)),
      );
    }
    const data = git.blob(entry.sha) ?? Buffer.alloc(0);
    const inline = data.length <= CONTENTS_INLINE_LIMIT;
    return json({
      ...contentsJson(req, path, entry, ref),
      content: inline ? wrappedBase64(data) : '',
      encoding: inline ? 'base64' : 'none',
    });
  }

  function getBranch(req: RouteRequest, [branch = '']: string[]): Reply {
    const sha = readBranch(branch);
    const commit = sha ? git.commit(sha) : undefined;
    if (!sha || !commit) return notFound('Branch not found');
    return json({
      name: branch,
      commit: {
        sha,
        node_id: nodeId('C', sha),
        commit: commitJson(req, sha, commit),
        url: `${req.repoUrl}/commits/${sha}`,
        html_url: htmlUrl(repo, `/commit/${sha}`),
      },
      _links: { self: `${req.repoUrl}/branches/${branch}`, html: htmlUrl(repo, `/tree/${branch}`) },
      protected: false,
    });
  }

  function botIdentity(): Person {
    const { login, id } = repo.bot;
    return { name: login, email: `${id}+${login}@users.noreply.github.com`, date: githubTime() };
  }

  function webFlow(): Person {
    return { ...WEB_FLOW, date: githubTime() };
  }

  return [
    { method: 'GET', pattern: /^\/git\/refs?\/heads\/(.+)$/, handle: getRef },
    { method: 'PATCH', pattern: /^\/git\/refs\/heads\/(.+)$/, handle: updateRef },
    { method: 'GET', pattern: /^\/git\/commits\/([^/]+)$/, handle: getCommit },
    { method: 'POST', pattern: /^\/git\/commits$/, handle: createCommit },
    { method: 'GET', pattern: /^\/git\/trees\/(.+)$/, handle: getTree },
    { method: 'POST', pattern: /^\/git\/trees$/, handle: createTree },
    { method: 'GET', pattern: /^\/git\/blobs\/([^/]+)$/, handle: getBlob },
    { method: 'POST', pattern: /^\/git\/blobs$/, handle: createBlob },
    { method: 'GET', pattern: /^\/contents(?:\/(.*))?$/, handle: getContents },
    { method: 'GET', pattern: /^\/branches\/(.+)$/, handle: getBranch },
  ];
}

/** A commit identity from a request body: name and email required, date defaulting to now. */
function personFrom(value: unknown): Person | undefined {
  const person = bodyObject(value);
  if (typeof person?.name !== 'string' || typeof person.email !== 'string') return undefined;
  const date = typeof person.date === 'string' ? Date.parse(person.date) : Date.now();
  if (Number.isNaN(date)) return undefined;
  return { name: person.name, email: person.email, date: githubTime(new Date(date)) };
}
