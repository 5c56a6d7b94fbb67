import fs from 'node:fs';
import { loadConfig } from '../config.js';
import { openDatabase } from '../db/connection.js';
import { readOfficePublicKey } from '../keys/office-key.js';
import type { Command } from '../lib/command.js';
import { verifyDetached } from './certificate-sign.js';

/**
 * `kinko certificate:verify FILE [SIGNATURE]` — checks a disposal
 * certificate's (or a custody report's, PDF or CSV: oversight/custody-issue.ts) detached signature (FILE.asc by default) against this
 * office's public key: the same check as `gpg --verify`, for an office
 * without GnuPG. Exit 0 valid, 1 not valid, 2 usage.
 */
export const retentionCommands: Record<string, Command> = {
  'certificate:verify': {
    summary: '廃棄証明書・取扱状況の報告の署名を事務所の公開鍵で確認する / verify a disposal certificate’s or custody report’s signature (FILE [FILE.asc])',
    run: async (args) => {
      const [file, sigFile = `${file}.asc`, ...rest] = args;
      if (!file || rest.length > 0) {
        console.error('使い方: kinko certificate:verify 証明書.pdf [証明書.pdf.asc] / usage: kinko certificate:verify FILE [SIGNATURE]');
        return 2;
      }
      if (!fs.existsSync(file) || !fs.existsSync(sigFile)) {
        console.error(`ファイルが見つかりません / file not found: ${!fs.existsSync(file) ? file : sigFile}`);
        return 2;
      }
      const config = loadConfig(process.env);
      const database = await openDatabase(config.database);
      try {
        const pub = await readOfficePublicKey(database.db);
        if (!pub) {
          console.error('事務所の鍵がまだありません（初期設定の前です） / no office key yet (kinko is not set up)');
          return 2;
        }
        const ok = await verifyDetached(fs.readFileSync(file), fs.readFileSync(sigFile, 'utf8'), pub);
        console.log(ok ? `署名は有効です（事務所の鍵 ${pub.getFingerprint()}） / valid signature by the office key` : '署名が一致しません。証明書が書き換えられたか、別の鍵の署名です / NOT a valid signature by this office key');
        return ok ? 0 : 1;
      } finally {
        await database.close();
      }
    },
  },
};
