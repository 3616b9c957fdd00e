/**
 * Bulk COPY helpers over pg-copy-streams: a buffered writer with back-pressure, so a
 * producer can push millions of lines without holding them in memory.
 */
import type { Readable } from 'node:stream';
import { finished, pipeline } from 'node:stream/promises';
import type pg from 'pg';
import pgCopy from 'pg-copy-streams';

/** Bytes sent to Postgres at a time. */
const CHUNK_BYTES = 1 << 20;
/** The most UTF-8 bytes one UTF-16 code unit of a JavaScript string can take. */
const MAX_BYTES_PER_UNIT = 3;

export class CopyWriter {
  // Lines are encoded straight into a chunk of bytes: joining them into one string first
  // and letting the stream encode it cost a fifth of a 2M-event ingest's CPU.
  private chunk = Buffer.allocUnsafe(CHUNK_BYTES);
  private used = 0;
  private mustDrain = false;
  private failure: Error | null = null;
  /** A write after the COPY failed (the stream has let go of its connection): the COPY's own error explains it. */
  private writeError: Error | null = null;
  private readonly stream: ReturnType<typeof pgCopy.from>;

  /** Starts `COPY <target> FROM STDIN` (text format) on `client`. */
  constructor(client: pg.PoolClient, target: string) {
    this.stream = client.query(pgCopy.from(`COPY ${target} FROM STDIN`));
    this.stream.on('error', (error: Error) => {
      this.failure ??= error;
    });
  }

  write(line: string): void {
    if (line.length * MAX_BYTES_PER_UNIT > CHUNK_BYTES - this.used) {
      this.flush();
      if (line.length * MAX_BYTES_PER_UNIT > CHUNK_BYTES) {
        this.send(Buffer.from(line, 'utf8'));
        return;
      }
    }
    this.used += this.chunk.write(line, this.used, 'utf8');
  }

  /** Resolves when Postgres has caught up; rejects if the COPY has failed. */
  async drained(): Promise<void> {
    if (this.failure !== null) throw this.failure;
    if (this.writeError !== null) {
      // The server's reason (a repeated key, say) arrives with the stream's end.
      await finished(this.stream).catch(() => undefined);
      throw this.failure ?? this.writeError;
    }
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
    if (this.writeError !== null) await this.drained();
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
    if (this.used === 0) return;
    const full = this.chunk.subarray(0, this.used);
    this.chunk = Buffer.allocUnsafe(CHUNK_BYTES);
    this.used = 0;
    this.send(full);
  }

  private send(bytes: Buffer): void {
    if (this.failure !== null || this.writeError !== null) return; // the COPY is lost: drained() and end() say why
    try {
      if (!this.stream.write(bytes)) this.mustDrain = true;
    } catch (error) {
      this.writeError = error as Error;
    }
  }
}

/** Streams an already COPY-formatted source (a file of lines) into `target`. */
export async function copyFromReadable(client: pg.PoolClient, target: string, source: Readable): Promise<number> {
  const stream = client.query(pgCopy.from(`COPY ${target} FROM STDIN`));
  await pipeline(source, stream);
  return Number(stream.rowCount);
}
