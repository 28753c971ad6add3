/** The little of autocannon's API (a CommonJS package without types) that bench/load-worker.ts uses. */
declare module 'autocannon' {
  import type { EventEmitter } from 'node:events';

  interface AutocannonResult {
    /** Seconds the run lasted. */
    duration: number;
    errors: number;
    timeouts: number;
    non2xx: number;
  }

  interface AutocannonInstance extends EventEmitter, PromiseLike<AutocannonResult> {}

  function autocannon(options: Record<string, unknown>): AutocannonInstance;
  export default autocannon;
}
