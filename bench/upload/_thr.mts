import { Readable } from 'node:stream';
import * as openpgp from 'openpgp';
import { encryptToOffice } from '../../server/drops/encrypt-stream.js';
import { stopEncryptThreads } from '../../server/drops/encrypt-thread.js';
const { publicKey } = await openpgp.generateKey({ type: 'ecc', curve: 'curve25519Legacy', userIDs: [{ name: 'bench' }], format: 'object', config: { aeadProtect: false, v6Keys: false } });
const piece = Buffer.alloc(64 * 1024, 'abc\n');
const source = () => Readable.from((function* () { for (let i = 0; i < 16 * 1024; i++) yield Buffer.from(piece); })(), { objectMode: false });
const mode = (process.argv[2] ?? 'thread') as 'thread';
for (let r = 0; r < 2; r++) { const c0 = process.cpuUsage(); const t0 = performance.now(); for await (const _ of await encryptToOffice(source(), publicKey, mode)) void _; const c = process.cpuUsage(c0); console.log(mode, 'cpu', (c.user + c.system) / 1e6, 'wall', ((performance.now() - t0) / 1000).toFixed(2)); }
await stopEncryptThreads();
