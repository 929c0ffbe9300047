// The Plan Item form: the edit page opens on the stored rule's preset
// with its fields filled; the schedule fields come in groups labelled with their presets (all
// usable without script, only the chosen one shown with script); free text that looks like health
// data needs a confirmation before it is saved.
import fs from 'node:fs/promises';
import path from 'node:path';
import vm from 'node:vm';
import { expect } from 'chai';
import { type ClientRow, createClient, createUser, ownerQuery, type UserRow } from '../support/factories.ts';
import { createUnit, grantScope, type UnitRow } from '../support/hierarchy-factories.ts';
import { type Agent, signedInAgent, submitForm, testApp } from '../support/http.ts';

interface World {
  client: ClientRow;
  facility: UnitRow;
  director: UserRow;
  agent: Agent;
}

async function world(): Promise<World> {
  const client = await createClient({ name: 'Preset Co', timeZone: 'America/Chicago' });
  const facility = await createUnit(client, { kind: 'facility', name: 'Preset Plant' });
  const director = await createUser(client, { name: 'Pat Preset', rank: 'director' });
  await grantScope(director, facility);
  return { client, facility, director, agent: await signedInAgent(testApp(), director.email, director.password) };
}

const form = (w: World, extra: Record<string, string>): Record<string, string> => ({
  intent: 'save', activity: 'Forklift check', assigneeId: w.director.id, scheduleStart: '2032-01-05',
  monthEndPolicy: 'last-day', leadTimeDays: '30', requirement: 'none', ...extra,
});

async function create(w: World, fields: Record<string, string | string[]>): Promise<string> {
  const res = await submitForm(w.agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`, fields as Record<string, string>);
  expect(res.status, res.text.slice(0, 1500)).to.equal(303);
  const [row] = await ownerQuery<{ id: string }>('SELECT id FROM plan_items WHERE facility_id = $1 ORDER BY created_at DESC LIMIT 1', [w.facility.id]);
  return row.id;
}

const selected = (html: string, name: string): string[] => {
  const select = new RegExp(`<select id="${name}" name="${name}"[\\s\\S]*?</select>`).exec(html)?.[0] ?? '';
  return [...select.matchAll(/<option value="([^"]*)" selected/g)].map((m) => m[1]);
};
const checked = (html: string, name: string): string[] =>
  [...html.matchAll(new RegExp(`<input type="checkbox" name="${name}" value="([^"]+)" checked`, 'g'))].map((m) => m[1]);
const inputValue = (html: string, name: string): string | undefined => new RegExp(`<input id="${name}" name="${name}"[^>]*value="([^"]*)"`).exec(html)?.[1];

describe('Management plans: the Plan Item form', () => {
  it('opens the edit page on the stored rule\'s preset with its fields filled', async () => {
    const w = await world();
    const cases: Array<{ fields: Record<string, string | string[]>; mode: string; check: (html: string) => void }> = [
      { fields: { scheduleMode: 'every-n-weeks', every: '2', weekdays: ['TH', 'TU'] }, mode: 'every-n-weeks',
        check: (html) => { expect(inputValue(html, 'every')).to.equal('2'); expect(checked(html, 'weekdays')).to.deep.equal(['TU', 'TH']); } },
      { fields: { scheduleMode: 'monthly-nth-weekday', nth: '-1', weekday: 'FR' }, mode: 'monthly-nth-weekday',
        check: (html) => { expect(selected(html, 'nth')).to.deep.equal(['-1']); expect(selected(html, 'weekday')).to.deep.equal(['FR']); } },
      { fields: { scheduleMode: 'quarterly', day: '15' }, mode: 'quarterly', check: (html) => expect(inputValue(html, 'day')).to.equal('15') },
      { fields: { scheduleMode: 'annually', month: '3', day: '1' }, mode: 'annually',
        check: (html) => { expect(selected(html, 'month')).to.deep.equal(['3']); expect(inputValue(html, 'day')).to.equal('1'); } },
      { fields: { scheduleMode: 'specific-months', months: ['1', '7'], day: '31' }, mode: 'specific-months',
        check: (html) => { expect(checked(html, 'months')).to.deep.equal(['1', '7']); expect(inputValue(html, 'day')).to.equal('31'); } },
      { fields: { scheduleMode: 'monthly-last-day' }, mode: 'monthly-last-day', check: () => undefined },
      { fields: { scheduleMode: 'one-time' }, mode: 'one-time', check: () => undefined },
      // No preset writes "the last weekday of the month": the rule stays in the advanced field.
      { fields: { scheduleMode: 'advanced', rrule: 'FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1' }, mode: 'advanced',
        check: (html) => expect(inputValue(html, 'rrule')).to.equal('FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1') },
      { fields: { scheduleMode: 'relative', relativeEvery: '90', relativeUnit: 'day' }, mode: 'relative',
        check: (html) => { expect(inputValue(html, 'relativeEvery')).to.equal('90'); expect(selected(html, 'relativeUnit')).to.deep.equal(['day']); } },
    ];
    for (const c of cases) {
      const id = await create(w, form(w, c.fields as Record<string, string>));
      const html = (await w.agent.get(`/plan-items/${id}/edit`).expect(200)).text;
      expect(selected(html, 'scheduleMode'), c.mode).to.deep.equal([c.mode]);
      c.check(html);
      // Saving the page as it opened changes nothing.
      const again = await submitForm(w.agent, `/plan-items/${id}/edit`, `/plan-items/${id}`, form(w, c.fields as Record<string, string>));
      expect(again.status).to.equal(303);
      const flash = await w.agent.get(again.headers.location as string);
      expect(flash.text, c.mode).to.include('Nothing was changed.');
    }
  });

  it('groups the schedule fields by preset in labelled fieldsets, all usable without script, with no inline script or style', async () => {
    const w = await world();
    const html = (await w.agent.get(`/units/${w.facility.id}/plan/new`).expect(200)).text;
    for (const legend of ['Every N days / Every N weeks', 'Weekdays (Every N weeks)', 'Month (Annually)', 'Months (Specific months)',
      'Week and weekday (Monthly on the Nth or last weekday)', 'Rule (Advanced)', 'After completion (Every N days/weeks/months/years after completion)']) {
      expect(html).to.include(`<legend>${legend}</legend>`);
    }
    // Without script nothing is hidden.
    expect(html).not.to.match(/data-modes="[^"]*"[^>]*\shidden/);
    expect(html).not.to.match(/<script(?![^>]*\ssrc=)/);
    expect(html).not.to.match(/\sstyle=/);
  });

  it('with script, shows only the chosen preset\'s groups and follows the choice', async () => {
    const w = await world();
    const html = (await w.agent.get(`/units/${w.facility.id}/plan/new`).expect(200)).text;
    const groups = [...html.matchAll(/data-modes="([^"]+)"/g)].map((m) => ({ dataset: { modes: m[1] }, hidden: false }));
    const hint = { hidden: false };
    const listeners: Record<string, () => void> = {};
    const mode = { value: 'monthly-last-day', addEventListener: (type: string, fn: () => void) => { listeners[`mode:${type}`] = fn; } };
    const schedule = {
      querySelector: (q: string) => (q.includes('scheduleMode') ? mode : {}),
      querySelectorAll: (q: string) => (q === '[data-modes]' ? groups : q === '[data-no-script-hint]' ? [hint] : []),
      addEventListener: () => undefined,
    };
    const document = { querySelector: () => ({ querySelector: () => schedule }) };
    const script = await fs.readFile(path.resolve(import.meta.dirname, '../../public/js/plan-form.js'), 'utf8');
    vm.runInNewContext(script, { document });
    const shown = () => groups.filter((g) => !g.hidden).map((g) => g.dataset.modes);
    expect(shown(), 'monthly on the last day has no fields of its own').to.deep.equal([]);
    expect(hint.hidden).to.equal(true);
    mode.value = 'every-n-weeks';
    listeners['mode:change']!();
    expect(shown()).to.deep.equal(['every-n-days every-n-weeks', 'every-n-weeks']);
    mode.value = 'annually';
    listeners['mode:change']!();
    expect(shown()).to.deep.equal(['monthly-on-day quarterly semi-annually annually specific-months', 'annually',
      'monthly-on-day quarterly semi-annually annually specific-months advanced']);
    mode.value = 'relative';
    listeners['mode:change']!();
    expect(shown()).to.deep.equal(['relative']);
  });

  describe('free text that looks like health data', () => {
    const warnings = (clientId: string) =>
      ownerQuery<{ user_id: string; form: string; kinds: string[] }>('SELECT user_id, form, kinds FROM sensitive_data_warnings WHERE client_id = $1', [clientId]);
    const itemCount = async (facilityId: string) => (await ownerQuery('SELECT 1 FROM plan_items WHERE facility_id = $1', [facilityId])).length;

    it('on create: a 422 with the warning at the top, everything typed kept and nothing saved; confirmed, it is saved and counted', async () => {
      const w = await world();
      const fields = form(w, { scheduleMode: 'monthly-last-day', description: 'Call 123-45-6789 first', category: 'Safety' });
      const refused = await submitForm(w.agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`, fields);
      expect(refused.status).to.equal(422);
      expect(refused.text).to.include('may contain health information (a US Social Security number)');
      expect(refused.text).to.match(/<div class="sensitive-warning" role="alert">/);
      expect(refused.text).to.match(/<input type="checkbox" name="confirmSensitive" value="1"\s*aria-invalid="true"/);
      expect(refused.text).to.include('This is not health information — save anyway');
      expect(refused.text.indexOf('sensitive-warning'), 'above the fields').to.be.lessThan(refused.text.indexOf('name="activity"'));
      expect(refused.text).to.include('Call 123-45-6789 first').and.to.include('value="Safety"').and.to.include('value="Forklift check"');
      expect(await itemCount(w.facility.id)).to.equal(0);
      expect(await warnings(w.client.id)).to.have.length(0);

      const saved = await submitForm(w.agent, `/units/${w.facility.id}/plan/new`, `/units/${w.facility.id}/plan`, { ...fields, confirmSensitive: '1' });
      expect(saved.status, saved.text.slice(0, 1500)).to.equal(303);
      expect(await itemCount(w.facility.id)).to.equal(1);
      expect(await warnings(w.client.id)).to.deep.equal([{ user_id: w.director.id, form: 'plan_item', kinds: ['ssn'] }]);
    });

    it('on update, in a checklist label too; a preview never asks', async () => {
      const w = await world();
      const id = await create(w, form(w, { scheduleMode: 'monthly-last-day' }));
      const fields = form(w, { scheduleMode: 'monthly-last-day', requirement: 'checklist', item1Label: 'Patient ID checked', item1Type: 'check' });
      const preview = await submitForm(w.agent, `/plan-items/${id}/edit`, `/plan-items/${id}`, { ...fields, intent: 'preview' });
      expect(preview.status).to.equal(200);
      expect(preview.text).not.to.include('sensitive-warning');
      const refused = await submitForm(w.agent, `/plan-items/${id}/edit`, `/plan-items/${id}`, fields);
      expect(refused.status).to.equal(422);
      expect(refused.text).to.include('medical record number wording');
      const [before] = await ownerQuery<{ requirement: string }>('SELECT requirement FROM plan_items WHERE id = $1', [id]);
      expect(before.requirement).to.equal('none');
      const saved = await submitForm(w.agent, `/plan-items/${id}/edit`, `/plan-items/${id}`, { ...fields, confirmSensitive: '1' });
      expect(saved.status).to.equal(303);
      const [after] = await ownerQuery<{ requirement: string }>('SELECT requirement FROM plan_items WHERE id = $1', [id]);
      expect(after.requirement).to.equal('checklist');
      expect(await warnings(w.client.id)).to.have.length(1);
    });
  });
});
