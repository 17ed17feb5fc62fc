/* global document, history, htmx, WebSocket, MutationObserver */
// ringkit board — browser side. Applies the server's merged live button state (sent over the
// WebSocket as a snapshot on connect and with every update), keeps the page on the server's
// configuration version whatever the timing (it knows the version it shows and re-fetches until
// that is the version the server announced), resyncs everything after a server restart, shows the
// staged-update banner live, says when the board is offline or needs a new login, hides toasts,
// and reconnects with exponential backoff.
//
// Oldest browsers supported: Safari / iOS 14, Chrome and Edge 86, Firefox 78 (htmx 2, CSS :is()
// in the FontAwesome stylesheet and Element.replaceChildren set that floor). Plain ES2019 here.
(function () {
  'use strict';
  /** buttonId -> merged state, exactly as the server keeps it (actionboard's key names). */
  var cache = new Map();
  var SVG_NS = 'http://www.w3.org/2000/svg';
  var instance = document.body.dataset.boardInstance || '';

  function sleep(ms) {
    return new Promise(function (resolve) { setTimeout(resolve, ms); });
  }

  // --- Icons: FontAwesome classes or a lucide name (the same rule as the server's isFontAwesome).
  function isFontAwesome(value) {
    return value.trim().split(/\s+/).some(function (t) {
      return t === 'fa' || t === 'fas' || t === 'far' || t === 'fab' || t.indexOf('fa-') === 0;
    });
  }

  function setIcon(el, value) {
    el.dataset.icon = value;
    el.style.maskImage = '';
    el.style.webkitMaskImage = '';
    if (!value) {
      el.className = 'icon';
      el.hidden = true;
    } else if (isFontAwesome(value)) {
      el.className = 'icon-fa ' + value;
      el.hidden = false;
    } else {
      var url = 'url("' + new URL('icons/' + encodeURIComponent(value) + '.svg', document.baseURI).href + '")';
      el.className = 'icon';
      el.style.maskImage = url;
      el.style.webkitMaskImage = url;
      el.hidden = false;
    }
  }

  function drawSparkline(svg, s) {
    svg.replaceChildren();
    [s, s.overlay].forEach(function (series) {
      if (!series || !series.path) return;
      var path = document.createElementNS(SVG_NS, 'path');
      path.setAttribute('d', series.path);
      path.setAttribute('stroke', series.color || 'currentColor');
      path.setAttribute('stroke-width', String(series.stroke_width));
      path.setAttribute('fill', 'none');
      path.setAttribute('vector-effect', 'non-scaling-stroke');
      svg.appendChild(path);
    });
  }

  function applyState(id, s) {
    var btn = document.getElementById('btn-' + id);
    if (!btn || !s) return;
    var icon = btn.querySelector('[data-role="button-icon"]');
    var svg = btn.querySelector('[data-role="button-sparkline"]');
    if (s.sparkline) {
      if (icon) icon.hidden = true;
      if (svg) { svg.style.display = ''; drawSparkline(svg, s.sparkline); }
    } else {
      if (svg) { svg.style.display = 'none'; svg.replaceChildren(); }
      if (icon && typeof s.icon_class === 'string') setIcon(icon, s.icon_class);
    }
    if (typeof s.text === 'string') {
      var span = btn.querySelector('[data-role="button-text"]');
      if (span) span.textContent = s.text;
      btn.title = s.text;
    }
    if (typeof s.style_class === 'string') {
      var old = btn.dataset.currentStyleClass || '';
      old.split(/\s+/).forEach(function (c) { if (c) btn.classList.remove(c); });
      s.style_class.split(/\s+/).forEach(function (c) { if (c) btn.classList.add(c); });
      btn.dataset.currentStyleClass = s.style_class;
    }
  }

  function applyAll() {
    cache.forEach(function (s, id) { applyState(id, s); });
  }

  function replaceCache(buttons) {
    cache.clear();
    Object.keys(buttons || {}).forEach(function (id) { cache.set(id, buttons[id]); });
  }

  // --- Toasts: shown for 3 s, then faded out and emptied.
  function showToast(text, error) {
    var toast = document.getElementById('toast-message');
    if (!toast) return;
    var span = document.createElement('span');
    span.id = 'toast-message-content';
    span.textContent = text;
    toast.className = 'toast show' + (error ? ' error' : '');
    toast.replaceChildren(span);
  }
  var hideTimer;
  var container = document.getElementById('toast-container');
  if (container) {
    new MutationObserver(function () {
      var toast = document.getElementById('toast-message');
      if (!toast || !toast.classList.contains('show') || !toast.textContent.trim()) return;
      clearTimeout(hideTimer);
      hideTimer = setTimeout(function () {
        toast.classList.remove('show');
        setTimeout(function () {
          if (document.getElementById('toast-message') === toast && !toast.classList.contains('show')) {
            toast.textContent = '';
            toast.classList.remove('error');
          }
        }, 500);
      }, 3000);
    }).observe(container, { childList: true, subtree: true, attributes: true, attributeFilter: ['class'] });
  }

  // --- Converging on the server's versions. A converger holds the latest value the server
  // announced and fetches until the page shows it; announcements that arrive while a fetch is in
  // flight just move the target. No request queue can drop the last one.
  function converger(shown, load) {
    var wanted = null;
    var stale = false;
    var running = false;
    // Backoff between fetches that did not reach the target; a new announcement resets it (the
    // target moved: fetch again at once).
    var attempt = 0;
    function done() {
      var s = shown();
      return wanted === null || (!stale && (s === wanted || (typeof s === 'number' && typeof wanted === 'number' && s > wanted)));
    }
    function run() {
      if (running) return;
      running = true;
      (async function () {
        for (attempt = 0; !done(); attempt++) {
          try {
            if (await load()) stale = false;
          } catch {
            // Offline: the socket's reconnect brings a snapshot that restarts this.
            break;
          }
          if (!done() && attempt > 0) await sleep(Math.min(1000, 25 * Math.pow(2, attempt)));
        }
        running = false;
      })();
    }
    return {
      /** The server announced `value`; `resync` forces one fetch even if it seems shown. */
      want: function (value, resync) {
        if (value !== wanted) attempt = -1;
        wanted = value;
        if (resync) stale = true;
        run();
      },
      check: run,
    };
  }

  function activePageId() {
    var grid = document.querySelector('#page-content-area .button-grid');
    if (grid && grid.dataset.pageId) return grid.dataset.pageId;
    var tab = document.querySelector('#page-navigation .nav-link.active');
    return tab ? tab.dataset.pageId : '';
  }

  function shownVersion() {
    var el = document.querySelector('#page-content-area > [data-config-version]');
    return el ? Number(el.dataset.configVersion) : NaN;
  }

  var content = converger(shownVersion, async function () {
    var id = activePageId();
    var r = await fetch('content/page/' + encodeURIComponent(id || '-') + '?fallback=1', { headers: { 'HX-Request': 'true' }, cache: 'no-store', credentials: 'same-origin' });
    var html = await r.text();
    // The user switched tabs meanwhile: that swap brought its own version; look again.
    if (activePageId() !== id) return false;
    htmx.swap('#page-content-area', html, { swapStyle: 'innerHTML' });
    var now = activePageId();
    if (now && now !== id) history.replaceState(history.state, '', new URL('page/' + encodeURIComponent(now), document.baseURI).pathname);
    applyAll();
    return true;
  });

  function shownStaged() {
    var b = document.getElementById('update-banner');
    var v = b ? b.dataset.stagedVersion : '';
    return v ? Number(v) : '';
  }

  var banner = converger(shownStaged, async function () {
    var r = await fetch('content/banner', { cache: 'no-store', credentials: 'same-origin' });
    htmx.swap('#update-banner', await r.text(), { swapStyle: 'none' });
    return true;
  });

  // --- Connection status: live, offline (reconnecting), or a new login needed.
  function setStatus(state) {
    var el = document.getElementById('connection-status');
    if (!el || el.dataset.state === state) return;
    el.dataset.state = state;
    if (state === 'login') {
      var a = document.createElement('a');
      a.href = 'login';
      a.textContent = 'login needed';
      el.replaceChildren(a);
    } else {
      el.textContent = state === 'offline' ? 'offline — reconnecting' : state;
    }
  }

  var attempt = 0;
  function connect() {
    var url = new URL('ws/button_updates', document.baseURI);
    url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
    var ws = new WebSocket(url.href);
    var opened = false;
    ws.onopen = function () { opened = true; attempt = 0; setStatus('live'); };
    ws.onmessage = function (ev) {
      var msg;
      try { msg = JSON.parse(ev.data); } catch (e) { console.warn('board: unparseable message', e); return; }
      var p = msg.payload || {};
      switch (msg.type) {
        case 'snapshot': {
          // Another server run (a restart): its versions start over, its tabs and live state
          // may differ. Refetch everything.
          var restarted = p.instance !== instance;
          instance = p.instance;
          replaceCache(p.buttons);
          applyAll();
          content.want(p.version, restarted);
          banner.want(p.stagedVersion == null ? '' : p.stagedVersion, restarted);
          break;
        }
        case 'button_content_update':
          if (!p.button_id) return;
          cache.set(p.button_id, msg.state);
          applyState(p.button_id, msg.state);
          break;
        case 'navigation_update':
          replaceCache(p.buttons);
          content.want(p.version);
          banner.want(p.stagedVersion == null ? '' : p.stagedVersion);
          break;
        case 'staged':
          banner.want(p.version);
          break;
        case 'discarded':
          banner.want('');
          break;
        default:
          break;
      }
    };
    ws.onclose = function () {
      var delay = Math.min(15000, 500 * Math.pow(2, attempt)) * (0.5 + Math.random() / 2);
      attempt++;
      if (opened) setStatus('offline');
      // Refused before opening: tell "needs a login" (a restart with a new token) from "down".
      fetch('auth/status', { cache: 'no-store', credentials: 'same-origin' })
        // Only a real answer saying "not authorised" means a new login: a closing server answers
        // 503 on kept-alive connections, and that is "down".
        .then(function (r) { return r.ok ? r.json() : { authorised: true }; })
        .then(function (s) { setStatus(s.authorised === false ? 'login' : 'offline'); })
        .catch(function () { setStatus('offline'); })
        .then(function () { setTimeout(connect, delay); });
    };
    ws.onerror = function () { /* onclose follows and schedules the reconnect */ };
  }

  // Re-apply live state to buttons swapped in by a tab switch, and catch up if that fragment
  // was older than the announced version.
  document.body.addEventListener('htmx:afterSwap', function (ev) {
    if (ev.detail && ev.detail.target && ev.detail.target.id === 'page-content-area') {
      applyAll();
      content.check();
    }
  });

  // A tap while the server is unreachable: say so instead of doing nothing.
  document.body.addEventListener('htmx:sendError', function () {
    var el = document.getElementById('connection-status');
    if (!el || el.dataset.state !== 'login') setStatus('offline');
    showToast('The board is offline: the server did not answer, so that did nothing. It reconnects by itself; try again when the badge says live.', true);
  });

  connect();
})();
