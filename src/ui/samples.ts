// The sample dump shipped with the app (public/samples/): a real kdump capture of a Debian 6.1 kernel that
// panicked on sysrq-c, with the vmcore-dmesg.txt the capture kernel saved. Fetched from the app's own
// origin, so it works wherever the app is hosted and offline once fetched.

export interface Sample {
  /** Files under samples/, in the order they are opened. */
  files: string[];
  label: string;
  detail: string;
}

export const SAMPLE: Sample = {
  files: ['kdump-mdf-d31-lzo.kdump'],
  label: 'Open the sample',
  detail: 'Debian 6.1 · sysrq-c panic · kdump capture (makedumpfile -l -d 31) · 22 MB · no vmlinux',
};

export const SAMPLE_LOG: Sample = {
  files: ['vmcore-dmesg.txt'],
  label: 'its vmcore-dmesg.txt',
  detail: 'the same crash as a plain kernel log',
};

/** Fetches a sample's files as File objects (relative URL: the app may live under any path). */
export async function fetchSample(s: Sample, onProgress?: (fraction: number) => void): Promise<File[]> {
  const out: File[] = [];
  for (const name of s.files) {
    const res = await fetch(`./samples/${name}`);
    if (!res.ok) throw new Error(`samples/${name}: HTTP ${res.status}`);
    const total = Number(res.headers.get('content-length')) || 0;
    const reader = res.body?.getReader();
    if (!reader) {
      out.push(new File([await res.blob()], name));
      continue;
    }
    const chunks: Uint8Array<ArrayBuffer>[] = [];
    let got = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      got += value.length;
      if (total) onProgress?.(got / total);
    }
    out.push(new File(chunks, name));
  }
  return out;
}
