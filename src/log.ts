/**
 * The broker's structured logger (pino, JSON lines on stdout). One root logger per process;
 * components take `logger.child({ component, ... })`.
 */
import { pino, type Logger } from 'pino';

export type { Logger } from 'pino';

export function createLogger(level: string): Logger {
  return pino({ level, base: { pid: process.pid } });
}
