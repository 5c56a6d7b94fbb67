import type { BasisLine, Retention } from './retention-end.js';

/**
 * The retention reasoning in words a director can check against the law
 * (「退職日 2026-03-31 + 扶養控除等申告書 7年 → 2034-01-11 以降に廃棄」).
 * Japanese first; English by choice. No number, no name: only dates and
 * document types.
 */
type Lang = 'ja' | 'en';

export function basisLineText(line: BasisLine, lang: Lang = 'ja'): string {
  const ja = lang === 'ja';
  switch (line.kind) {
    case 'document': {
      const event = line.event === 'left' ? (ja ? '退職日' : 'left') : ja ? '扶養から外れた日' : 'left the household';
      const doc = ja ? line.document.nameJa : line.document.nameEn;
      const years = ja ? `${line.document.years}年` : `${line.document.years} years`;
      const flag = line.document.confirmed ? '' : ja ? '（根拠未確認）' : ' (basis not confirmed)';
      return ja ? `${event} ${line.eventOn} + ${doc} ${years}${flag} → ${line.from} 以降に廃棄` : `${event} ${line.eventOn} + ${doc} ${years}${flag} → may be disposed of from ${line.from}`;
    }
    case 'document-unknown':
      return ja ? `${line.document.nameJa}: 保存期間が未設定（不明）` : `${line.document.nameEn}: retention period not set (unknown)`;
    case 'contract-end':
      return ja ? `契約終了 ${line.eventOn} → ${line.from} 以降に返却又は廃棄` : `contract ended ${line.eventOn} → return or dispose of from ${line.from}`;
    case 'reserved':
      return ja ? `削除予約 ${line.from}` : `disposal booked for ${line.from}`;
  }
}

export function retentionSummary(r: Retention, lang: Lang = 'ja'): string {
  const ja = lang === 'ja';
  const hold = r.hold ? (ja ? `（保留中: ${r.hold.reason}）` : ` (on hold: ${r.hold.reason})`) : '';
  switch (r.state) {
    case 'in-service':
      return (ja ? '在職中のため廃棄日なし' : 'still employed: no disposal date') + hold;
    case 'scheduled':
      return (ja ? `${r.from} 以降に廃棄` : `may be disposed of from ${r.from}`) + (r.unconfirmed ? (ja ? '（根拠未確認の期間を含む）' : ' (includes a period whose basis is not confirmed)') : '') + hold;
    case 'unknown': {
      const why = {
        'no-services': ja ? '契約サービスが未設定' : 'no contracted services set',
        'no-document': ja ? 'この番号を載せる書類が契約サービスにない' : 'no contracted service produces a document with this number',
        'period-unknown': ja ? '保存期間が未設定の書類がある' : 'a document has no retention period set',
      }[r.reason];
      return (ja ? `廃棄日は不明（${why}）` : `disposal date unknown (${why})`) + hold;
    }
  }
}
