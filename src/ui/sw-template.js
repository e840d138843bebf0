/* global __CACHE__, __FILES__ */
// The offline service worker; vite.config.ts fills in the cache name and the list of the build's files.
// It only ever answers requests for the app's own files; it never fetches anything from another origin.
const CACHE = __CACHE__;
const FILES = __FILES__;

self.addEventListener('install', (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((cache) => cache.addAll(FILES))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener('activate', (event) => {
  // Drop the caches of older builds.
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith('crashlens-') && k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  event.respondWith(
    caches.open(CACHE).then(async (cache) => {
      // Built file names carry content hashes, so a cached copy is always the right one.
      const hit = await cache.match(req, { ignoreSearch: true });
      if (hit) return hit;
      try {
        const res = await fetch(req);
        // Samples are not precached (size): keep each one once fetched, so it opens offline afterwards.
        if (res.ok && new URL(req.url).pathname.includes('/samples/')) await cache.put(req, res.clone());
        return res;
      } catch (e) {
        if (req.mode === 'navigate') return (await cache.match('./')) ?? Response.error();
        throw e;
      }
    }),
  );
});
