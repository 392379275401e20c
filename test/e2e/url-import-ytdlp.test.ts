import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { findYtdlp } from '../../src/adapters/ytdlp/ytdlp.importer.js';
import { startMediaSite, type MediaSite } from '../helpers/media-site.js';
import { collectEvents, startTestPlatform, type TestPlatform } from '../helpers/platform.js';

const skip = (await findYtdlp(null)) ? false : 'yt-dlp is not installed (Debian/Ubuntu: apt-get install yt-dlp); .ci/run installs it';

describe('e2e: input.url of a video page or an HLS stream (yt-dlp)', { skip }, () => {
  let s: MediaSite;
  let p: TestPlatform;
  let off: TestPlatform;
  before(async () => {
    s = await startMediaSite();
    p = await startTestPlatform({ MEDIAFORGE_URL_ALLOWLIST: '127.0.0.1' });
    off = await startTestPlatform({ MEDIAFORGE_URL_ALLOWLIST: '127.0.0.1', MEDIAFORGE_YTDLP: 'off' });
  });
  after(async () => {
    await p?.stop();
    await off?.stop();
    await s?.close();
  });

  const run = async (platform: TestPlatform, path: string) => {
    const created = await platform.api('POST', '/v1/jobs', { input: { url: `${s.site.origin}/${path}` }, outputs: [{ type: 'mp4', height: 120, preset: 'ultrafast' }] });
    assert.equal(created.status, 202, JSON.stringify(created.body));
    const events = await collectEvents(platform.base, created.body.id);
    return { events, job: (await platform.api('GET', `/v1/jobs/${created.body.id}`)).body };
  };

  it('a page with a <video> and an HLS stream each become an MP4', async () => {
    for (const path of ['page.html', 'stream.m3u8']) {
      const { events, job } = await run(p, path);
      assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
      assert.ok(events.some((e) => e.data.stage === 'downloading'), 'reported the download stage');
      assert.equal(job.input.metadata.width, 320);
      assert.ok(Math.abs(job.input.metadata.duration - 20) < 1, `duration ${job.input.metadata.duration}`);
      assert.equal(job.outputs[0].status, 'succeeded');
    }
  });

  it('a page pointing at a refused address fails once with url_forbidden; the bait sees nothing', async () => {
    const { job } = await run(p, 'bait-page.html');
    assert.equal(job.status, 'failed');
    assert.equal(job.error.code, 'url_forbidden');
    assert.equal(job.attempts, 1, 'permanent: not retried');
    assert.equal(s.bait.connections(), 0);
  });

  it('with MEDIAFORGE_YTDLP=off, a page fails with url_needs_ytdlp naming the package', async () => {
    const { job } = await run(off, 'page.html');
    assert.equal(job.status, 'failed');
    assert.equal(job.error.code, 'url_needs_ytdlp');
    assert.match(job.error.message, /apt-get install yt-dlp/);
    assert.equal(job.attempts, 1);
  });
});
