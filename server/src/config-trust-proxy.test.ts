import express from 'express';
import request from 'supertest';
import { ConfigError, loadConfig } from './config.js';

describe('config: LOOPGATE_TRUST_PROXY', () => {
  test('off by default, and when empty', () => {
    expect(loadConfig({}).trustProxy).toBe(false);
    expect(loadConfig({ LOOPGATE_TRUST_PROXY: '' }).trustProxy).toBe(false);
    expect(loadConfig({ LOOPGATE_TRUST_PROXY: 'false' }).trustProxy).toBe(false);
  });

  test.each([
    ['true', true],
    ['TRUE', true],
    ['1', 1],
    ['2', 2],
    ['loopback', ['loopback']],
    [' loopback , 10.0.0.0/8,192.168.1.7, fd00::/8 ', ['loopback', '10.0.0.0/8', '192.168.1.7', 'fd00::/8']],
    ['linklocal,uniquelocal,::1', ['linklocal', 'uniquelocal', '::1']],
  ])('%j is read as %j', (value, expected) => {
    expect(loadConfig({ LOOPGATE_TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  test.each([
    'yes',
    'loopbak',
    '10.0.0.0/33',
    '::1/129',
    '10.0.0',
    '10.0.0.0/8/8',
    '10.0.0.0/',
    '-1',
    '100',
    'loopback,,10.0.0.1',
    'example.com',
  ])('%j fails fast naming the setting', (value) => {
    expect(() => loadConfig({ LOOPGATE_TRUST_PROXY: value })).toThrow(ConfigError);
    expect(() => loadConfig({ LOOPGATE_TRUST_PROXY: value })).toThrow(/LOOPGATE_TRUST_PROXY: /);
  });

  // Every accepted value must be one Express takes as `trust proxy`, with the meaning documented.
  test.each([
    ['false', '127.0.0.1'],
    ['loopback', '203.0.113.5'],
    ['10.0.0.0/8', '127.0.0.1'],
    ['1', '203.0.113.5'],
  ])('Express with %j sees the client as %s', async (value, ip) => {
    const app = express();
    app.set('trust proxy', loadConfig({ LOOPGATE_TRUST_PROXY: value }).trustProxy);
    app.get('/', (req, res) => {
      res.send(req.ip?.replace(/^::ffff:/, ''));
    });
    const res = await request(app).get('/').set('X-Forwarded-For', '203.0.113.5');
    expect(res.text).toBe(ip);
  });
});
