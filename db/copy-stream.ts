/**
 * Bulk COPY helpers over pg-copy-streams: a buffered writer with back-pressure, so a
 * producer can push millions of lines without holding them in memory.
 */
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';

const FLUSH_CHARS = 1 << 18;

export class CopyWriter {
  private buffer: string[] = [];
  private bufferedChars = 0;
  private mustDrain = false;
  private failure: Error | null = null;
  private readonly stream: ReturnType<typeof pgCopy.from>;

  /** Starts `COPY <target> FROM STDIN` (text format) on `client`. */
  constructor(client: pg.PoolClient, target: string) {
    this.stream = client.query(pgCopy.from(`COPY ${target} FROM STDIN`));
    this.stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  write(line: string): void {
    this.buffer.push(line);
    this.bufferedChars += line.length;
    if (this.bufferedChars >= FLUSH_CHARS) this.flush();
  }

  /** Resolves when Postgres has caught up; rejects if the COPY has failed. */
  async drained(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (!this.mustDrain) return;
    this.mustDrain = false;
    await new Promise<void>((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
    });
    if (this.failure !== null) throw this.failure;
  }

  /** Sends what is buffered and completes the COPY; returns the rows Postgres stored. */
  async end(): Promise<number> {
    this.flush();
    this.stream.end();
    try {
      await finished(this.stream);
    } catch (error) {
      throw this.failure ?? error;
    }
    if (this.failure !== null) throw this.failure;
    return Number(this.stream.rowCount);
  }

  private flush(): void {
    if (this.buffer.length === 0) return;
    const ok = this.stream.write(this.buffer.join(''));
    this.buffer = [];
    this.bufferedChars = 0;
    if (!ok) this.mustDrain = true;
  }
}

/** Streams an already COPY-formatted source (a file of lines) into `target`. */
export async function copyFromReadable(client: pg.PoolClient, target: string, source: Readable): Promise<number> {
  const stream = client.query(pgCopy.from(`COPY ${target} FROM STDIN`));
  await pipeline(source, stream);
  return Number(stream.rowCount);
}
