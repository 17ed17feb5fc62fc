/**
 * HTML rendering of the board: the full page, the tab content fragment, the navigation, the
 * update banner and toasts. Every text is escaped; every URL is relative to the board's root (the
 * full page sets `<base href>`), so the board works behind a path-rewriting proxy.
 */
import type { ButtonConfig, PageConfig, UiConfig } from './schema.js';
import type { Toast } from './actions.js';
import { isFontAwesome } from './icons.js';

/** The title suffix of every page. */
export const APP_TITLE = 'ringkit board';

/** Escapes text for HTML element content and quoted attribute values. */
export function esc(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/**
 * The icon element: FontAwesome classes go in its class list (the served FontAwesome stylesheet
 * draws them, animations included); a lucide name becomes a CSS mask of `icons/<name>.svg`
 * painted in the text colour; no icon hides it. `board.js` sets the same markup live.
 */
function renderIcon(icon: string): string {
  const common = `data-role="button-icon" data-icon="${esc(icon)}" aria-hidden="true"`;
  if (icon === '') return `<span class="icon" ${common} hidden></span>`;
  if (isFontAwesome(icon)) return `<span class="icon-fa ${esc(icon)}" ${common}></span>`;
  const url = `url('icons/${encodeURIComponent(icon)}.svg')`;
  return `<span class="icon" ${common} style="mask-image:${url};-webkit-mask-image:${url}"></span>`;
}

/** One button (the reference's markup; no "None" class, icon element hidden without an icon). */
export function renderButton(b: ButtonConfig): string {
  const style = b.style ?? '';
  return `<button class="control-button${style ? ` ${esc(style)}` : ''}" id="btn-${esc(b.id)}" data-button-id="${esc(b.id)}" data-current-style-class="${esc(style)}" hx-post="action/${encodeURIComponent(b.id)}" hx-swap="none" title="${esc(b.text)}">`
    + `<div class="button-graphic-area">${renderIcon(b.icon ?? '')}`
    + `<svg data-role="button-sparkline" viewBox="0 0 100 25" preserveAspectRatio="none" style="display: none; width: 100%; height: 25px; margin-bottom: 5px;"></svg></div>`
    + `<span class="button-text" data-role="button-text">${esc(b.text)}</span></button>`;
}

/**
 * A page's button grid. `version` is the configuration version it was rendered from: the
 * browser compares it with the version the server announces and re-fetches until they match.
 */
export function renderGrid(page: PageConfig, version: number): string {
  const style = page.layout === 'grid' && page.gridColumns ? ` style="grid-template-columns: repeat(${page.gridColumns}, 1fr);"` : '';
  const body = page.buttons.length > 0 ? page.buttons.map(renderButton).join('') : `<p>No buttons configured for page: '${esc(page.name)}'.</p>`;
  return `<div class="button-grid" data-page-id="${esc(page.id)}" data-config-version="${version}"${style}>${body}</div>`;
}

/**
 * The tab bar; `oob` adds `hx-swap-oob="true"`. Each tab has a stable id, so the tab that had
 * keyboard focus keeps it when the bar is swapped (htmx restores focus by id).
 */
export function renderNav(ui: UiConfig, activeId: string | undefined, oob: boolean): string {
  const items = ui.pages.map((p) => {
    const active = p.id === activeId;
    return `<li><a href="page/${encodeURIComponent(p.id)}" id="tab-${esc(p.id)}" data-page-id="${esc(p.id)}" class="nav-link${active ? ' active' : ''}"${active ? ' aria-current="page"' : ''} hx-get="content/page/${encodeURIComponent(p.id)}" hx-push-url="page/${encodeURIComponent(p.id)}" hx-target="#page-content-area" hx-swap="innerHTML">${esc(p.name)}</a></li>`;
  }).join('');
  return `<nav id="page-navigation" class="nav-tabs" aria-label="Pages"${oob ? ' hx-swap-oob="true"' : ''}><ul>${items}</ul></nav>`;
}

/** The update banner (visible when a configuration is staged). */
export function renderBanner(stagedVersion: number | undefined): string {
  if (stagedVersion === undefined) return '<div id="update-banner" hx-swap-oob="true" data-staged-version=""><!-- No update pending --></div>';
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
export function renderPageFragment(ui: UiConfig, page: PageConfig, version: number): string {
  return renderGrid(page, version) + renderNav(ui, page.id, true)
    + `<title id="page-title" hx-swap-oob="true">${esc(titleOf(page))}</title>`
    + `<h1 id="page-header-title" hx-swap-oob="true">${esc(page.name)}</h1>`;
}

/** The fragment for an unknown page id: a not-found message (HTTP 404). */
export function renderPageNotFound(ui: UiConfig, pageId: string, version: number): string {
  return `<div class="error-message" data-config-version="${version}">Page '${esc(pageId)}' not found.</div>` + renderNav(ui, undefined, true)
    + `<title id="page-title" hx-swap-oob="true">Page Not Found - ${APP_TITLE}</title><h1 id="page-header-title" hx-swap-oob="true">Page Not Found</h1>`;
}

/** Everything the full page needs. */
export interface FullPageInput {
  readonly ui: UiConfig;
  readonly page: PageConfig | undefined;
  readonly stagedVersion: number | undefined;
  /** The live configuration's version. */
  readonly version: number;
  /** Identifies this server run: a browser that reconnects to another run resyncs everything. */
  readonly instance: string;
  /** `<base href>`: the relative path from the request URL to the board's root. */
  readonly base: string;
  /** Whether the browser holds the session cookie (if not, the page says how to get it). */
  readonly authorised: boolean;
}

/** The full page. */
export function renderFullPage(p: FullPageInput): string {
  const content = p.page
    ? renderGrid(p.page, p.version)
    : `<p class="help" data-config-version="${p.version}">No page or buttons configured to display. Put a <code>ui_config.yaml</code> in the config directory (<code>ringkit board --config DIR</code>).</p>`;
  const login = p.authorised ? '' : '<div id="auth-warning" class="error-message">This browser has no board session: buttons and live updates need the one-time link printed by <code>ringkit board</code>, or the token on the <a href="login">login page</a>.</div>';
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><base href="${esc(p.base)}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="htmx-config" content='{"responseHandling":[{"code":"204","swap":false},{"code":"[23]..","swap":true},{"code":"[45]..","swap":true,"error":true}]}'>
<title id="page-title">${esc(titleOf(p.page))}</title>
<link rel="stylesheet" href="static/board.css">
<link rel="stylesheet" href="vendor/fontawesome/css/all.min.css">
<script src="static/htmx.min.js"></script>
</head><body data-board-instance="${esc(p.instance)}">
<header><h1 id="page-header-title">${esc(p.page?.name ?? 'Control Board')}</h1>${renderNav(p.ui, p.page?.id, false)}</header>
<div id="update-notification-area" class="update-notification-container" aria-live="polite">${renderBanner(p.stagedVersion)}</div>
<main class="container">${login}<div id="page-content-area">${content}</div></main>
<footer><span id="connection-status" data-state="connecting" role="status" aria-live="polite">connecting</span> ${APP_TITLE}<div id="toast-container" role="status" aria-live="polite"><div id="toast-message"></div></div></footer>
<script src="static/board.js"></script>
</body></html>
`;
}

/**
 * The login page: how to get a board session (the one-time link or its QR code printed by
 * `ringkit board`, or the token pasted into the form, which posts to `auth`). `problem` is shown
 * above the form (a wrong token, a used link).
 */
export function renderLoginPage(problem: string | undefined): string {
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><base href="./">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Login - ${APP_TITLE}</title>
<link rel="stylesheet" href="static/board.css">
</head><body>
<header><h1>Login needed</h1></header>
<main class="container login">${problem ? `<div class="error-message" role="alert">${esc(problem)}</div>` : ''}
<p>This board needs a session before its buttons and live updates work. Open the one-time login link that <code>ringkit board</code> printed in its terminal (on a tablet: scan the QR code it printed), or paste the board's token here:</p>
<form method="post" action="auth"><label for="token">Token</label> <input id="token" name="token" type="password" autocomplete="current-password" required minlength="8"> <button type="submit" class="button-apply-update">Log in</button></form>
<p>A board that was restarted with a new token needs a new login: the old session no longer opens it.</p>
</main>
<footer>${APP_TITLE}</footer>
</body></html>
`;
}
