// A browser File read synchronously with FileReaderSync. Only available inside a Web Worker, which is where
// the engine runs: the UI thread never blocks on a read.
import type { BlockReader } from './block-cache.ts';
import { CachedSource } from './block-cache.ts';

class FileReaderSyncReader implements BlockReader {
  readonly name: string;
  readonly size: number;
  private readonly reader = new FileReaderSync();
  constructor(private readonly file: Blob, name: string) {
    this.name = name;
    this.size = file.size;
  }
  readRaw(offset: number, length: number): Uint8Array {
    return new Uint8Array(this.reader.readAsArrayBuffer(this.file.slice(offset, offset + length)));
  }
}

export class BrowserFileSource extends CachedSource {
  /** `cacheBytes` bounds the block cache (64 MiB by default); a sequential scan needs little. */
  constructor(file: File, cacheBytes?: number) {
    super(new FileReaderSyncReader(file, file.name), undefined, cacheBytes);
  }
}
