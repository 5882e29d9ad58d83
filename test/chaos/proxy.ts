// A loopback HTTP proxy in front of the emulator, so the harness sees every Cloudflare call of
// the process under test at the exact moment it matters and can act there: kill the process
// before a release POST reaches the server, after the server acted but before the answer
// leaves, or right after the answer was relayed. It can also hold a request (a slow network).
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { releaseBodyIds } from '../../src/emulator/index.js';

export type ProxyRoute = 'release' | 'message' | 'action_log' | 'other';

export interface ProxiedCall {
  /** 1-based, per proxy, in arrival order. */
  n: number;
  /** 1-based count of this route's calls (release POSTs, message GETs...). */
  nth: number;
  method: string;
  path: string;
  route: ProxyRoute;
  /** Release POSTs: the ids of the body. */
  ids?: string[];
}

export interface ProxyHooks {
  /** Before the call is forwarded; 'drop' never forwards it and resets the connection. */
  beforeForward?(call: ProxiedCall): 'forward' | 'drop' | Promise<'forward' | 'drop'>;
  /** The server answered (it acted); 'drop' loses the answer and resets the connection. */
  beforeRelay?(call: ProxiedCall, status: number): 'relay' | 'drop' | Promise<'relay' | 'drop'>;
  /** The answer was handed to the client. */
  afterRelay?(call: ProxiedCall, status: number): void;
}

export interface InterceptProxy {
  /** API base to give the client: http://127.0.0.1:PORT/client/v4. */
  url: string;
  hooks: ProxyHooks;
  /** Calls seen so far, per route. */
  counts: Record<ProxyRoute, number>;
  /** Every release POST that arrived, in order (`nth` as in counts.release), dropped ones too. */
  releases: { nth: number; account: string; ids: string[] }[];
  /**
   * Resolves once another release POST naming one of `ids` has arrived after this call, or
   * after `capMs`: lets a held request act at the worst moment, when a second send follows.
   */
  nextRelease(ids: readonly string[], capMs: number): Promise<void>;
  /** Resolves once no call is being handled (a held one included), bounded by `ms`. */
  idle(ms?: number): Promise<void>;
  close(): Promise<void>;
}

function routeOf(method: string, path: string): ProxyRoute {
  const p = path.split('?')[0] ?? '';
  if (method === 'POST' && p.endsWith('/investigate/release')) return 'release';
  if (method === 'GET' && p.endsWith('/action_log')) return 'action_log';
  if (method === 'GET' && /\/investigate\/[^/]+$/.test(p)) return 'message';
  return 'other';
}

function readAll(stream: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'content-length']);

export async function startProxy(upstreamApiUrl: string): Promise<InterceptProxy> {
  const upstream = new URL(upstreamApiUrl);
  const sockets = new Set<Socket>();
  let n = 0;
  let active = 0;
  /** Release POSTs that arrived, by id: how many so far. */
  const posts = new Map<string, number>();
  const counts: Record<ProxyRoute, number> = { release: 0, message: 0, action_log: 0, other: 0 };
  const releases: InterceptProxy['releases'] = [];

  const proxy: InterceptProxy = {
    url: '',
    hooks: {},
    counts,
    releases,
    // Bounded by the clock, not by a count of sleeps: on a loaded machine a 5 ms sleep takes
    // far longer, and a held request would then act after the settle time the tool is told.
    nextRelease: async (ids, capMs) => {
      const seen = ids.map((id) => posts.get(id) ?? 0);
      const until = Date.now() + capMs;
      while (Date.now() < until) {
        if (ids.some((id, i) => (posts.get(id) ?? 0) > (seen[i] ?? 0))) return;
        await new Promise((r) => setTimeout(r, 5));
      }
    },
    idle: async (ms = 10_000) => {
      const until = Date.now() + ms;
      while (active > 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
    },
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const body = await readAll(req);
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const route = routeOf(method, path);
    counts[route]++;
    const call: ProxiedCall = { n: ++n, nth: counts[route], method, path, route };
    if (route === 'release') {
      try {
        const named = releaseBodyIds(JSON.parse(body.toString('utf8')));
        if (named) call.ids = named.ids.map(String);
        for (const id of call.ids ?? []) posts.set(id, (posts.get(id) ?? 0) + 1);
      } catch {
        // not JSON: the emulator answers 400
      }
      const account = /\/accounts\/([^/]+)\//.exec(path)?.[1] ?? '';
      releases.push({ nth: call.nth, account, ids: call.ids ?? [] });
    }
    if ((await proxy.hooks.beforeForward?.(call)) === 'drop') {
      req.socket.destroy();
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k) && k !== 'host') headers[k] = v;
    headers.host = upstream.host;
    headers['content-length'] = String(body.length);
    const answer = await new Promise<
      { status: number; headers: IncomingMessage['headers']; body: Buffer } | undefined
    >((resolve) => {
      const up = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method,
          path,
          headers,
          agent: false,
        },
        (r) => {
          readAll(r).then(
            (b) => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: b }),
            () => resolve(undefined),
          );
        },
      );
      up.on('error', () => resolve(undefined));
      // The client gave up (its timeout) or died: stop waiting for the server.
      res.on('close', () => {
        if (!res.writableEnded) {
          up.destroy();
          resolve(undefined);
        }
      });
      up.end(body);
    });
    if (answer === undefined) {
      // The server reset the connection or never answered: so does the proxy.
      req.socket.destroy();
      return;
    }
    if ((await proxy.hooks.beforeRelay?.(call, answer.status)) === 'drop') {
      req.socket.destroy();
      return;
    }
    if (res.destroyed || req.socket.destroyed) return;
    const out: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(answer.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
    out['content-length'] = String(answer.body.length);
    res.writeHead(answer.status, out);
    res.end(answer.body);
    proxy.hooks.afterRelay?.(call, answer.status);
  }

  const server = createServer((req, res) => {
    active++;
    handle(req, res)
      .catch(() => req.socket.destroy())
      .finally(() => active--);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  proxy.url = `http://127.0.0.1:${port}${upstream.pathname.replace(/\/+$/, '')}`;
  return proxy;
}
