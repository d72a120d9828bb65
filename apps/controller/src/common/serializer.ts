/**
 * Runs mutations one at a time. Hardware calls are synchronous but database
 * writes are not, so without this two requests could interleave between a
 * device's creation in the engine and its row in the database.
 */
export class Serializer {
  private tail: Promise<unknown> = Promise.resolve();

  run<T>(task: () => Promise<T>): Promise<T> {
    const result = this.tail.then(task, task);
    this.tail = result.catch(() => undefined);
    return result;
  }
}
