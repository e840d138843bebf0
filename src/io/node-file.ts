// A file on disk read with fs.readSync (Node: the command line and tests).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { ReadError } from '../errors.ts';
import type { BlockReader } from './block-cache.ts';
import { CachedSource } from './block-cache.ts';

class NodeFileReader implements BlockReader {
  readonly name: string;
  readonly size: number;
  constructor(private readonly fd: number, path: string) {
    this.name = basename(path);
    this.size = fstatSync(fd).size;
  }
  readRaw(offset: number, length: number): Uint8Array {
    const out = new Uint8Array(length);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, out, done, length - done, offset + done);
      if (n === 0) throw new ReadError(this.name, offset + done, length - done, 'unexpected end of file');
      done += n;
    }
    return out;
  }
}

export class NodeFileSource extends CachedSource {
  private constructor(private readonly fd: number, path: string, cacheBytes?: number) {
    super(new NodeFileReader(fd, path), undefined, cacheBytes);
  }
  /** `cacheBytes` bounds the block cache (64 MiB by default); a sequential scan needs little. */
  static open(path: string, cacheBytes?: number): NodeFileSource {
    return new NodeFileSource(openSync(path, 'r'), path, cacheBytes);
  }
  close(): void {
    closeSync(this.fd);
  }
}
