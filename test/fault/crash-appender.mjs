// Child process of crash.test.ts: appends batches with flush "always" to the log in argv[2],
// printing "ack <baseOffset> <value>" after each append resolves, until it is killed.
import { DEFAULT_LOG_CONFIG, encodeRecordBatch, openLog } from '../../dist/storage/index.js';

const dir = process.argv[2];
const log = await openLog({ dir, config: { ...DEFAULT_LOG_CONFIG, segmentBytes: 64 * 1024, flush: 'always' } });
process.stdout.write(`ready ${log.logEndOffset}\n`);
let n = 0;
const appenders = Array.from({ length: 4 }, async (_, lane) => {
  for (;;) {
    const value = `lane${lane}-n${n++}-${'p'.repeat(n % 300)}`;
    const batch = await encodeRecordBatch([{ key: null, value: Buffer.from(value) }]);
    const result = await log.append(batch);
    process.stdout.write(`ack ${result.baseOffset} ${value}\n`);
  }
});
await Promise.all(appenders);
