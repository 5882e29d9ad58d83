import * as core from '@actions/core';

/** Where an annotation goes (a file of the repository, its line and column), and its title. */
export interface Annotation {
  file: string;
  line: number;
  column: number;
  title?: string;
}

/**
 * What the action needs from the runner, behind a small interface that tests can record. Every
 * message passed in must already be escaped by the caller.
 */
export interface Toolkit {
  info(message: string): void;
  warning(message: string, at?: Annotation): void;
  error(message: string, at?: Annotation): void;
  setOutput(name: string, value: string | number): void;
  setFailed(message: string): void;
  setSecret(secret: string): void;
  /** Log lines until endGroup() fold under `name` in the run's log. */
  startGroup(name: string): void;
  endGroup(): void;
  /** Appends markdown to the job summary. */
  summary(markdown: string): Promise<void>;
}

/** GitHub caps a step's summary at 1 MiB; stay below it. */
const SUMMARY_MAX_CHARS = 1_000_000;

function annotation(at: Annotation | undefined): core.AnnotationProperties | undefined {
  return at
    ? { file: at.file, startLine: at.line, startColumn: at.column, title: at.title }
    : undefined;
}

export const coreToolkit: Toolkit = {
  info: (m) => core.info(m),
  warning: (m, at) => core.warning(m, annotation(at)),
  error: (m, at) => core.error(m, annotation(at)),
  setOutput: (name, value) => core.setOutput(name, String(value)),
  setFailed: (m) => core.setFailed(m),
  setSecret: (s) => core.setSecret(s),
  startGroup: (name) => core.startGroup(name),
  endGroup: () => core.endGroup(),
  summary: async (markdown) => {
    if (!process.env.GITHUB_STEP_SUMMARY) return;
    const text =
      markdown.length > SUMMARY_MAX_CHARS
        ? `${markdown.slice(0, markdown.lastIndexOf('\n', SUMMARY_MAX_CHARS))}\n\n… cut at the summary size limit; the full results are in the results file.\n`
        : markdown;
    await core.summary.addRaw(text, true).write();
  },
};
