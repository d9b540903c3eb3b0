/** Progress events from long-running stages; the CLI renders them, Lambda ignores or logs counts. */
export interface ProgressEvent {
  stage: string;
  /** What is being worked on, e.g. "pupils/pupils_2025-26.csv". */
  item?: string;
  done?: number;
  total?: number;
  unit?: 'bytes' | 'rows' | 'statements';
  message?: string;
}

export type ProgressSink = (e: ProgressEvent) => void;

export const noProgress: ProgressSink = () => {};
