// /metrics (Prometheus text format) answers only a scrape with the configured bearer token, labels
// requests by their route pattern (never a raw path with its ids), and reports the outbox and
// notification backlogs read from the database.
import { expect } from 'chai';
import supertest from 'supertest';
import { createClient, createUser, ownerQuery } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';

const TOKEN = 'metrics-test-token-0123456789abcdef0123456789';

/** The value of a sample line (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

describe('/metrics', () => {
  it('refuses a scrape without the token or with a wrong one (401), and is off without a configured token (404)', async () => {
    const app = testApp({ METRICS_TOKEN: TOKEN });
    const missing = await supertest(app).get('/metrics').expect(401);
    expect(missing.headers['www-authenticate']).to.match(/^Bearer/);
    expect(missing.text).to.not.include('plantrak_');
    await supertest(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}x`).expect(401);
    await supertest(app).get('/metrics').set('Authorization', TOKEN).expect(401);
    await supertest(testApp()).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(404);
  });

  it('labels requests by route pattern and status, never by raw path, and reports the backlogs', async () => {
    const app = testApp({ METRICS_TOKEN: TOKEN });
    const client = await createClient();
    const user = await createUser(client, { rank: 'administrator' });
    const agent = await signedInAgent(app, user.email, user.password);
    const secretId = '0f0e0d0c-0b0a-4999-8888-777766665555';
    await agent.get(`/events/${secretId}`).expect(404);
    await agent.get(`/no-such-page/${secretId}`).expect(404);
    await ownerQuery(`INSERT INTO mail_outbox (client_id, to_address, subject, text_body, kind, created_at) VALUES ($1, 'a@example.com', 'S', 'B', 'test', now() - interval '10 minutes')`, [client.id]);
    await ownerQuery(`INSERT INTO mail_outbox (client_id, to_address, subject, text_body, kind, status) VALUES (NULL, 'b@example.com', 'S', 'B', 'test', 'failed')`);

    const res = await supertest(app).get('/metrics').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(res.headers['content-type']).to.match(/^text\/plain; version=0\.0\.4/);
    const text = res.text;
    expect(text).to.not.include(secretId);
    expect(sample(text, 'plantrak_http_requests_total', { route: '/events/:id', method: 'GET', status: '404' })).to.be.at.least(1);
    expect(sample(text, 'plantrak_http_requests_total', { route: 'not_found', status: '404' })).to.be.at.least(1);
    expect(sample(text, 'plantrak_http_requests_total', { route: '/login', method: 'POST', status: '303' })).to.be.at.least(1);
    expect(sample(text, 'plantrak_http_request_duration_seconds_count', { route: '/events/:id' })).to.be.at.least(1);
    expect(text).to.include('# TYPE plantrak_http_server_errors_total counter');
    expect(sample(text, 'plantrak_mail_outbox_pending')).to.equal(1);
    expect(sample(text, 'plantrak_mail_outbox_failed')).to.equal(1);
    expect(sample(text, 'plantrak_mail_oldest_pending_age_seconds')).to.be.within(590, 900);
    expect(sample(text, 'plantrak_notifications_queued')).to.equal(0);
    expect(text).to.include('plantrak_event_generation_lag_seconds').and.include('plantrak_backup_last_good_age_seconds').and.include('plantrak_restore_check_last_age_seconds');
    // Every request label is a pattern or a fixed word: no label value holds a UUID.
    for (const line of text.split('\n').filter((l) => l.startsWith('plantrak_http_'))) expect(line).to.not.match(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });
});
