// HTTP plumbing on 127.0.0.1: read the request, hand it over, write the JSON reply.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ApiRequest } from './api.js';
import { failure, type Reply } from './http.js';

// Far above anything a ledger commit sends; stops a runaway client from filling memory.
const MAX_BODY_BYTES = 32 * 1024 * 1024;

export interface LoopbackServer {
  url: string;
  close(): Promise<void>;
}

export async function listenOnLoopback(
  handle: (request: ApiRequest) => Reply,
): Promise<LoopbackServer> {
  const server = createServer((req, res) => {
    serve(req, handle).then(
      (reply) => send(res, reply),
      (error: unknown) => send(res, failure(500, `fake GitHub failed: ${String(error)}`)),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Octokit keeps connections alive; without this, close() waits for them to time out.
        server.closeAllConnections();
      }),
  };
}

async function serve(req: IncomingMessage, handle: (r: ApiRequest) => Reply): Promise<Reply> {
  const body = await readBody(req);
  if (body === undefined) {
    // The rest of the body is never read, so the connection cannot be reused.
    return failure(413, 'Request body too large', { headers: { connection: 'close' } });
  }
  return handle({
    method: (req.method ?? 'GET').toUpperCase(),
    url: new URL(req.url ?? '/', `http://${req.headers.host ?? '127.0.0.1'}`),
    authorization: req.headers.authorization,
    body,
  });
}

/** The body as text, or undefined when it exceeds the cap. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

function send(res: ServerResponse, reply: Reply): void {
  const text = reply.body === undefined ? '' : JSON.stringify(reply.body);
  res.writeHead(reply.status, {
    ...(text === '' ? {} : { 'content-type': 'application/json; charset=utf-8' }),
    'content-length': String(Buffer.byteLength(text)),
    ...reply.headers,
  });
  res.end(text);
}
