import type fc from 'fast-check';

/** The type of the values an arbitrary generates. */
export type ValueOf<A> = A extends fc.Arbitrary<infer T> ? T : never;
