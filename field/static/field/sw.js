// 掌上执法 service worker: keeps the app shell and the day's data for work without signal.
// Pages and GET API answers: network first, the cached copy when offline. Writes are never cached:
// the app keeps them in IndexedDB and sends them itself when the network returns.
const CACHE = "zhifa-field-v1";
const NETWORK_WAIT_MS = 4000;
const SHELL = ["/field/", "/field/app.js", "/field/manifest.webmanifest", "/field/icon.svg"];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (!(url.pathname.startsWith("/field/") || url.pathname === "/api/v1/field/today/")) return;
  // A weak signal on site can hang rather than fail: after a few seconds the cached copy answers.
  const network = Promise.race([
    fetch(request),
    new Promise((_, reject) => setTimeout(() => reject(new Error("timeout")), NETWORK_WAIT_MS)),
  ]);
  event.respondWith(
    network
      .then((response) => {
        if (response.ok) {
          const copy = response.clone();
          caches.open(CACHE).then((cache) => cache.put(request, copy));
        }
        return response;
      })
      // Vary: Cookie on zhifa's answers must not hide the copy cached at install.
      .catch(() =>
        caches.match(request, { ignoreVary: true }).then((hit) => {
          if (hit || request.mode !== "navigate") return hit || Response.error();
          return caches.match("/field/", { ignoreVary: true });
        })
      )
  );
});
