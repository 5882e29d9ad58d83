// The order test files start in. Files that run the bundled action or CLI as subprocesses spend
// most of their time waiting (on the child, and on the GitHub client's one-write-a-second
// pacing), so they start first and the CPU-bound unit files fill the gaps. Without this, on a
// fresh clone (no timings cached yet) vitest starts the largest files first, and some of the
// slowest end-to-end files started last, running alone at the end.
import { BaseSequencer, type TestSpecification } from 'vitest/node';

const WAITING = /[\\/]test[\\/](e2e|adversarial|hostile|secrets)[\\/]/;

export class WaitingFilesFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const waiting = (f: TestSpecification) => WAITING.test(f.moduleId);
    return [...sorted.filter(waiting), ...sorted.filter((f) => !waiting(f))];
  }
}
