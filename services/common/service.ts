// What every long-running service returns when started: where it listens and how to stop it.
// For inference, close() is the graceful drain (ready -> 503, drain delay, stop accepting, finish in-flight).
export interface ServiceHandle {
  url: string;
  close(): Promise<void>;
}
