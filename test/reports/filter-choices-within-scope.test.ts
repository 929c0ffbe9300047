// The report filters offer the people of the scope only: as assignees, whoever holds a Plan Item
// or an event there (someone given one event and no item included), as uploaders whoever uploaded
// a document there; never someone whose work is all outside the scope.
import { expect } from 'chai';
import { createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';
import { insertEvent, reportFixture } from './report-fixture.ts';

/** The names a select of the filter form offers. */
function options(html: string, name: string): string[] {
  const select = new RegExp(`<select name="${name}">([\\s\\S]*?)</select>`).exec(html)?.[1] ?? '';
  return [...select.matchAll(/<option value="[0-9a-f-]{36}"[^>]*>([^<]*)<\/option>/g)].map((m) => m[1]!).sort();
}

describe('reports: the filter choices', () => {
  it('are the assignees and uploaders of the facilities in scope', async () => {
    const fx = await reportFixture();
    const rita = await createUser(fx.client, { name: 'Rita Reassigned', rank: 'associate' });
    const gus = await createUser(fx.client, { name: 'Gus South', rank: 'associate' });
    const uma = await createUser(fx.client, { name: 'Uma Uploader', rank: 'associate' });
    const beta = fx.events.find((e) => e.facility === 'beta' && e.status === 'open')!;
    await ownerQuery('UPDATE events SET assignee_id = $2 WHERE id = $1', [beta.id, rita.id]);
    await insertEvent(fx.client.id, fx.items.gamma, fx.gamma.id, gus.id, { activity: 'Gamma secret south audit', due: fx.today, status: 'open' });
    const alpha = fx.events.find((e) => e.facility === 'alpha')!;
    await ownerQuery(
      `INSERT INTO documents (client_id, event_id, facility_id, file_name, content_type, size_bytes, sha256, uploaded_by)
       VALUES ($1, $2, $3, 'photo.jpg', 'image/jpeg', 4, repeat('d', 64), $4)`,
      [fx.client.id, alpha.id, fx.alpha.id, uma.id],
    );
    const app = testApp();
    const manager = await signedInAgent(app, fx.manager.email, fx.manager.password);
    const north = (await manager.get('/reports/documents').expect(200)).text;
    expect(options(north, 'assignee')).to.deep.equal(['Ann Assignee', 'Bob Assignee', 'Rita Reassigned']);
    expect(options(north, 'uploader')).to.deep.equal(['Ann Assignee', 'Bob Assignee', 'Uma Uploader']);
    const admin = await signedInAgent(app, fx.admin.email, fx.admin.password);
    const all = (await admin.get('/reports/documents').expect(200)).text;
    expect(options(all, 'assignee')).to.deep.equal(['Ann Assignee', 'Bob Assignee', 'Gus South', 'Rita Reassigned']);
    expect(options(all, 'uploader')).to.deep.equal(['Ann Assignee', 'Bob Assignee', 'Uma Uploader']);
  });
});
