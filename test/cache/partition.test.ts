/**
 * A node cut off from a Redis that keeps running (and keeps its data) cannot delete what it
 * changed. When it reaches Redis again it must first apply those deletions, or it — and every
 * other node — would read the old value back from Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CacheService } from '../../src/cache/cacheService.js';
import { createCacheService } from '../../src/cache/index.js';
import { quietLogger, testRedisPrefix } from '../helpers/db.js';
import { until, useTestRedis } from '../helpers/redisServer.js';
import { TcpProxy } from '../helpers/tcpProxy.js';

// CI's Redis when configured, else one of our own: these suites always run on a real Redis.
const redisUrl = await useTestRedis();

describe.runIf(redisUrl)('a node partitioned from Redis', () => {
  let proxy: TcpProxy;
  let cut: CacheService; // reaches Redis through the proxy
  let other: CacheService; // another node, always connected
  beforeAll(async () => {
    const prefix = testRedisPrefix();
    proxy = await TcpProxy.start(Number(new URL(redisUrl!).port || 6379));
    const viaProxy = { redisUrl: `redis://127.0.0.1:${proxy.port}`, redisPrefix: prefix };
    cut = await createCacheService(viaProxy, quietLogger, 'node-cut');
    other = await createCacheService({ redisUrl, redisPrefix: prefix }, quietLogger, 'node-other');
  });
  afterAll(async () => {
    await other?.flush();
    await cut?.close();
    await other?.close();
    await proxy?.cut();
  });

  it('replays the deletions it missed before reading Redis again', async () => {
    let row = 'v1';
    const load = async () => row;
    expect(await cut.getWithFallback('agent:p', load)).toBe('v1');
    expect(await other.getWithFallback('agent:p', load)).toBe('v1'); // from Redis

    await proxy.cut();
    await until(() => cut.metrics().redis === 'down', 5_000);
    row = 'v2'; // the write happens while `cut` cannot reach Redis
    await cut.invalidate(['agent:p']);
    expect(await cut.getWithFallback('agent:p', load)).toBe('v2'); // straight from the database

    await proxy.restore();
    await until(() => cut.metrics().redis === 'up', 10_000);
    expect(await cut.getWithFallback('agent:p', load)).toBe('v2');
    // The replayed deletion also reached the other node: neither Redis nor its memory holds v1.
    await until(async () => (await other.get('agent:p')) === null, 1_000);
  });
});
