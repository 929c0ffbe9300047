// Without SMTP_URL, mail is written as private .eml files so a fresh install works offline.
import fs from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'chai';
import { MailDelivery } from '../../services/mail/delivery.ts';
import { createMailTransport } from '../../services/mail/transport.ts';
import { testEnv } from '../support/env.ts';
import { insertOutbox, outboxRows, removeDir, scratchPath, TEST_FROM } from '../support/mail-helpers.ts';

describe('file mail transport', () => {
  let mailDir: string;
  beforeEach(() => {
    mailDir = scratchPath('mail');
  });
  afterEach(async () => {
    await removeDir(mailDir);
  });

  it('writes one private .eml file per message and marks it sent by file', async () => {
    const ids = await insertOutbox(2, { to: (i) => `inspector-${i}@acme.example`, subject: (i) => `Permit renewal ${i} due` });
    const transport = createMailTransport({ mailDir, from: TEST_FROM });
    expect(transport.name).to.equal('file');
    try {
      expect(await new MailDelivery(testEnv().db.sequelize, transport).deliverDue()).to.equal(2);
    } finally {
      transport.close();
    }

    const files = (await fs.readdir(mailDir)).sort();
    expect(files).to.have.length(2);
    expect((await fs.stat(mailDir)).mode & 0o777).to.equal(0o700);
    for (const [i, id] of ids.entries()) {
      const name = files.find((f) => f.endsWith(`-${id}.eml`));
      expect(name, `file for message ${i}`).to.be.a('string');
      const file = path.join(mailDir, name!);
      expect((await fs.stat(file)).mode & 0o777).to.equal(0o600);
      const eml = await fs.readFile(file, 'utf8');
      expect(eml).to.match(new RegExp(`^Subject: Permit renewal ${i} due$`, 'm'));
      expect(eml).to.match(new RegExp(`^To: inspector-${i}@acme\\.example$`, 'm'));
      expect(eml).to.match(/^From: PlanTRAK <no-reply@plantrak\.test>$/m);
      expect(eml).to.match(new RegExp(`^Message-ID: <${id}@plantrak>$`, 'm'));
      expect(eml).to.include(`Body of message ${i}`);
    }

    const rows = await outboxRows();
    expect(rows.map((r) => ({ id: r.id, status: r.status, transport: r.transport, attempts: r.attempts }))).to.have.deep.members(
      ids.map((id) => ({ id, status: 'sent', transport: 'file', attempts: 1 })),
    );
  });

  it('retries later when the directory cannot be written', async () => {
    await fs.writeFile(mailDir, 'a file where the mail directory should be');
    await insertOutbox(1);
    const transport = createMailTransport({ mailDir, from: TEST_FROM });
    try {
      expect(await new MailDelivery(testEnv().db.sequelize, transport).deliverDue()).to.equal(0);
    } finally {
      transport.close();
    }
    const [row] = await outboxRows();
    expect(row).to.include({ status: 'pending', attempts: 1, transport: 'file' });
    expect(row.last_error).to.match(/EEXIST|ENOTDIR/);
  });
});
