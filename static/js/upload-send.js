/**
 * One file, one request: multipart/form-data with the original file name,
 * sent with XMLHttpRequest because fetch() cannot report upload progress.
 * Resolves with the HTTP status and the JSON body (or null); rejects only
 * when no answer came back at all (network, aborted).
 */
export function sendFile({ url, blob, name, csrfToken, onProgress }) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open('POST', url);
    xhr.setRequestHeader('Accept', 'application/json');
    xhr.setRequestHeader('X-CSRF-Token', csrfToken);
    xhr.responseType = 'text';
    xhr.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable && e.total > 0) onProgress(e.loaded / e.total);
    });
    xhr.addEventListener('load', () => {
      let body = null;
      try {
        body = JSON.parse(xhr.responseText);
      } catch {
        body = null;
      }
      resolve({ status: xhr.status, body });
    });
    const gone = (kind) => () => reject(Object.assign(new Error(`upload ${kind}`), { network: true }));
    xhr.addEventListener('error', gone('failed'));
    xhr.addEventListener('abort', gone('aborted'));
    xhr.addEventListener('timeout', gone('timed out'));
    const form = new FormData();
    form.append('files', blob, name);
    xhr.send(form);
  });
}

/** A fresh CSRF token from the room page (after a new login in another tab, the old one no longer matches). */
export async function freshCsrfToken(roomUrl) {
  const res = await fetch(roomUrl, { credentials: 'same-origin', cache: 'no-store', headers: { Accept: 'text/html' } });
  if (!res.ok) return null;
  const doc = new DOMParser().parseFromString(await res.text(), 'text/html');
  return doc.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? null;
}
