// Entry point: mounts the app and, when served over http(s), registers the service worker that keeps the app
// usable offline.
import { mount } from 'svelte';
import App from './ui/App.svelte';
import './ui/app.css';

const target = document.getElementById('app');
if (!target) throw new Error('index.html has no #app element');
mount(App, { target });

if (import.meta.env.PROD && 'serviceWorker' in navigator && location.protocol !== 'file:') {
  // Relative URL: the app may live under any path.
  navigator.serviceWorker.register('./sw.js').catch(() => {
    // No service worker (private window, unsupported host): the app still works, just not offline.
  });
}
