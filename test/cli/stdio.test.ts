// pipeWriter: the CLI's stdout/stderr writer that goes quiet when the reader leaves.
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pipeWriter } from '../../src/cli/stdio.js';

function sink(): { stream: Writable; written: string[] } {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      done();
    },
  });
  return { stream, written };
}

const errno = (code: string) => Object.assign(new Error(code), { code });

describe('pipeWriter', () => {
  it('writes until EPIPE, then drops every write and reports the closed pipe once', () => {
    const { stream, written } = sink();
    let closed = 0;
    const write = pipeWriter(stream, () => closed++);
    write('one\n');
    stream.emit('error', errno('EPIPE'));
    stream.emit('error', errno('ERR_STREAM_DESTROYED'));
    write('two\n');
    expect(written).toEqual(['one\n']);
    expect(closed).toBe(1);
  });

  it('lets any other write error through: only a reader that left is quiet', () => {
    const { stream } = sink();
    let closed = 0;
    pipeWriter(stream, () => closed++);
    expect(() => stream.emit('error', errno('ENOSPC'))).toThrow('ENOSPC');
    expect(closed).toBe(0);
  });
});
