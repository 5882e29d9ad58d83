// Writing to the process's stdout and stderr when the reader may leave early
// (`quarantine-release plan | head -1`).

/**
 * A writer for `stream` that goes quiet once its reader has closed the pipe. Node ignores
 * SIGPIPE, so a write to a closed pipe fails with EPIPE, emitted as an 'error' event that
 * would otherwise crash the process with a stack trace. Other tools die of SIGPIPE at that
 * point; here later writes are dropped and `onClosed` is called once, so the caller can stop
 * the way it does on SIGINT (a release in flight is still recorded in the ledger).
 */
export function pipeWriter(
  stream: NodeJS.WritableStream,
  onClosed: () => void,
): (text: string) => void {
  let closed = false;
  stream.on('error', (error: NodeJS.ErrnoException) => {
    // A write queued before the EPIPE was seen fails on the destroyed stream: same cause.
    if (error.code !== 'EPIPE' && error.code !== 'ERR_STREAM_DESTROYED') throw error;
    if (closed) return;
    closed = true;
    onClosed();
  });
  return (text) => {
    if (!closed) stream.write(text);
  };
}
