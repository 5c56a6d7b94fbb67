import type { CustodyReport } from './custody-report.js';
import type { ApprovedSubcontractor } from './safeguards.js';

/**
 * The Japanese words the custody report's PDF and CSV share (the report is
 * a document for the 委託元, printed in Japanese like the certificates).
 * Where a fact is missing the report says so in words — 未許諾, 未登録 —
 * never a blank a reader could take for "nothing to report".
 */
export const RELATION = { self: '本人', spouse: '配偶者', dependent: '扶養親族' } as const;
const STATE: Record<string, string> = { held: '保管中', disposed: '廃棄済', reserved: '廃棄予定' };
const WHAT = { database: 'データベース', storage: 'ファイル・番号の保存先', mail: 'メール送信' } as const;
const ROLE: Record<string, string> = { director: '所長', staff: '職員' };

export const NOT_APPROVED = '未許諾';
export const NOT_REGISTERED = '未登録（所長が登録していません）';

export const stateJa = (s: string) => STATE[s] ?? s;
export const roleJa = (r: string) => ROLE[r] ?? r;
export const whatJa = (w: ApprovedSubcontractor['what']) => WHAT[w];
export const whereJa = (where: string) => (where === 'local' ? 'kinko を動かすサーバー内（外部の事業者なし）' : where);

/** 許諾日 or 未許諾 (with the provider an older 許諾 was for). */
export function approvalJa(s: ApprovedSubcontractor): string {
  if (s.approvedOn) return `許諾日 ${s.approvedOn}`;
  return s.approvedFor ? `${NOT_APPROVED}（${s.approvedFor} への許諾のみ）` : NOT_APPROVED;
}

export function handlersJa(h: CustodyReport['handlers']): string {
  return `${h.keyHolders} 人（事務所の鍵を持つ人。事務所のアカウント: 所長 ${h.director} 人、職員 ${h.staff} 人）`;
}
