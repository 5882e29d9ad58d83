// What the action needs from the runner, behind one small interface (implemented with
// @actions/core). Every message passed in must already be escaped by the caller.
export interface Annotation {
  file: string;
  line: number;
  column: number;
  title?: string;
}

export interface Toolkit {
  info(message: string): void;
  warning(message: string, at?: Annotation): void;
  error(message: string, at?: Annotation): void;
  setOutput(name: string, value: string | number): void;
  setFailed(message: string): void;
  setSecret(secret: string): void;
  /** Appends markdown to the job summary. */
  summary(markdown: string): Promise<void>;
}
