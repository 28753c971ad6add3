/** The time source, injected so tests can pin or advance timestamps. Imports nothing internal. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
