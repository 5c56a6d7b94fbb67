/**
 * The employee's form: checks each number's check digit as it is typed,
 * checks identity images (type from their bytes, size), then encrypts the
 * whole submission — persons and images together — to the office's OpenPGP
 * key in this browser and sends only the ciphertext (P1: nothing in the
 * clear reaches the server or its logs). A dropped connection is retried
 * with the same attempt id, so an answer lost on the way does not turn a
 * stored submission into an error; nothing counts as sent until the server
 * has answered that it stored it.
 */
import * as openpgp from '/static/vendor/openpgp.min.mjs';
import { officeKey } from './upload-encrypt.js';
import { readTexts } from './upload-texts.js';
import { checkNumber, imageType, normalizeNumber } from './collect-check.js';

const form = document.getElementById('collect-form');
const { t } = readTexts(form, form?.dataset.lang);
const maxImage = Number(form?.dataset.maxImageBytes ?? 0);
const maxFamily = Number(form?.dataset.maxFamily ?? 10);
const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
const images = new Map(); // role → { bytes, type }

function showNumberCheck(input) {
  const out = input.closest('fieldset').querySelector('.check');
  const state = checkNumber(input.value);
  out.textContent = state === 'ok' ? t('numberOk') : state === 'incomplete' ? t('numberIncomplete') : state === 'wrong' ? t('numberWrongDigit') : '';
  out.dataset.state = state;
  input.setAttribute('aria-invalid', state === 'wrong' ? 'true' : 'false');
}

function addFamily() {
  const list = document.getElementById('family-list');
  if (list.children.length >= maxFamily) return;
  const node = document.getElementById('family-template').content.firstElementChild.cloneNode(true);
  list.append(node);
  node.querySelector('input[name="name"]').focus();
}

function idKind() {
  return form.querySelector('input[name="idkind"]:checked')?.value ?? 'card';
}

function showIdKind() {
  for (const f of form.querySelectorAll('.image-field')) f.hidden = f.dataset.kind !== idKind();
}

async function takeImage(input) {
  const field = input.closest('.image-field');
  const out = field.querySelector('.check');
  const role = field.dataset.role;
  images.delete(role);
  out.textContent = '';
  out.dataset.state = '';
  const file = input.files?.[0];
  if (!file) return;
  if (file.size > maxImage) {
    out.textContent = t('imageTooLarge');
    out.dataset.state = 'wrong';
    input.value = '';
    return;
  }
  const bytes = new Uint8Array(await file.arrayBuffer());
  const type = imageType(bytes);
  if (!type) {
    out.textContent = t('imageWrongType');
    out.dataset.state = 'wrong';
    input.value = '';
    return;
  }
  images.set(role, { bytes, type });
  out.textContent = '✓';
  out.dataset.state = 'ok';
}

/** The persons as typed, or the first problem to show. */
function readPersons() {
  const persons = [];
  for (const fs of form.querySelectorAll('fieldset.person')) {
    const get = (n) => fs.querySelector(`[name="${n}"]`)?.value.trim() ?? '';
    const self = fs.dataset.person === 'self';
    const p = { relation: self ? 'self' : get('relation'), name: get('name'), birth: get('birth'), number: normalizeNumber(get('number')) };
    const focus = (n) => fs.querySelector(`[name="${n}"]`);
    if (!p.name) return { problem: t('nameRequired'), focus: focus('name') };
    if (!p.relation) return { problem: t('relationRequired'), focus: focus('relation') };
    if (!p.birth) return { problem: t('birthRequired'), focus: focus('birth') };
    const state = checkNumber(p.number);
    if (state === 'empty') return { problem: t('numberRequired'), focus: focus('number') };
    if (state !== 'ok') return { problem: t('numberWrongDigit'), focus: focus('number') };
    persons.push(p);
  }
  return { persons };
}

function readImages() {
  const roles = idKind() === 'card' ? ['cardFront', 'cardBack'] : ['notificationCard', 'photoId'];
  for (const role of roles) if (!images.has(role)) return { problem: t('imageRequired'), focus: document.getElementById(`img-${role}`) };
  return { roles };
}

function base64(bytes) {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000) s += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(s);
}

const randomRef = () => {
  const b = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...b)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
};

async function send(body, ref, status) {
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) {
      status.textContent = t('retrying');
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
    let res;
    try {
      res = await fetch(form.dataset.submitUrl, {
        method: 'POST',
        credentials: 'same-origin',
        headers: { 'Content-Type': 'application/octet-stream', Accept: 'application/json', 'X-CSRF-Token': csrf, 'X-Kinko-Ref': ref },
        body,
      });
    } catch {
      continue; // the connection dropped: the same attempt id again
    }
    const answer = await res.json().catch(() => ({}));
    if (res.status === 201) return answer;
    if (res.status >= 500 && res.status !== 503) continue;
    throw new Error(answer?.error?.message || t('rejected'));
  }
  throw new Error(t('sendFailed'));
}

function problem(text, focus) {
  const p = document.getElementById('form-problem');
  p.textContent = text;
  p.hidden = !text;
  if (focus) focus.focus();
}

async function onSubmit(event) {
  event.preventDefault();
  problem('');
  const people = readPersons();
  if (people.problem) return problem(people.problem, people.focus);
  const pics = readImages();
  if (pics.problem) return problem(pics.problem, pics.focus);
  const button = document.getElementById('send');
  const status = document.getElementById('send-status');
  button.disabled = true;
  try {
    status.textContent = t('encrypting');
    const key = await officeKey(form.dataset.keyUrl).catch(() => {
      throw new Error(t('noKey'));
    });
    const payload = {
      v: 1,
      persons: people.persons,
      identity: { kind: idKind(), images: pics.roles.map((role) => ({ role, type: images.get(role).type, data: base64(images.get(role).bytes) })) },
    };
    const message = await openpgp.createMessage({ binary: new TextEncoder().encode(JSON.stringify(payload)) });
    const encrypted = await openpgp.encrypt({ message, encryptionKeys: key, format: 'binary', config: { aeadProtect: false } });
    status.textContent = t('sending');
    const answer = await send(encrypted, randomRef(), status);
    // Sent and stored: the numbers leave the page too.
    form.reset();
    form.remove();
    document.getElementById('decline-area')?.remove();
    const done = document.getElementById('collect-done');
    document.getElementById('receipt').textContent = answer.receipt ?? '';
    done.hidden = false;
    done.focus();
  } catch (err) {
    status.textContent = '';
    problem(err instanceof Error ? err.message : t('sendFailed'));
    button.disabled = false;
  }
}

if (form) {
  document.getElementById('js-missing')?.remove();
  form.hidden = false;
  form.addEventListener('input', (e) => {
    if (e.target.classList?.contains('mynumber')) showNumberCheck(e.target);
  });
  form.addEventListener('change', (e) => {
    if (e.target.type === 'file') takeImage(e.target);
    if (e.target.name === 'idkind') showIdKind();
  });
  form.addEventListener('click', (e) => {
    if (e.target.id === 'add-family') addFamily();
    if (e.target.classList?.contains('remove-family')) e.target.closest('fieldset').remove();
  });
  form.addEventListener('submit', onSubmit);
}
