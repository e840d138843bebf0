/// <reference types="svelte" />
/// <reference types="vite/client" />

// File System Access API pieces Chromium has and TypeScript's DOM library does not (yet) describe.
interface OpenFilePickerOptions {
  multiple?: boolean;
  id?: string;
  excludeAcceptAllOption?: boolean;
  startIn?: string | FileSystemHandle;
}

interface FileSystemHandlePermissionDescriptor {
  mode?: 'read' | 'readwrite';
}

interface FileSystemHandle {
  queryPermission?(descriptor?: FileSystemHandlePermissionDescriptor): Promise<PermissionState>;
  requestPermission?(descriptor?: FileSystemHandlePermissionDescriptor): Promise<PermissionState>;
}

interface DataTransferItem {
  getAsFileSystemHandle?(): Promise<FileSystemHandle | null>;
}

interface Window {
  showOpenFilePicker?(options?: OpenFilePickerOptions): Promise<FileSystemFileHandle[]>;
}
