// The client's retry policy for reads (retryGet): undici hands it every failed request on the
// retrying dispatcher and leaves the choice of methods to it, so it alone keeps a release
// (a POST) from ever being sent twice, whichever dispatcher carries it.
import type { Dispatcher, RetryHandler } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { retryGet } from '../../src/adapters/cloudflare/client.js';

type Context = Parameters<NonNullable<RetryHandler.RetryOptions['retry']>>[1];

function decide(method: Dispatcher.HttpMethod, error: object): Promise<Error | null> {
  const context = {
    state: { counter: 1 },
    opts: { method, path: '/x', origin: 'http://127.0.0.1', retryOptions: {} },
  } as unknown as Context;
  return new Promise((resolve) => {
    retryGet(Object.assign(new Error('boom'), error), context, (err) => resolve(err ?? null));
    vi.runAllTimers();
  });
}

describe('retryGet', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('retries a GET that met a 503 or a reset connection', async () => {
    vi.useFakeTimers();
    expect(await decide('GET', { statusCode: 503 })).toBeNull();
    expect(await decide('GET', { code: 'ECONNRESET' })).toBeNull();
  });

  it('never retries a POST, whatever the error', async () => {
    vi.useFakeTimers();
    for (const error of [{ statusCode: 503 }, { statusCode: 429 }, { code: 'ECONNRESET' }])
      expect(await decide('POST', error)).toBeInstanceOf(Error);
  });

  it('gives up on a GET answered 400', async () => {
    vi.useFakeTimers();
    expect(await decide('GET', { statusCode: 400 })).toBeInstanceOf(Error);
  });
});
