/**
 * The room's drop panel, enhanced (views/room/drop-panel.ejs). Without this
 * script the panel is a plain multipart form and the server encrypts what it
 * receives; with it, each file is
 *   1. checked here (extension + first bytes, size) — refused files are never sent,
 *   2. encrypted to the office public key with OpenPGP.js,
 *   3. uploaded on its own request with a progress bar (at most 2 at a time),
 *   4. confirmed by its receipt, shown at once; the history below is refreshed.
 * A file that fails keeps its place in the list with a "send again" button:
 * nothing the client chose is lost.
 *
 * Every text comes from the page (data-t-* attributes); file names are put in
 * with textContent only, never as markup.
 */
import { checkFile } from './upload-check.js';
import { freshCsrfToken, sendFile } from './upload-send.js';
import { readTexts } from './upload-texts.js';
import { createViews } from './upload-views.js';

const PARALLEL = 2;

const panel = document.getElementById('drop-panel');
if (panel) start(panel);

/**
 * OpenPGP.js and WebCrypto, or why they cannot be used. Loaded here, not by a
 * static import: a module that fails to load (blocked, 403, an old browser)
 * would otherwise stop this whole script without a word, and the client would
 * send through the plain form believing the browser had encrypted the file.
 */
async function loadEncryption() {
  // Browsers offer WebCrypto only on https:// and localhost pages.
  if (!globalThis.crypto?.subtle || !globalThis.isSecureContext) return { reason: 'webcrypto' };
  try {
    return await import('./upload-encrypt.js');
  } catch {
    return { reason: 'module' };
  }
}

/** In-browser encryption cannot start: say so, and that the server encrypts on arrival (the plain form stays). */
function showFallback(panel, reason) {
  const box = panel.querySelector('#drop-fallback');
  if (!box) return;
  const why = box.querySelector('.drop-fallback-reason');
  if (why) why.textContent = box.dataset[reason === 'webcrypto' ? 'reasonWebcrypto' : 'reasonModule'] ?? '';
  box.hidden = false;
  panel.dataset.encryption = 'server';
}

async function start(panel) {
  const cfg = {
    uploadUrl: panel.dataset.uploadUrl,
    historyUrl: panel.dataset.historyUrl,
    roomUrl: panel.dataset.roomUrl,
    keyUrl: panel.dataset.keyUrl,
    maxBytes: Number(panel.dataset.maxBytes) || 100 * 1024 * 1024,
  };
  const texts = readTexts(document.getElementById('upload-texts'), panel.dataset.lang);
  const { t } = texts;
  const form = panel.querySelector('form.drop-form');
  const input = panel.querySelector('input[type=file]');
  const zone = panel.querySelector('#drop-zone');
  const area = panel.querySelector('#drop-queue-area');
  const list = panel.querySelector('#drop-queue');
  const summary = panel.querySelector('#drop-summary');
  const history = document.getElementById('drop-history');
  const { itemView, receiptView, renderHistory, el } = createViews({
    texts,
    historyUrl: cfg.historyUrl,
    history,
    onRetry: (view) => retry(items.find((it) => it.view === view)),
    onRemove: (view) => remove(items.find((it) => it.view === view)),
  });

  if (typeof Blob === 'undefined' || typeof XMLHttpRequest === 'undefined' || typeof FormData === 'undefined') {
    return showFallback(panel, 'module'); // the plain form keeps working; the server encrypts
  }
  const encryption = await loadEncryption();
  if (encryption.reason) return showFallback(panel, encryption.reason);
  const { encryptFile, officeKey } = encryption;
  panel.dataset.encryption = 'browser';

  let csrfToken = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
  const items = [];
  let active = 0;

  panel.classList.add('enhanced');
  document.getElementById('drop-history-section')?.classList.add('enhanced');
  input.required = false;

  // ---- choosing files ---------------------------------------------------------
  input.addEventListener('change', () => {
    add(input.files);
    input.value = ''; // the same file may be chosen again later
  });
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    add(input.files);
    input.value = '';
  });
  let depth = 0;
  panel.addEventListener('dragenter', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    depth += 1;
    zone.classList.add('drag-over');
  });
  panel.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) zone.classList.remove('drag-over');
  });
  panel.addEventListener('dragover', (e) => {
    if (!hasFiles(e)) return;
    e.preventDefault();
    e.dataTransfer.dropEffect = 'copy';
  });
  panel.addEventListener('drop', (e) => {
    e.preventDefault();
    depth = 0;
    zone.classList.remove('drag-over');
    if (e.dataTransfer?.files?.length) add(e.dataTransfer.files);
  });
  // A file dropped next to the panel must not make the browser open it (and leave the room).
  window.addEventListener('dragover', (e) => hasFiles(e) && e.preventDefault());
  window.addEventListener('drop', (e) => hasFiles(e) && e.preventDefault());

  window.addEventListener('beforeunload', (e) => {
    if (items.some((it) => it.state === 'waiting' || it.state === 'working')) {
      e.preventDefault();
      e.returnValue = t('stillSending');
    }
  });

  loadHistory();

  function hasFiles(e) {
    return Array.from(e.dataTransfer?.types ?? []).includes('Files');
  }

  function add(fileList) {
    const files = Array.from(fileList ?? []);
    if (files.length === 0) return;
    area.hidden = false;
    for (const file of files) {
      const item = { file, state: 'waiting', view: itemView(file) };
      items.push(item);
      list.append(item.view.li);
      show(item, 'waiting', t('waiting'));
    }
    updateSummary();
    pump();
  }

  function pump() {
    while (active < PARALLEL) {
      const next = items.find((it) => it.state === 'waiting');
      if (!next) return;
      next.state = 'working';
      active += 1;
      run(next).finally(() => {
        active -= 1;
        updateSummary();
        pump();
      });
    }
  }

  // ---- one file ---------------------------------------------------------------
  async function run(item) {
    const { file, view } = item;
    try {
      show(item, 'checking', t('checking'));
      let refused;
      try {
        refused = await checkFile(file, cfg.maxBytes);
      } catch {
        return fail(item, t('readFailed'), { retry: false });
      }
      if (refused) return fail(item, refusal(file, refused), { retry: false, refused: true });

      show(item, 'encrypting', t('encrypting'));
      view.progress.removeAttribute('value'); // indeterminate while encrypting
      let key;
      try {
        key = await officeKey(cfg.keyUrl);
      } catch {
        return fail(item, t('keyMissing'));
      }
      let blob;
      try {
        blob = await encryptFile(file, key);
      } catch {
        return fail(item, file.size > 0 ? t('encryptFailed') : t('readFailed'));
      }

      if (item.refreshCsrf) {
        csrfToken = (await freshCsrfToken(cfg.roomUrl).catch(() => null)) ?? csrfToken;
        item.refreshCsrf = false;
      }
      view.progress.value = 0;
      show(item, 'uploading', t('uploading', { percent: 0 }));
      let answer;
      try {
        answer = await sendFile({
          url: cfg.uploadUrl,
          blob,
          name: file.name,
          csrfToken,
          onProgress: (f) => {
            const percent = Math.min(100, Math.floor(f * 100));
            view.progress.value = percent;
            view.status.textContent = t('uploading', { percent });
            if (f >= 1) view.status.textContent = t('finishing');
          },
        });
      } catch {
        return fail(item, t('network'));
      }
      if (answer.status === 201 && answer.body?.drops?.[0]) {
        view.progress.value = 100;
        item.state = 'done';
        show(item, 'done', t('done'));
        view.actions.hidden = true;
        view.li.append(receiptView(answer.body.drops[0]));
        loadHistory();
        return;
      }
      failFromAnswer(item, answer);
    } catch {
      fail(item, t('server'));
    }
  }

  function refusal(file, r) {
    const params = { name: file.name, ext: r.ext };
    if (r.reason === 'type') return t('refusedType', params);
    if (r.reason === 'empty') return t('refusedEmpty', params);
    if (r.reason === 'tooBig') return t('refusedTooBig', params);
    return t('refusedContent', params);
  }

  function failFromAnswer(item, { status, body }) {
    const serverMessage = typeof body?.error?.message === 'string' ? body.error.message : '';
    if (status === 401) return fail(item, t('sessionEnded'), { refreshCsrf: true });
    if (status === 403) return fail(item, t('forbidden'), { refreshCsrf: true });
    if (status === 404) return fail(item, t('roomGone'));
    if (status === 413) return fail(item, serverMessage || t('tooBig'), { retry: false });
    if (status === 415 || status === 400) return fail(item, serverMessage || t('refusedByServer'));
    if (status === 429 || status === 503) return fail(item, t('busy'));
    return fail(item, t('server'));
  }

  function fail(item, message, opts = {}) {
    const { view } = item;
    item.state = opts.refused ? 'refused' : 'failed';
    item.refreshCsrf = !!opts.refreshCsrf;
    view.progress.value = 0;
    show(item, item.state, opts.refused ? message : `${message} ${t('kept')}`);
    view.status.setAttribute('role', 'alert');
    view.retry.hidden = opts.retry === false;
    view.actions.hidden = false;
  }

  function show(item, state, text) {
    item.view.li.dataset.state = state;
    item.view.status.textContent = text;
    if (state !== 'failed' && state !== 'refused') item.view.status.removeAttribute('role');
  }

  function retry(item) {
    if (item.state !== 'failed') return;
    item.state = 'waiting';
    item.view.actions.hidden = true;
    show(item, 'waiting', t('waiting'));
    updateSummary();
    pump();
  }

  function remove(item) {
    if (item.state === 'working' || item.state === 'waiting') return;
    items.splice(items.indexOf(item), 1);
    item.view.li.remove();
    if (items.length === 0) area.hidden = true;
    updateSummary();
  }

  function updateSummary() {
    const done = items.filter((it) => it.state === 'done').length;
    summary.textContent = items.length ? t('summary', { done, total: items.length }) : '';
  }

  // ---- history ------------------------------------------------------------------
  async function loadHistory() {
    if (!history) return;
    try {
      const res = await fetch(cfg.historyUrl, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!res.ok) throw new Error(String(res.status));
      const body = await res.json();
      renderHistory(Array.isArray(body.drops) ? body.drops : []);
    } catch {
      history.replaceChildren(el('p', 'hint', t('historyFailed')));
    }
  }
}
