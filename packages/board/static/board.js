/* global document, htmx, WebSocket, MutationObserver */
// ringkit board — browser side. Applies the server's merged live button state (sent over the
// WebSocket as a snapshot on connect and with every update), refreshes content after an apply,
// shows the staged-update banner live, hides toasts, and reconnects with exponential backoff.
(() => {
  'use strict';
  /** buttonId -> merged state, exactly as the server keeps it. */
  const cache = new Map();
  const SVG_NS = 'http://www.w3.org/2000/svg';

  function setIcon(el, name) {
    el.dataset.icon = name;
    if (name) {
      const url = `url("${new URL(`icons/${name}.svg`, document.baseURI).href}")`;
      el.style.maskImage = url;
      el.style.webkitMaskImage = url;
      el.hidden = false;
    } else {
      el.style.maskImage = '';
      el.style.webkitMaskImage = '';
      el.hidden = true;
    }
  }

  function drawSparkline(svg, s) {
    svg.replaceChildren();
    for (const series of [s, s.overlay]) {
      if (!series || !series.path) continue;
      const path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', series.path);
      path.setAttribute('stroke', series.color || 'currentColor');
      path.setAttribute('stroke-width', String(series.strokeWidth));
      path.setAttribute('fill', 'none');
      path.setAttribute('vector-effect', 'non-scaling-stroke');
      svg.appendChild(path);
    }
  }

  function applyState(id, s) {
    const btn = document.getElementById(`btn-${id}`);
    if (!btn || !s) return;
    const icon = btn.querySelector('[data-role="button-icon"]');
    const svg = btn.querySelector('[data-role="button-sparkline"]');
    if (s.sparkline) {
      if (icon) icon.hidden = true;
      if (svg) { svg.style.display = ''; drawSparkline(svg, s.sparkline); }
    } else {
      if (svg) { svg.style.display = 'none'; svg.replaceChildren(); }
      if (icon && typeof s.icon === 'string') setIcon(icon, s.icon);
    }
    if (typeof s.text === 'string') {
      const span = btn.querySelector('[data-role="button-text"]');
      if (span) span.textContent = s.text;
      btn.title = s.text;
    }
    if (typeof s.style === 'string') {
      const old = btn.dataset.currentStyleClass || '';
      for (const c of old.split(/\s+/)) if (c) btn.classList.remove(c);
      for (const c of s.style.split(/\s+/)) if (c) btn.classList.add(c);
      btn.dataset.currentStyleClass = s.style;
    }
  }

  function applyAll() {
    for (const [id, s] of cache) applyState(id, s);
  }

  function replaceCache(buttons) {
    cache.clear();
    for (const [id, s] of Object.entries(buttons || {})) cache.set(id, s);
  }

  function refreshBanner() {
    return htmx.ajax('GET', 'content/banner', { swap: 'none' });
  }

  function activePageId() {
    const grid = document.querySelector('#page-content-area .button-grid');
    if (grid && grid.dataset.pageId) return grid.dataset.pageId;
    const tab = document.querySelector('#page-navigation .nav-link.active');
    return tab ? tab.dataset.pageId : '';
  }

  function refreshContent() {
    const id = activePageId();
    return htmx.ajax('GET', `content/page/${encodeURIComponent(id || '-')}?fallback=1`, { target: '#page-content-area', swap: 'innerHTML' });
  }

  const status = () => document.getElementById('connection-status');
  function setStatus(state) {
    const el = status();
    if (el) { el.dataset.state = state; el.textContent = state; }
  }

  let attempt = 0;
  function connect() {
    const url = new URL('ws/button_updates', document.baseURI);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(url.href);
    ws.onopen = () => { attempt = 0; setStatus('live'); };
    ws.onmessage = (ev) => {
      let msg;
      try { msg = JSON.parse(ev.data); } catch (e) { console.warn('board: unparseable message', e); return; }
      switch (msg.type) {
        case 'snapshot':
          replaceCache(msg.payload.buttons);
          applyAll();
          void refreshBanner();
          break;
        case 'button_content_update':
          if (!msg.payload || !msg.payload.buttonId) return;
          cache.set(msg.payload.buttonId, msg.state);
          applyState(msg.payload.buttonId, msg.state);
          break;
        case 'navigation_update':
          replaceCache(msg.payload.buttons);
          void refreshContent();
          void refreshBanner();
          break;
        case 'staged':
        case 'discarded':
          void refreshBanner();
          break;
        default:
          break;
      }
    };
    ws.onclose = () => {
      setStatus('reconnecting');
      const delay = Math.min(15000, 500 * 2 ** attempt) * (0.5 + Math.random() / 2);
      attempt++;
      setTimeout(connect, delay);
    };
    ws.onerror = () => { /* onclose follows and schedules the reconnect */ };
  }

  // Re-apply live state to buttons swapped in by a tab switch or a refresh.
  document.body.addEventListener('htmx:afterSwap', (ev) => {
    if (ev.detail && ev.detail.target && ev.detail.target.id === 'page-content-area') applyAll();
  });

  // Toasts: shown for 3 s, then faded out and emptied.
  let hideTimer;
  const container = document.getElementById('toast-container');
  if (container) {
    new MutationObserver(() => {
      const toast = document.getElementById('toast-message');
      if (!toast || !toast.classList.contains('show') || !toast.textContent.trim()) return;
      clearTimeout(hideTimer);
      hideTimer = setTimeout(() => {
        toast.classList.remove('show');
        setTimeout(() => {
          if (document.getElementById('toast-message') === toast && !toast.classList.contains('show')) {
            toast.textContent = '';
            toast.classList.remove('error');
          }
        }, 500);
      }, 3000);
    }).observe(container, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
  }

  connect();
})();
