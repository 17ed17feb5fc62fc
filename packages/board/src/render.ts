/**
 * HTML rendering of the board: the full page, the tab content fragment, the navigation, the
 * update banner and toasts. Every text is escaped; every URL is relative to the board's root (the
 * full page sets `<base href>`), so the board works behind a path-rewriting proxy.
 */
import type { ButtonConfig, PageConfig, UiConfig } from './schema.js';
import type { Toast } from './actions.js';

/** The title suffix of every page. */
export const APP_TITLE = 'ringkit board';

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

function iconStyle(icon: string): string {
  return `mask-image:url('icons/${icon}.svg');-webkit-mask-image:url('icons/${icon}.svg')`;
}

/** One button (the reference's markup; no "None" class, icon element hidden without an icon). */
export function renderButton(b: ButtonConfig): string {
  const style = b.style ?? '';
  const icon = b.icon ?? '';
  return `<button class="control-button${style ? ` ${esc(style)}` : ''}" id="btn-${esc(b.id)}" data-button-id="${esc(b.id)}" data-current-style-class="${esc(style)}" hx-post="action/${encodeURIComponent(b.id)}" hx-swap="none" title="${esc(b.text)}">`
    + `<div class="button-graphic-area"><span class="icon" data-role="button-icon" data-icon="${esc(icon)}"${icon ? ` style="${iconStyle(icon)}"` : ' hidden'}></span>`
    + `<svg data-role="button-sparkline" viewBox="0 0 100 25" preserveAspectRatio="none" style="display: none; width: 100%; height: 25px; margin-bottom: 5px;"></svg></div>`
    + `<span class="button-text" data-role="button-text">${esc(b.text)}</span></button>`;
}

/** A page's button grid. */
export function renderGrid(page: PageConfig): string {
  const style = page.layout === 'grid' && page.gridColumns ? ` style="grid-template-columns: repeat(${page.gridColumns}, 1fr);"` : '';
  const body = page.buttons.length > 0 ? page.buttons.map(renderButton).join('') : `<p>No buttons configured for page: '${esc(page.name)}'.</p>`;
  return `<div class="button-grid" data-page-id="${esc(page.id)}"${style}>${body}</div>`;
}

/** The tab bar; `oob` adds `hx-swap-oob="true"`. */
export function renderNav(ui: UiConfig, activeId: string | undefined, oob: boolean): string {
  const items = ui.pages.map((p) => `<li><a href="page/${encodeURIComponent(p.id)}" data-page-id="${esc(p.id)}" class="nav-link${p.id === activeId ? ' active' : ''}" hx-get="content/page/${encodeURIComponent(p.id)}" hx-push-url="page/${encodeURIComponent(p.id)}" hx-target="#page-content-area" hx-swap="innerHTML">${esc(p.name)}</a></li>`).join('');
  return `<nav id="page-navigation" class="nav-tabs"${oob ? ' hx-swap-oob="true"' : ''}><ul>${items}</ul></nav>`;
}

/** The update banner (visible when a configuration is staged). */
export function renderBanner(stagedVersion: number | undefined): string {
  if (stagedVersion === undefined) return '<div id="update-banner" hx-swap-oob="true"><!-- No update pending --></div>';
  return `<div id="update-banner" class="update-banner-content" hx-swap-oob="true" data-staged-version="${stagedVersion}"><p><strong>Update Available:</strong> A new board configuration has been staged.</p>`
    + `<button class="button-apply-update" hx-post="api/v1/config/apply?version=${stagedVersion}" hx-swap="none">Apply Update</button>`
    + '<button class="button-discard-update" hx-post="api/v1/config/discard" hx-swap="none">Discard</button></div>';
}

/** The toast fragment (swapped out of band). */
export function renderToast(t: Toast): string {
  return `<div id="toast-message" hx-swap-oob="true" class="toast show${t.error ? ' error' : ''}"><span id="toast-message-content">${esc(t.text)}</span></div>`;
}

function titleOf(page: PageConfig | undefined): string {
  return page ? `${page.name} - ${APP_TITLE}` : APP_TITLE;
}

/** The tab content fragment: grid, then navigation, title and header out of band. */
export function renderPageFragment(ui: UiConfig, page: PageConfig): string {
  return renderGrid(page) + renderNav(ui, page.id, true)
    + `<title id="page-title" hx-swap-oob="true">${esc(titleOf(page))}</title>`
    + `<h1 id="page-header-title" hx-swap-oob="true">${esc(page.name)}</h1>`;
}

/** The fragment for an unknown page id: a not-found message (HTTP 404). */
export function renderPageNotFound(ui: UiConfig, pageId: string): string {
  return `<div class="error-message">Page '${esc(pageId)}' not found.</div>` + renderNav(ui, undefined, true)
    + `<title id="page-title" hx-swap-oob="true">Page Not Found - ${APP_TITLE}</title><h1 id="page-header-title" hx-swap-oob="true">Page Not Found</h1>`;
}

/** Everything the full page needs. */
export interface FullPageInput {
  readonly ui: UiConfig;
  readonly page: PageConfig | undefined;
  readonly stagedVersion: number | undefined;
  /** `<base href>`: the relative path from the request URL to the board's root. */
  readonly base: string;
  /** Whether the browser holds the session cookie (if not, the page says how to get it). */
  readonly authorised: boolean;
}

/** The full page. */
export function renderFullPage(p: FullPageInput): string {
  const content = p.page
    ? renderGrid(p.page)
    : '<p class="help">No page or buttons configured to display. Put a <code>ui_config.yaml</code> in the config directory (<code>ringkit board --config DIR</code>).</p>';
  const login = p.authorised ? '' : '<div id="auth-warning" class="error-message">This browser has no board session: buttons and live updates need the one-time link printed by <code>ringkit board</code> (or <code>auth?token=&lt;token&gt;</code>).</div>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><base href="${esc(p.base)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}'>
<title id="page-title">${esc(titleOf(p.page))}</title>
<link rel="stylesheet" href="static/board.css">
<script src="static/htmx.min.js"></script>
</head><body>
<header><h1 id="page-header-title">${esc(p.page?.name ?? 'Control Board')}</h1>${renderNav(p.ui, p.page?.id, false)}</header>
<div id="update-notification-area" class="update-notification-container">${renderBanner(p.stagedVersion)}</div>
<main class="container">${login}<div id="page-content-area">${content}</div></main>
<footer><span id="connection-status" data-state="connecting">connecting</span> ${APP_TITLE}<div id="toast-container"><div id="toast-message"></div></div></footer>
<script src="static/board.js"></script>
</body></html>
`;
}
