/**
 * The drop panel's markup, built with the DOM only: file names and every
 * server-given text go in with textContent, never as HTML. Used by
 * room-upload.js (one queue item, its receipt, the history table).
 */
import { formatBytes, formatSize } from './upload-texts.js';

const HISTORY_ROWS = 10;

export function createViews({ texts, historyUrl, history, onRetry, onRemove }) {
  const { t } = texts;

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function itemView(file) {
    const li = el('li', 'drop-item');
    const head = el('div', 'drop-item-head');
    const name = el('span', 'drop-name');
    name.append(el('bdi', '', file.name));
    head.append(name, el('span', 'drop-size', formatSize(file.size, texts.lang)));
    const progress = el('progress');
    progress.max = 100;
    progress.value = 0;
    progress.setAttribute('aria-label', file.name);
    const status = el('p', 'drop-status');
    const actions = el('p', 'drop-actions');
    actions.hidden = true;
    const retryButton = el('button', 'secondary drop-retry', t('retry'));
    retryButton.type = 'button';
    const removeButton = el('button', 'secondary drop-remove', t('remove'));
    removeButton.type = 'button';
    actions.append(retryButton, ' ', removeButton);
    li.append(head, progress, status, actions);
    const view = { li, progress, status, actions, retry: retryButton };
    retryButton.addEventListener('click', () => onRetry(view));
    removeButton.addEventListener('click', () => onRemove(view));
    return view;
  }

  function receiptView(d) {
    const r = d.receipt;
    const box = el('div', 'drop-receipt');
    const dl = el('dl');
    const row = (field, value, className) => {
      const dd = el('dd', className);
      if (value instanceof Node) dd.append(value);
      else dd.textContent = value;
      dl.append(el('dt', '', texts.field(field)), dd);
    };
    row('dropId', el('code', 'drop-id', r.dropId));
    const nameBdi = el('bdi', '', r.fileName);
    row('fileName', nameBdi, 'file-name');
    row('size', texts.lang === 'en' ? `${formatSize(r.size, 'en')} (${formatBytes(r.size, 'en')} bytes)` : `${formatSize(r.size, 'ja')}（${formatBytes(r.size, 'ja')} バイト）`);
    row('sha256', el('code', 'hash drop-sha256', r.sha256));
    const time = el('time', '', d.receivedAtJst ?? r.receivedAt);
    time.dateTime = r.receivedAt;
    row('receivedAt', time);
    row('state', d.stateLabel ?? d.state);
    // How the stored file was encrypted, as the server recorded it — never assumed here.
    if (d.kindLabel) row('kind', d.kindLabel, 'drop-kind');
    box.append(dl);
    const link = el('a', 'drop-receipt-link', t('receiptPage'));
    link.href = `${historyUrl}/${encodeURIComponent(r.dropId)}`;
    const p = el('p');
    p.append(link);
    box.append(p);
    return box;
  }


  function renderHistory(drops) {
    if (drops.length === 0) {
      history.replaceChildren(el('p', '', t('historyEmpty')));
      return;
    }
    const table = el('table', 'drops');
    const headRow = el('tr');
    for (const f of ['receivedAt', 'fileName', 'size', 'state', 'dropId']) {
      const th = el('th', '', texts.field(f));
      th.scope = 'col';
      headRow.append(th);
    }
    const thead = el('thead');
    thead.append(headRow);
    const tbody = el('tbody');
    const cell = (field, className, content) => {
      const td = el('td', className);
      td.dataset.label = texts.field(field); // shown before the value when the table is stacked (phones)
      if (content instanceof Node) td.append(content);
      else td.textContent = content;
      return td;
    };
    for (const d of drops.slice(0, HISTORY_ROWS)) {
      const r = d.receipt;
      const tr = el('tr');
      const a = el('a');
      a.href = `${historyUrl}/${encodeURIComponent(r.dropId)}`;
      a.append(el('code', '', r.dropId));
      tr.append(
        cell('receivedAt', 'drop-when', d.receivedAtJst ?? r.receivedAt),
        cell('fileName', 'file-name', el('bdi', '', r.fileName)),
        cell('size', 'drop-size-cell', formatSize(r.size, texts.lang)),
        cell('state', 'drop-state', d.stateLabel ?? d.state),
        cell('dropId', 'drop-id-cell', a),
      );
      tbody.append(tr);
    }
    table.append(thead, tbody);
    history.replaceChildren(table);
  }

  return { itemView, receiptView, renderHistory, el };
}
