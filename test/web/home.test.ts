import { expect } from 'chai';
import supertest from 'supertest';
import { createClient, createUser } from '../support/factories.ts';
import { signedInAgent, testApp } from '../support/http.ts';

describe('home page', () => {
  it('shows the signed-in user, their client and rank', async () => {
    const client = await createClient({ name: 'Acme Water', timeZone: 'Europe/Berlin' });
    const user = await createUser(client, { name: 'Dana Director', rank: 'director', email: 'dana@acme.example' });
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const res = await agent.get('/').expect(200);
    expect(res.text).to.include('Dana Director');
    expect(res.text).to.include('dana@acme.example');
    expect(res.text).to.include('Acme Water');
    expect(res.text).to.include('<dd>Director</dd>');
    expect(res.text).to.include('Europe/Berlin');
  });

  it('sends anonymous visitors to the sign-in page', async () => {
    const res = await supertest(testApp()).get('/').expect(303);
    expect(res.headers.location).to.equal('/login');
  });

  it('carries the not-for-health-data notice on every page', async () => {
    const res = await supertest(testApp()).get('/login').expect(200);
    expect(res.text).to.match(/not designed for protected health information \(HIPAA data\)/);
  });

  it('has an account page with the password and two-factor settings', async () => {
    const client = await createClient({ name: 'Acme Water' });
    const user = await createUser(client, { name: 'Sam Settings', rank: 'manager' });
    const agent = await signedInAgent(testApp(), user.email, user.password);
    const res = await agent.get('/account').expect(200);
    expect(res.text).to.include('Sam Settings');
    expect(res.text).to.include('href="/account/password"');
    expect(res.text).to.match(/Two-factor sign-in<\/dt><dd>Off · <a href="\/account\/two-factor">Set up<\/a>/);
    expect((await agent.get('/').expect(200)).text).to.include('href="/account"');
  });
});
