/**
 * The answer of the first request, made before the heavy modules load. A failure is kept
 * for the mode to report where it would have made the call itself.
 */
export type Early<T> = { ok: true; value: T } | { ok: false; error: unknown };

export function settled<T>(promise: Promise<T>): Promise<Early<T>> {
  return promise.then(
    (value) => ({ ok: true as const, value }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** The value of the first request, or its error thrown now. */
export function awaitEarly<T>(early: Early<T>): T {
  if (!early.ok) throw early.error;
  return early.value;
}
