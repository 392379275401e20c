import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { needsPageImporter } from './url-import.js';

describe('which URLs go to the page importer (yt-dlp)', () => {
  it('web pages and streaming playlists do; media files and other content do not', () => {
    assert.equal(needsPageImporter('text/html; charset=utf-8', 'https://v.example/watch?v=1'), 'page');
    assert.equal(needsPageImporter('application/xhtml+xml', 'https://v.example/a'), 'page');
    assert.equal(needsPageImporter('application/vnd.apple.mpegurl', 'https://v.example/live'), 'stream');
    assert.equal(needsPageImporter('audio/x-mpegurl', 'https://v.example/a'), 'stream');
    assert.equal(needsPageImporter('application/dash+xml', 'https://v.example/a'), 'stream');
    // A playlist served with a generic type is known by its path.
    assert.equal(needsPageImporter('application/octet-stream', 'https://v.example/hls/index.m3u8'), 'stream');
    assert.equal(needsPageImporter(null, 'https://v.example/manifest.MPD'), 'stream');
    assert.equal(needsPageImporter('video/mp4', 'https://v.example/odd-name.m3u8'), null);
    assert.equal(needsPageImporter('video/mp4', 'https://v.example/a.mp4'), null);
    assert.equal(needsPageImporter('application/json', 'https://v.example/a'), null);
    assert.equal(needsPageImporter(null, 'https://v.example/a.mp4?x=.m3u8'), null);
  });
});
