import { randomId } from '../../server/lib/random.js';
import type { Deps } from '../../server/deps.js';
import { makeCompany } from './actors.js';

/**
 * A company with a family held in the vault, as bare person rows: counting
 * retention needs names, relations and dates, never a number, so no record
 * is sealed. 山田 太郎 (本人) with spouse 花子 and child 一郎; 佐藤 次郎 (本人).
 */
export interface HeldFamily {
  companyId: string;
  /** the room's access key (/room/<key>) */
  accessKey: string;
  taro: string;
  hanako: string;
  ichiro: string;
  jiro: string;
}

export async function makeHeldFamily(deps: Deps, name = '保存期間株式会社'): Promise<HeldFamily> {
  const { id: companyId, accessKey } = await makeCompany(deps, name);
  const now = deps.clock.now().toISOString();
  const keyId = randomId(16);
  await deps.db.insertInto('data_keys').values({ id: keyId, company_id: companyId, cohort: '2025', wrapped_key: 'not-a-key', created_at: now, destroyed_at: null }).execute();
  const person = (name: string, relation: string, code: string, employee: string | null) => ({
    id: randomId(16), company_id: companyId, token: randomId(16), data_key_id: keyId, number_index: randomId(16), number_last4: null,
    name, furigana: null, employee_code: code, relation, employee_person_id: employee,
    source_drop_id: null, source_sheet: null, source_row: null, cohort: '2025', state: 'held', created_at: now,
  });
  const taro = person('山田 太郎', '本人', 'E001', null);
  const hanako = person('山田 花子', '配偶者', 'E001', taro.id);
  const ichiro = person('山田 一郎', '扶養親族1', 'E001', taro.id);
  const jiro = person('佐藤 次郎', '本人', 'E002', null);
  await deps.db.insertInto('persons').values([taro, hanako, ichiro, jiro]).execute();
  return { companyId, accessKey, taro: taro.id, hanako: hanako.id, ichiro: ichiro.id, jiro: jiro.id };
}
