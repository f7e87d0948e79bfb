/**
 * Writes CLI output to stdout with backpressure: `write` resolves once the stream can take more,
 * so a consumer piping millions of records never buffers them all in memory. A closed pipe
 * (`rill consume ... | head`) is not an error: main.ts exits 0 on EPIPE, as Unix filters do. A
 * pipe closed while the consumer waits for records is noticed at its next write (a pipe gives no
 * event before then), as with kcat and kafka-console-consumer.
 * One writer per process; calls must be awaited in order.
 */
export async function writeOut(text: string): Promise<void> {
  if (process.stdout.write(text)) return;
  await new Promise<void>((resolve) => process.stdout.once('drain', resolve));
}
