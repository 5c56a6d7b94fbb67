import { Router, type Request, type Response } from 'express';
import type { Deps } from '../deps.js';
import { BadRequest } from '../http/errors.js';
import { knownErrorKey, personRetentionSection } from '../retention/pages.js';
import { policy } from '../http/policies.js';
import { input, validate } from '../http/validate.js';
import { actorOf, groupNumber, jstText, param, requestIdOf, safeId } from './present.js';
import * as schema from './schema.js';
import {
  companyHoldings,
  companyPersons,
  existingPersonId,
  liftRevealBlock,
  listRevealBlocks,
  lockUnlockWindow,
  personPage,
  REVEAL_PURPOSES,
  revealNumber,
  UNLOCK_WINDOW_MS,
} from './service.js';

/**
 * The vault's office pages: persons held for a company, one person with the
 * reveal form, the reveal itself, and the directors' list of reveal blocks.
 * Numbers appear only in the body of the POST response that reveals one —
 * never in a URL, a redirect, a log line or the audit trail.
 */
export function vaultRoutes(deps: Deps): Router {
  const r = Router();
  const staff = (note: string) => policy({ audience: 'staff', note });

  r.get('/office/persons', staff('how many persons each company has in the vault (counts only), each linking to its list'), async (_req, res) => {
    const t = res.locals.t;
    res.render('office/holdings', { title: t('vault.holdings.title'), companies: await companyHoldings(deps.db) });
  });

  r.get('/office/companies/:companyId/persons', staff('persons held for a company (names only, no numbers)'), validate(schema.personsList), async (req, res) => {
    const { q, page } = input(res, schema.personsList).query;
    const data = await companyPersons(deps, param(req, 'companyId'), { q, page });
    res.render('office/persons', {
      title: res.locals.t('vault.persons.title', { company: data.company.name }),
      ...data,
      persons: data.persons.map((p) => ({ ...p, createdText: jstText(res, p.created_at), masked: maskedLast4(p.number_last4) })),
    });
  });

  r.get('/office/persons/:id', staff('one held person and the reveal form'), validate(schema.personPage), async (req, res) => {
    await renderPerson(req, res, deps, {});
  });

  r.post('/office/persons/:id/reveal', staff('reveal one number for a statutory purpose (key holders; audited; hourly limit)'), validate(schema.reveal), async (req, res) => {
    const { purpose, passphrase } = input(res, schema.reveal).body;
    try {
      const result = await revealNumber(deps, {
        personId: param(req, 'id'),
        actor: actorOf(res),
        passphrase,
        purpose,
        requestId: requestIdOf(res),
      });
      // The one response that carries a number: kept out of every cache and the back button.
      res.set('Cache-Control', 'no-store');
      res.render('office/reveal', {
        title: res.locals.t('vault.reveal.title'),
        person: result.person,
        grouped: groupNumber(result.number),
        purposeKey: result.purpose,
        windowUntil: result.windowExpiresAt ? jstText(res, result.windowExpiresAt) : null,
        hideAfterSeconds: 30,
        scripts: ['/static/js/reveal.js'],
      });
    } catch (err) {
      // A person's mistake (no purpose, wrong or missing passphrase): the form again, with the reason next to it.
      if (!(err instanceof BadRequest)) throw err;
      res.status(err.status); // 400, or 429 when the key passphrase tries are locked
      await renderPerson(req, res, deps, { error: res.locals.t(err.messageKey, err.params), purpose });
    }
  });

  // A reload, "back" or the language switch on the reveal page: never show the number again; go to the person.
  r.get('/office/persons/:id/reveal', staff('back to the person (the number is shown once, by POST)'), async (req, res) => {
    res.redirect(303, `/office/persons/${encodeURIComponent(await existingPersonId(deps, param(req, 'id')))}`);
  });

  r.post('/office/reveal/lock', staff('lock the office key now (end this session’s unlock window)'), validate(schema.lockWindow), (_req, res) => {
    lockUnlockWindow(deps, actorOf(res));
    const back = safeId(input(res, schema.lockWindow).body.personId);
    res.redirect(303, back ? `/office/persons/${back}?locked=1` : '/office');
  });

  r.get('/office/reveal-blocks', policy({ audience: 'director', note: 'people whose reveals are blocked (hourly limit)' }), validate(schema.revealBlocks), async (_req, res) => {
    const blocks = await listRevealBlocks(deps);
    const fresh = res.locals.stepUpFresh as ((a: unknown) => boolean) | undefined;
    res.render('office/reveal-blocks', {
      title: res.locals.t('vault.blocks.title'),
      blocks: blocks.map((b) => ({ ...b, blockedText: jstText(res, b.blockedAt) })),
      lifted: input(res, schema.revealBlocks).query.lifted,
      isDirector: true,
      stepUpFresh: !!fresh?.(actorOf(res)),
      stepUpUrl: `/office/step-up?next=${encodeURIComponent('/office/reveal-blocks')}`,
    });
  });

  r.post('/office/reveal-blocks/:userId/lift', policy({ audience: 'director', stepUp: true, note: 'lift a reveal block' }), async (req, res) => {
    await liftRevealBlock(deps, { userId: param(req, 'userId'), by: actorOf(res).userId, requestId: requestIdOf(res) });
    res.redirect(303, '/office/reveal-blocks?lifted=1');
  });

  return r;
}

async function renderPerson(req: Request, res: Response, deps: Deps, form: { error?: string; purpose?: string }): Promise<void> {
  const actor = actorOf(res);
  const { person, employee, dependents, readiness } = await personPage(deps, param(req, 'id'), actor);
  const query = input(res, schema.personPage).query;
  res.render('office/person', {
    title: person.name,
    person,
    employee,
    dependents,
    createdText: jstText(res, person.created_at),
    readiness: { ...readiness, windowUntil: readiness.windowExpiresAt ? jstText(res, readiness.windowExpiresAt) : null },
    purposes: REVEAL_PURPOSES,
    windowMinutes: UNLOCK_WINDOW_MS / 60_000,
    revealLimit: deps.config.limits.reveal.perHour,
    locked: query.locked,
    error: form.error ?? null,
    purpose: form.purpose ?? '',
    retention: await personRetentionCard(res, deps, person.id, person.state, query),
  });
}

/** The retention section of the person page (retention/pages.ts), with the message of the form just sent. */
async function personRetentionCard(res: Response, deps: Deps, personId: string, state: string, query: { saved: boolean; error: string }) {
  if (state !== 'held') return null;
  const err = knownErrorKey(query.error);
  return { ...(await personRetentionSection(deps, personId, res.locals.lang === 'en' ? 'en' : 'ja')), message: err ? res.locals.t(err) : null, saved: query.saved };
}

/** The last four digits as the preview shows them; null when the row predates migration 0012. */
function maskedLast4(last4: string | null): string | null {
  return last4 ? `**** **** ${last4}` : null;
}
