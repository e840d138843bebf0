// Recently opened dumps, remembered as File System Access handles in IndexedDB (this browser profile only).
// A handle is a capability to re-read the file after the user grants permission again; no file contents and
// nothing about the dump beyond its release and panic line is stored.
import { get, set } from 'idb-keyval';

export interface RecentDump {
  names: string[];
  handles: FileSystemFileHandle[];
  opened: number;
  release?: string;
  panic?: string;
}

const KEY = 'crashlens.recent';
const MAX = 8;

export async function listRecent(): Promise<RecentDump[]> {
  try {
    return ((await get<RecentDump[]>(KEY)) ?? []).filter((r) => Array.isArray(r.handles) && r.handles.length > 0);
  } catch {
    return []; // IndexedDB unavailable (private mode, file://): no recent list
  }
}

export async function remember(entry: RecentDump): Promise<void> {
  try {
    const key = entry.names.join('\n');
    const rest = (await listRecent()).filter((r) => r.names.join('\n') !== key);
    await set(KEY, [entry, ...rest].slice(0, MAX));
  } catch {
    // Not being able to remember is not an error worth showing.
  }
}

export async function forget(names: string[]): Promise<void> {
  try {
    const key = names.join('\n');
    await set(
      KEY,
      (await listRecent()).filter((r) => r.names.join('\n') !== key),
    );
  } catch {
    // As above.
  }
}

/** Re-reads the files of a recent entry; asks for read permission again if the browser dropped it. */
export async function reopen(entry: RecentDump): Promise<File[]> {
  const files: File[] = [];
  for (const h of entry.handles) {
    const state = (await h.queryPermission?.({ mode: 'read' })) ?? 'granted';
    if (state !== 'granted' && (await h.requestPermission?.({ mode: 'read' })) !== 'granted') {
      throw new Error(`${h.name}: permission to read the file was not granted`);
    }
    files.push(await h.getFile());
  }
  return files;
}
