/**
 * kinko's layers, checked by dependency-cruiser on every `npm test` (and `npm run lint`).
 * Each rule says what it protects; docs/architecture.md draws the layers.
 */
module.exports = {
  forbidden: [
    {
      name: 'no-file-cycles',
      comment: 'A cycle between files means neither can be read, tested or moved alone.',
      severity: 'error',
      from: {},
      to: { circular: true },
    },
    {
      name: 'no-folder-cycles',
      comment: 'Domains depend one way: a loop between server/ folders makes every folder in it one big module.',
      severity: 'error',
      scope: 'folder',
      from: { path: '^server/' },
      to: { circular: true },
    },
    {
      name: 'storage-knows-no-server',
      comment: 'storage-adapters/ is a stand-alone storage contract (style.md 1): it is given its settings and never reads kinko’s config, database or HTTP.',
      severity: 'error',
      from: { path: '^storage-adapters/' },
      to: { path: '^server/' },
    },
    {
      name: 'worker-code-knows-no-http',
      comment: 'Code that runs in a parse process or a worker thread reads hostile files; it must not pull in (or be able to reach) the web tier.',
      severity: 'error',
      from: { path: '(^server/ingest/parse/|^server/ingest/worker/parse-worker\\.ts$|-worker\\.(ts|mjs)$)' },
      to: { path: '^server/http/', reachable: true },
    },
    {
      name: 'lib-is-domain-free',
      comment: 'server/lib/ holds the domain-free helpers (ids and randomness, JST dates, the secret box, passwords, the signing key, the CLI command type, the OpenPGP SEIPD v1 writer that drops and bundles share); it imports no domain, so every domain may use it.',
      severity: 'error',
      from: { path: '^server/lib/' },
      to: { path: '^server/(?!lib/)' },
    },
    {
      name: 'vault-only-through-its-api',
      comment:
        'The vault keeps numbers (P2–P5): other domains use what server/vault/index.ts offers (custody, lookups, reveal, bulk read, cohort erase) and never its repo, keys, record format or storage, so its rules cannot be bypassed and it can change inside.',
      severity: 'error',
      from: { path: '^server/', pathNot: '^server/(vault/|app\\.ts$)' },
      to: { path: '^server/vault/', pathNot: '^server/vault/index\\.ts$' },
    },
    {
      name: 'vault-routes-only-mounted',
      comment: 'app.ts, which mounts every domain’s routes, may take the vault’s router besides its API, and nothing else of it.',
      severity: 'error',
      from: { path: '^server/app\\.ts$' },
      to: { path: '^server/vault/', pathNot: '^server/vault/(index|routes)\\.ts$' },
    },
    {
      name: 'browser-code-knows-no-server',
      comment: 'Views and static scripts are what the browser gets; server code there would be served or rendered by mistake.',
      severity: 'error',
      from: { path: '^(views|static)/' },
      to: { path: '^(server|storage-adapters)/' },
    },
    {
      name: 'self-copy-reaches-no-numbers',
      comment: 'The 受給者交付用 源泉徴収票 carries no number (year-end.md §1, §7 rule 2). Its path may not import, even through a helper, anything that holds or hands out numbers: the vault, the database, ingest, the key store, the file readers (which see carried numbers) or the writer that fills the ★ cells.',
      severity: 'error',
      from: { path: '^server/bundles/self-copy' },
      to: { path: '^server/(vault|db|ingest|keys)/|^server/bundles/(read|write)/', reachable: true },
    },
    {
      name: 'collect-employee-side-opens-nothing',
      comment: 'The employee’s page (issue 18) takes what the phone encrypted to the office key and stores it as it came: nothing on that path may reach, even through a helper, what holds numbers or reads them out of a file — the vault, the ingest readers, the submission’s decoder and the arrival side (payload.ts, arrival-*.ts, which staff run after unlocking). (It does read the office public key, to check what arrives is encrypted to it.)',
      severity: 'error',
      from: { path: '^server/collect/employee-' },
      to: { path: '^server/(vault|ingest)/|^server/collect/(payload|arrival-)', reachable: true },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: '(^|/)node_modules/' },
    tsConfig: { fileName: 'tsconfig.json' },
    tsPreCompilationDeps: true,
    enhancedResolveOptions: { extensions: ['.ts', '.mjs', '.js'] },
  },
};
