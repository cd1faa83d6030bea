// Generated tables as byte streams, for loading straight into a server with COPY FROM STDIN without
// writing files. Rows end without dbgen's trailing '|'. A parent table and its child (orders and
// lineitem, part and partsupp) come out of the same generation pass, so their streams flow together
// and must be consumed concurrently; a stream that is not read holds generation back.
import { PassThrough, Readable } from 'stream';
import { FAMILY_TABLES, Family } from './families';
import { generateParallel } from './parallel';

export interface FamilyStreams {
  /** One readable per table of the family, in FAMILY_TABLES order. */
  streams: Map<string, Readable>;
  /** Settles when generation is over (rejects if it failed; the streams are destroyed then). */
  done: Promise<void>;
}

export function streamFamily(sf: number, family: Family, workers?: number): FamilyStreams {
  const streams = new Map<string, PassThrough>();
  for (const t of FAMILY_TABLES[family]) streams.set(t, new PassThrough({ highWaterMark: 1 << 24 }));
  const done = generateParallel(
    { sf, families: [family], workers, trailingBar: false },
    {
      write(table, chunk) {
        const s = streams.get(table)!;
        if (s.write(chunk)) return;
        return new Promise<void>((resolve, reject) => {
          const cleanup = () => {
            s.off('drain', onDrain);
            s.off('close', onClose);
          };
          const onDrain = () => {
            cleanup();
            resolve();
          };
          const onClose = () => {
            cleanup();
            reject(new Error(`the consumer of ${table} stopped reading`));
          };
          s.on('drain', onDrain);
          s.on('close', onClose);
        });
      },
      end(table) {
        streams.get(table)!.end();
      },
    },
  ).catch((err: Error) => {
    for (const s of streams.values()) s.destroy(err);
    throw err;
  });
  return { streams, done };
}
