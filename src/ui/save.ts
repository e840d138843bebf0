// Saves text as a local file through a blob: URL: the browser writes it to disk, nothing goes on the network.
export function saveText(name: string, text: string): void {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/plain;charset=utf-8' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name.replace(/[\\/:*?"<>|]+/g, '_');
  a.rel = 'noopener';
  document.body.append(a);
  a.click();
  a.remove();
  // The download has started by now; revoke later so slow browsers still find the URL.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
