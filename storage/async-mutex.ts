/**
 * AsyncMutex: runs async critical sections one at a time, in call order. A section that throws
 * releases the lock like one that returns.
 */
export class AsyncMutex {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(section: () => Promise<T>): Promise<T> {
    const result = this.tail.then(section, section);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
