// loadConfig: documented defaults, and a refusal that names the setting and the fix for each
// bad value (the server prints this message and exits).
import os from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { ConfigError, type Env, loadConfig } from '../../config/index.ts';

function refusal(env: Env): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).to.be.instanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('configuration', () => {
  it('has the documented defaults', () => {
    const config = loadConfig({});
    expect(config.env).to.equal('development');
    expect(config.port).to.equal(3000);
    expect(config.host).to.equal('127.0.0.1');
    expect(config.baseUrl).to.equal('http://localhost:3000');
    expect(config.bcryptCost).to.equal(12);
    expect(config.passwordMinLength).to.equal(8);
    expect(config.session).to.deep.equal({ idleMs: 30 * 60_000, absoluteMs: 12 * 3_600_000 });
    expect(config.database).to.equal(undefined);
    expect(config.smtpUrl).to.equal(undefined);
    expect(config.embeddedPort).to.equal(54329);
    expect(config.logLevel).to.equal('info');
    expect(config.dataDir).to.equal(path.join(config.projectRoot, 'var'));
    expect(config.mailDir).to.equal(path.join(config.projectRoot, 'var', 'mail'));
    expect(Object.isFrozen(config)).to.equal(true);
  });

  it('reads valid settings', () => {
    const config = loadConfig({
      PORT: '8080',
      BASE_URL: 'https://plantrak.example.com/',
      SMTP_URL: 'smtps://user:pw@mail.example.com:465',
      SESSION_IDLE_MINUTES: '15',
      DATABASE_URL: 'postgres://owner@db/plantrak',
      DATABASE_APP_URL: 'postgres://app@db/plantrak',
      DATABASE_SESSION_URL: 'postgres://sess@db/plantrak',
      BCRYPT_COST: '',
    });
    expect(config.port).to.equal(8080);
    expect(config.baseUrl).to.equal('https://plantrak.example.com');
    expect(config.smtpUrl).to.equal('smtps://user:pw@mail.example.com:465');
    expect(config.session.idleMs).to.equal(15 * 60_000);
    expect(config.database).to.deep.equal({
      owner: 'postgres://owner@db/plantrak',
      app: 'postgres://app@db/plantrak',
      session: 'postgres://sess@db/plantrak',
      backup: undefined,
    });
    // A blank value means "not set".
    expect(config.bcryptCost).to.equal(12);
  });

  it('allows a cheap bcrypt cost only in tests', () => {
    expect(refusal({ BCRYPT_COST: '8' }).message).to.include('BCRYPT_COST below 10 is allowed only when NODE_ENV=test');
    expect(refusal({ BCRYPT_COST: '8', NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(40) }).message).to.include('BCRYPT_COST below 10');
    expect(loadConfig({ BCRYPT_COST: '8', NODE_ENV: 'test' }).bcryptCost).to.equal(8);
  });

  it('runs bcrypt on all cores but one, at most 3 (a libuv thread left for files), with 100 waiting at most', () => {
    const config = loadConfig({});
    expect(config.bcryptConcurrency).to.equal(Math.min(3, Math.max(1, os.availableParallelism() - 1)));
    expect(config.bcryptQueueMax).to.equal(100);
    expect(loadConfig({ BCRYPT_CONCURRENCY: '2', BCRYPT_QUEUE_MAX: '0' })).to.deep.include({ bcryptConcurrency: 2, bcryptQueueMax: 0 });
    expect(refusal({ BCRYPT_CONCURRENCY: '0' }).message).to.include('BCRYPT_CONCURRENCY: must be at least 1');
    expect(refusal({ BCRYPT_QUEUE_MAX: '-1' }).message).to.include('BCRYPT_QUEUE_MAX: must be at least 0');
  });

  it('refuses a port that is not a number or out of range', () => {
    expect(refusal({ PORT: 'abc' }).message).to.match(/^Invalid configuration:\n {2}PORT: must be a whole number from 0 to 65535$/);
    expect(refusal({ PORT: '70000' }).message).to.include('PORT: must be at most 65535');
    expect(refusal({ PORT: '80.5' }).message).to.include('PORT: must be a whole number');
  });

  it('requires the runtime and session URLs along with DATABASE_URL', () => {
    const message = refusal({ DATABASE_URL: 'postgres://owner@db/plantrak' }).message;
    expect(message).to.include('with DATABASE_URL (the owner role) also set DATABASE_APP_URL and DATABASE_SESSION_URL');
    expect(refusal({ DATABASE_URL: 'postgres://owner@db/plantrak', DATABASE_APP_URL: 'postgres://app@db/plantrak' }).message).to.include('DATABASE_SESSION_URL');
  });

  it('requires SESSION_SECRET in production, and a long one', () => {
    expect(refusal({ NODE_ENV: 'production' }).message).to.include('SESSION_SECRET is required in production');
    expect(refusal({ NODE_ENV: 'production', SESSION_SECRET: 'short' }).message).to.include('SESSION_SECRET: at least 32 characters');
    expect(loadConfig({ NODE_ENV: 'production', SESSION_SECRET: 's'.repeat(32), DATA_ENCRYPTION_KEY: 'ab'.repeat(32) }).env).to.equal('production');
  });

  it('refuses an SMTP_URL that is not smtp:// or smtps://, saying so', () => {
    for (const url of ['http://mail.example.com', 'https://mail.example.com:587', 'mail.example.com']) {
      expect(refusal({ SMTP_URL: url }).message, url).to.match(/^Invalid configuration:\n {2}SMTP_URL: .*smtp:\/\/ or smtps:\/\//);
    }
  });

  it('refuses database and base URLs with another scheme, saying so', () => {
    const message = refusal({
      DATABASE_URL: 'mysql://owner@db/plantrak',
      DATABASE_APP_URL: 'postgres://app@db/plantrak',
      DATABASE_SESSION_URL: 'postgres://sess@db/plantrak',
    }).message;
    expect(message).to.match(/DATABASE_URL: .*postgres:\/\//);
    expect(refusal({ BASE_URL: 'ftp://plantrak.example.com' }).message).to.include('BASE_URL: must be an http:// or https:// URL');
  });

  it('reads a replica for the runtime role, with a lag bound of 30 seconds unless told', () => {
    const external = { DATABASE_URL: 'postgres://owner@db/plantrak', DATABASE_APP_URL: 'postgres://app@db/plantrak', DATABASE_SESSION_URL: 'postgres://sess@db/plantrak' };
    expect(loadConfig(external).replica).to.equal(undefined);
    expect(loadConfig({ ...external, DATABASE_REPLICA_URL: 'postgres://app@standby/plantrak' }).replica).to.deep.equal({ url: 'postgres://app@standby/plantrak', maxLagSeconds: 30 });
    expect(loadConfig({ ...external, DATABASE_REPLICA_URL: 'postgres://app@standby/plantrak', REPLICA_MAX_LAG_SECONDS: '5' }).replica?.maxLagSeconds).to.equal(5);
  });

  it('refuses a bad DATABASE_REPLICA_URL or lag bound, saying why', () => {
    const external = { DATABASE_URL: 'postgres://owner@db/plantrak', DATABASE_APP_URL: 'postgres://app@db/plantrak', DATABASE_SESSION_URL: 'postgres://sess@db/plantrak' };
    expect(refusal({ ...external, DATABASE_REPLICA_URL: 'mysql://app@standby/plantrak' }).message).to.include('DATABASE_REPLICA_URL: must be a postgres:// or postgresql:// URL');
    expect(refusal({ ...external, DATABASE_REPLICA_URL: 'standby:5432' }).message).to.include('DATABASE_REPLICA_URL: must be a postgres:// or postgresql:// URL');
    expect(refusal({ ...external, DATABASE_REPLICA_URL: 'postgres://owner@standby/plantrak' }).message).to.include('DATABASE_REPLICA_URL must sign in as the runtime role');
    expect(refusal({ DATABASE_REPLICA_URL: 'postgres://app@standby/plantrak' }).message).to.include('DATABASE_REPLICA_URL is a standby of an external server');
    expect(refusal({ ...external, DATABASE_REPLICA_URL: 'postgres://app@standby/plantrak', REPLICA_MAX_LAG_SECONDS: '0' }).message).to.include('REPLICA_MAX_LAG_SECONDS: must be at least 1');
  });

  it('lists every problem at once', () => {
    const message = refusal({ PORT: 'abc', NODE_ENV: 'staging', LOG_LEVEL: 'loud' }).message;
    expect(message).to.include('PORT:');
    expect(message).to.include('NODE_ENV:');
    expect(message).to.include('LOG_LEVEL:');
  });
});
